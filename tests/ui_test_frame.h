// ui_test_frame.h — Dear ImGui without a renderer, for tests: frames are built and their draw
// lists inspected, nothing is drawn. Fonts are the app's (DejaVu when installed).
#pragma once

#include <imgui.h>

#include "ui/lab_view.h"
#include "ui/plot.h"

namespace bnlab {

class HeadlessUi {
 public:
  explicit HeadlessUi(ImVec2 size = ImVec2(1600, 900)) {
    ImGui::CreateContext();
    plots_ = plot::CreateContext();
    plot::SetCurrentContext(plots_);
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = size;
    io.DeltaTime = 1.f / 60;
    io.IniFilename = nullptr;
    load_fonts(io.Fonts, 1.f);
    unsigned char* pixels;
    int w, h;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
  }
  ~HeadlessUi() {
    plot::DestroyContext(plots_);
    ImGui::DestroyContext();
  }
  HeadlessUi(const HeadlessUi&) = delete;
  HeadlessUi& operator=(const HeadlessUi&) = delete;

  // One frame with `body` inside a full-screen window.
  template <typename F>
  void frame(F&& body, const ViewOptions& v = {}) {
    apply_view(v, 1.f);
    ImGui::NewFrame();
    plot::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
    ImGui::Begin("test", nullptr, ImGuiWindowFlags_NoDecoration);
    body();
    ImGui::End();
    ImGui::Render();
  }
  // A frame of the whole lab, as the app draws it.
  void lab_frame(LabSession& lab, ViewOptions& v) {
    apply_view(v, 1.f);
    ImGui::NewFrame();
    plot::NewFrame();
    draw_lab(lab, v);
    ImGui::Render();
  }
  const plot::Context& plots() const { return *plots_; }
  static int vertices() { return ImGui::GetDrawData()->TotalVtxCount; }

 private:
  plot::Context* plots_;
};

}  // namespace bnlab
