// gl_context.h — a headless OpenGL 4.3+ context for compute (EGL on Mesa's surfaceless platform).
//
// Threading design: every GPU trainer owns its own context. A context is current on one thread at
// a time, so the trainer makes it current at the entry of each of its methods (cheap when it
// already is). The GUI keeps its own window context on the main thread and drives a trainer from a
// worker thread; the two contexts share nothing, so training never blocks a frame and the UI only
// reads snapshots the worker hands over.
//
// Every failure (no EGL library, no surfaceless platform, no GL 4.3 context, no compute shaders)
// throws GpuError with one sentence naming what is missing; nothing here aborts the process.
#pragma once

#include <stdexcept>
#include <string>

namespace bnlab {

struct GpuError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class GlContext {
 public:
  // Creates the context and makes it current on the calling thread. `debug` asks for a debug
  // context and installs a KHR_debug callback that reports every GL error with its source;
  // it is on by default in debug builds (NDEBUG unset).
  explicit GlContext(bool debug = kDebugDefault);
  ~GlContext();
  GlContext(const GlContext&) = delete;
  GlContext& operator=(const GlContext&) = delete;

  void make_current() const;
  const std::string& renderer() const { return renderer_; }  // GL_RENDERER, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
  const std::string& version() const { return version_; }    // GL_VERSION
  // llvmpipe, softpipe or SwiftShader: the CPU reference is faster there.
  bool is_software() const;

#ifdef NDEBUG
  static constexpr bool kDebugDefault = false;
#else
  static constexpr bool kDebugDefault = true;
#endif

 private:
  void* display_ = nullptr;  // EGLDisplay
  void* context_ = nullptr;  // EGLContext
  std::string renderer_, version_;
};

// Throws GpuError naming the GL call and the error when glGetError reports one (e.g. an
// out-of-memory buffer allocation).
void check_gl(const char* what);

}  // namespace bnlab
