// offscreen.h — one ImGui frame rendered into an offscreen framebuffer at any scale, as PNG.
//
// [SECTION] Images
// [SECTION] Rendering
//
// A frame is laid out in logical pixels (W×H, the same layout as on screen) and rendered into a
// framebuffer object of (W·S)×(H·S) pixels: a private ImGui context with its own font atlas,
// rasterized at S× (load_fonts at dpi_scale S, drawn at 1/S so the layout does not move), and
// io.DisplayFramebufferScale = S, so every line, fill and glyph is drawn at the target resolution
// — a 2× image is not a 1× image upscaled.
//
// It needs a current OpenGL context of version 3.0 or later: the window's (in-app export) or a
// headless EGL one (core/gl_context.h, for `bnlab figure`). The GL calls go through Dear ImGui's
// own OpenGL3 backend (Debian's libimgui.a), whose loader resolves them with libGL.so.1's
// glXGetProcAddressARB: on GLVND those are dispatch stubs that call into whichever context is
// current, GLX or EGL, so the same backend serves both.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <imgui.h>

namespace bnlab {

// [SECTION] Images

struct OffscreenError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Image {
  int width = 0, height = 0;
  std::vector<unsigned char> rgb;  // (height, width, 3), top row first
};

// The image as PNG bytes (stb_image_write).
std::string encode_png(const Image& img);
// Writes the PNG atomically (write_file_atomic): the old file or the new one, never half of one.
void write_png(const std::string& path, const Image& img);

// [SECTION] Rendering

struct OffscreenSpec {
  int width = 1600, height = 900;  // logical size, the layout's pixels
  int scale = 1;                   // framebuffer pixels per logical pixel (1, 2, 4…)
  float font_dpi = 1;              // the layout's own HiDPI factor (the app's content scale)
  ImVec4 clear{1, 1, 1, 1};        // background
  // Frames drawn before the picture is kept: ImGui sizes some windows and selects tabs in its
  // first frame and shows them from the second.
  int frames = 2;
};

// Renders `draw` into a (width·scale)×(height·scale) image. `draw` is called once per frame
// between ImGui::NewFrame (plus plot::NewFrame, with a plot context of its own) and
// ImGui::Render, with the private context current; it draws its own windows. The caller's ImGui
// and plot contexts, framebuffer binding and viewport are restored afterwards, so it can run
// between two frames of the app. Throws OffscreenError for sizes beyond what the GL driver can
// render (naming its limit), no current GL context, or a framebuffer the driver refuses.
Image render_offscreen(const OffscreenSpec& spec, const std::function<void()>& draw);

// Throws OffscreenError naming the size and the limit when (width·scale)×(height·scale) is more
// than the current GL context can render (its renderbuffer, texture and viewport limits) or more
// than 64 megapixels. Commands call it before long work; render_offscreen calls it too.
void check_offscreen_size(int width, int height, int scale);

}  // namespace bnlab
