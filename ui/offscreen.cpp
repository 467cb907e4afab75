// offscreen.cpp — rendering one ImGui frame into a framebuffer object and encoding it (see offscreen.h).
//
// [SECTION] PNG
// [SECTION] GL limits and state
// [SECTION] The private ImGui context
// [SECTION] Rendering

#include "ui/offscreen.h"

#include <epoxy/gl.h>
#include <backends/imgui_impl_opengl3.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cfloat>
#include <cstdio>

#include "core/npy.h"
#include "ui/lab_view.h"
#include "ui/plot.h"

namespace bnlab {

// [SECTION] PNG

std::string encode_png(const Image& img) {
  std::string out;
  auto append = [](void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size); };
  if (img.width <= 0 || img.height <= 0 ||
      !stbi_write_png_to_func(append, &out, img.width, img.height, 3, img.rgb.data(), img.width * 3))
    throw OffscreenError("cannot encode a " + std::to_string(img.width) + "x" + std::to_string(img.height) + " PNG");
  return out;
}

void write_png(const std::string& path, const Image& img) { write_file_atomic(path, encode_png(img)); }

// [SECTION] GL limits and state

namespace {

// A frame bigger than this is refused even when the driver would allow it: 64 megapixels is
// 16384×4096, far beyond any slide at 4×, and its buffers already take a gigabyte on the way to a PNG.
constexpr double kMaxPixels = 64e6;

bool have_context() { return epoxy_gl_version() > 0; }

// The GLSL dialect of the current context for Dear ImGui's backend: core profiles (the headless
// EGL context) refuse GLSL 1.30, which the window's 3.0 context wants.
const char* glsl_version() {
  GLint major = 0, minor = 0, profile = 0;
  glGetIntegerv(GL_MAJOR_VERSION, &major);
  glGetIntegerv(GL_MINOR_VERSION, &minor);
  if (major * 10 + minor >= 32) glGetIntegerv(GL_CONTEXT_PROFILE_MASK, &profile);
  if (!(profile & GL_CONTEXT_CORE_PROFILE_BIT)) return "#version 130";
  return major * 10 + minor >= 41 ? "#version 410 core" : "#version 150";
}

// What the app had bound, put back when the export is done.
struct SavedGlState {
  GLint draw_fb = 0, read_fb = 0, viewport[4] = {0, 0, 0, 0};
  SavedGlState() {
    glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &draw_fb);
    glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &read_fb);
    glGetIntegerv(GL_VIEWPORT, viewport);
  }
  ~SavedGlState() {
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, static_cast<GLuint>(draw_fb));
    glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(read_fb));
    glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);
  }
};

// A colour renderbuffer behind a framebuffer object, deleted on the way out.
struct Framebuffer {
  GLuint fbo = 0, rb = 0;
  Framebuffer(int w, int h) {
    glGenFramebuffers(1, &fbo);
    glGenRenderbuffers(1, &rb);
    glBindRenderbuffer(GL_RENDERBUFFER, rb);
    glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, w, h);
    glBindRenderbuffer(GL_RENDERBUFFER, 0);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, rb);
  }
  ~Framebuffer() {
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glDeleteFramebuffers(1, &fbo);
    glDeleteRenderbuffers(1, &rb);
  }
  Framebuffer(const Framebuffer&) = delete;
  Framebuffer& operator=(const Framebuffer&) = delete;
};

// [SECTION] The private ImGui context

