// gl_context.cpp — EGL surfaceless context creation, capability checks and the debug callback.
#include "core/gl_context.h"

#include <dlfcn.h>
#include <epoxy/egl.h>
#include <epoxy/gl.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace bnlab {

namespace {

// libepoxy resolves EGL and GL entry points by dlopen-ing these libraries and aborts the process
// when it cannot, so their presence is checked first and turned into an error message.
void require_library(const char* const* names, const char* package) {
  for (const char* const* n = names; *n; ++n)
    if (void* h = dlopen(*n, RTLD_LAZY | RTLD_LOCAL)) {
      dlclose(h);
      return;
    }
  throw GpuError(std::string("no ") + names[0] + " on this system (Debian package " + package + ")");
}

std::string egl_error_text() {
  char buf[32];
  std::snprintf(buf, sizeof buf, "EGL error 0x%04x", static_cast<unsigned>(eglGetError()));
  return buf;
}

bool has_word(const char* list, const char* word) {
  if (!list) return false;
  const size_t n = std::strlen(word);
  for (const char* p = std::strstr(list, word); p; p = std::strstr(p + 1, word))
    if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return true;
  return false;
}

const char* debug_source_name(GLenum s) {
  switch (s) {
    case GL_DEBUG_SOURCE_API: return "api";
    case GL_DEBUG_SOURCE_WINDOW_SYSTEM: return "window system";
    case GL_DEBUG_SOURCE_SHADER_COMPILER: return "shader compiler";
    case GL_DEBUG_SOURCE_THIRD_PARTY: return "third party";
    case GL_DEBUG_SOURCE_APPLICATION: return "application";
    default: return "other";
  }
}

void GLAPIENTRY debug_callback(GLenum source, GLenum type, GLuint id, GLenum severity, GLsizei,
                               const GLchar* message, const void*) {
  if (severity == GL_DEBUG_SEVERITY_NOTIFICATION) return;  // driver chatter, not problems
  std::fprintf(stderr, "bnlab: GL %s (source %s, id %u): %s\n",
               type == GL_DEBUG_TYPE_ERROR ? "error" : "debug message", debug_source_name(source),
               id, message);
}

}  // namespace

GlContext::GlContext(bool debug) {
  static const char* const egl_libs[] = {"libEGL.so.1", nullptr};
  static const char* const gl_libs[] = {"libOpenGL.so.0", "libGL.so.1", nullptr};
  require_library(egl_libs, "libegl1");
  require_library(gl_libs, "libopengl0");

  const char* client_ext = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  if (!has_word(client_ext, "EGL_MESA_platform_surfaceless"))
    throw GpuError("EGL has no surfaceless platform (EGL_MESA_platform_surfaceless; Debian package "
                   "libegl-mesa0)");
  EGLDisplay dpy = eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY,
                                            nullptr);
  EGLint major = 0, minor = 0;
  if (dpy == EGL_NO_DISPLAY || !eglInitialize(dpy, &major, &minor))
    throw GpuError("cannot initialize the EGL surfaceless display (" + egl_error_text() +
                   "; is libgl1-mesa-dri installed?)");
  display_ = dpy;
  // The display is never terminated: EGL displays are per process, and terminating it would pull
  // it from under any other trainer alive.
  if (!eglBindAPI(EGL_OPENGL_API))
    throw GpuError("EGL cannot bind desktop OpenGL (" + egl_error_text() + ")");
  const EGLint attribs[] = {EGL_CONTEXT_MAJOR_VERSION, 4,
                            EGL_CONTEXT_MINOR_VERSION, 3,
                            EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                            EGL_CONTEXT_OPENGL_DEBUG, debug ? EGL_TRUE : EGL_FALSE,
                            EGL_NONE};
  EGLContext ctx = eglCreateContext(dpy, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, attribs);
  if (ctx == EGL_NO_CONTEXT) {
    throw GpuError("no OpenGL 4.3 core context (compute shaders need 4.3): " + egl_error_text());
  }
  context_ = ctx;
  try {
    make_current();
    GLint gl_major = 0, gl_minor = 0, invocations = 0;
    glGetIntegerv(GL_MAJOR_VERSION, &gl_major);
    glGetIntegerv(GL_MINOR_VERSION, &gl_minor);
    renderer_ = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    version_ = reinterpret_cast<const char*>(glGetString(GL_VERSION));
    if (gl_major * 10 + gl_minor < 43)
      throw GpuError("OpenGL " + version_ + " on " + renderer_ + " is older than 4.3");
    glGetIntegerv(GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS, &invocations);
    if (invocations < 256)
      throw GpuError("no usable compute shaders on " + renderer_ + " (" +
                     std::to_string(invocations) + " invocations per work group)");
    if (debug) {
      glEnable(GL_DEBUG_OUTPUT);
      glEnable(GL_DEBUG_OUTPUT_SYNCHRONOUS);  // report inside the offending call
      glDebugMessageCallback(debug_callback, nullptr);
    }
  } catch (...) {
    eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglDestroyContext(dpy, ctx);
    throw;
  }
}

GlContext::~GlContext() {
  eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  eglDestroyContext(display_, context_);
}

void GlContext::make_current() const {
  if (eglGetCurrentContext() == context_) return;
  if (!eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, context_))
    throw GpuError("cannot make the GL context current (" + egl_error_text() +
                   ": lost, or current on another thread)");
}

bool GlContext::is_software() const {
  for (const char* name : {"llvmpipe", "softpipe", "SwiftShader"})
    if (renderer_.find(name) != std::string::npos) return true;
  return false;
}

void check_gl(const char* what) {
  const GLenum e = glGetError();
  if (e == GL_NO_ERROR) return;
  const char* name = e == GL_OUT_OF_MEMORY       ? "out of memory"
                     : e == GL_CONTEXT_LOST      ? "context lost"
                     : e == GL_INVALID_OPERATION ? "invalid operation"
                     : e == GL_INVALID_VALUE     ? "invalid value"
                     : e == GL_INVALID_ENUM      ? "invalid enum"
                                                 : "error";
  char buf[32];
  std::snprintf(buf, sizeof buf, " (0x%04x)", e);
  throw GpuError(std::string("GL ") + name + buf + " in " + what);
}

}  // namespace bnlab