// An ImGui context (with its own plot context and font atlas) current for its lifetime; the
// caller's contexts come back when it ends.
class PrivateUi {
 public:
  PrivateUi(const OffscreenSpec& spec) : prev_imgui_(ImGui::GetCurrentContext()), prev_plot_(plot::GetCurrentContext()) {
    ctx_ = ImGui::CreateContext();
    ImGui::SetCurrentContext(ctx_);
    plots_ = plot::CreateContext();
    plot::SetCurrentContext(plots_);
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // an export never touches the user's imgui.ini
    io.LogFilename = nullptr;
    io.DisplaySize = ImVec2(static_cast<float>(spec.width), static_cast<float>(spec.height));
    io.DisplayFramebufferScale = ImVec2(static_cast<float>(spec.scale), static_cast<float>(spec.scale));
    io.DeltaTime = 1.f / 60;
    // Glyphs rasterized at S× and drawn at 1/S: the same text metrics as on screen, S× the pixels.
    load_fonts(io.Fonts, spec.font_dpi * static_cast<float>(spec.scale));
    io.FontGlobalScale = 1.f / static_cast<float>(spec.scale);
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    GLint max_tex = 0;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_tex);
    if (w > max_tex || h > max_tex) {
      release();
      throw OffscreenError("the fonts at " + std::to_string(spec.scale) + "× need a " + std::to_string(w) + "x" +
                           std::to_string(h) + " texture; this GL driver allows " + std::to_string(max_tex) +
                           ": use a smaller --scale");
    }
    if (!ImGui_ImplOpenGL3_Init(glsl_version())) {
      release();
      throw OffscreenError("Dear ImGui's OpenGL3 renderer cannot load OpenGL through libGL.so.1 (Debian package libgl1)");
    }
    initialized_ = true;
  }
  ~PrivateUi() { release(); }
  PrivateUi(const PrivateUi&) = delete;
  PrivateUi& operator=(const PrivateUi&) = delete;

 private:
  void release() {
    if (!ctx_) return;
    if (initialized_) ImGui_ImplOpenGL3_Shutdown();
    ImGui::DestroyContext(ctx_);
    plot::DestroyContext(plots_);
    ctx_ = nullptr;
    ImGui::SetCurrentContext(prev_imgui_);
    plot::SetCurrentContext(prev_plot_);
  }
  ImGuiContext* prev_imgui_;
  plot::Context* prev_plot_;
  ImGuiContext* ctx_ = nullptr;
  plot::Context* plots_ = nullptr;
  bool initialized_ = false;
};

}  // namespace

void check_offscreen_size(int width, int height, int scale) {
  if (!have_context()) throw OffscreenError("no current OpenGL context to render the image with");
  if (width <= 0 || height <= 0 || scale <= 0)
    throw OffscreenError("cannot render a " + std::to_string(width) + "x" + std::to_string(height) + " image at scale " +
                         std::to_string(scale));
  GLint rb = 0, tex = 0, vp[2] = {0, 0};
  glGetIntegerv(GL_MAX_RENDERBUFFER_SIZE, &rb);
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &tex);
  glGetIntegerv(GL_MAX_VIEWPORT_DIMS, vp);
  const int limit = std::min({rb, tex, vp[0], vp[1]});
  const double fw = static_cast<double>(width) * scale, fh = static_cast<double>(height) * scale;
  char size[64];
  std::snprintf(size, sizeof size, "%.0fx%.0f", fw, fh);
  if (fw > limit || fh > limit)
    throw OffscreenError(std::string("a ") + size + " image is larger than this GL driver can render (" + std::to_string(limit) +
                         " pixels a side at most)");
  if (fw * fh > kMaxPixels)
    throw OffscreenError(std::string("a ") + size + " image is " + std::to_string(static_cast<long long>(fw * fh / 1e6)) +
                         " megapixels; at most 64 are rendered (a smaller size or scale)");
}

// [SECTION] Rendering

Image render_offscreen(const OffscreenSpec& spec, const std::function<void()>& draw) {
  check_offscreen_size(spec.width, spec.height, spec.scale);
  const int w = spec.width * spec.scale, h = spec.height * spec.scale;
  const std::string size = std::to_string(w) + "x" + std::to_string(h);

  SavedGlState saved;
  for (int i = 0; i < 16 && glGetError() != GL_NO_ERROR; ++i) {
  }  // errors the caller left behind are not ours
  Framebuffer fb(w, h);
  if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE || glGetError() != GL_NO_ERROR)
    throw OffscreenError("the GL driver cannot make a " + size + " framebuffer (out of memory?)");

  Image img;
  {
    PrivateUi ui(spec);
    ImGuiIO& io = ImGui::GetIO();
    for (int f = 0; f < std::max(1, spec.frames); ++f) {
      ImGui_ImplOpenGL3_NewFrame();
      io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);  // no hover readouts or highlights in a picture
      ImGui::NewFrame();
      plot::NewFrame();
      draw();
      ImGui::Render();
    }
    glBindFramebuffer(GL_FRAMEBUFFER, fb.fbo);
    glViewport(0, 0, w, h);
    glClearColor(spec.clear.x, spec.clear.y, spec.clear.z, spec.clear.w);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

    std::vector<unsigned char> rows(static_cast<size_t>(w) * h * 3);  // (h, w, 3), bottom row first (GL's origin)
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_COLOR_ATTACHMENT0);
    glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, rows.data());
    if (glGetError() != GL_NO_ERROR) throw OffscreenError("the GL driver failed to render the " + size + " image");
    img.width = w;
    img.height = h;
    img.rgb.resize(rows.size());
    const size_t row = static_cast<size_t>(w) * 3;
    for (int y = 0; y < h; ++y)
      std::copy_n(rows.data() + static_cast<size_t>(h - 1 - y) * row, row, img.rgb.data() + static_cast<size_t>(y) * row);
  }
  return img;
}

}  // namespace bnlab
