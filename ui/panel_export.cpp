// panel_export.cpp — the Export menu at the end of the tab bar: every series as CSV or JSON, the
// session saved or reopened, the window recorded; "● REC" while a recording runs.
//
// [SECTION] Helpers
// [SECTION] Menu sections
// [SECTION] Button, indicator and outcome

#include <filesystem>

#include "core/series_export.h"
#include "core/session_file.h"
#include "ui/panel_common.h"

#include <imgui_stdlib.h>  // after imgui.h, which it needs

namespace bnlab {

namespace {

constexpr ImU32 kRecordRed = IM_COL32(220, 30, 30, 255);

// [SECTION] Helpers

std::string absolute(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::absolute(path, ec);
  return ec ? path : p.string();
}

// "~/x" as the shell reads it.
std::filesystem::path expand_home(const std::string& path) {
  const char* home = std::getenv("HOME");
  if ((path == "~" || path.rfind("~/", 0) == 0) && home && *home) return std::filesystem::path(home) / path.substr(std::min<size_t>(2, path.size()));
  return path;
}

// Runs one export; its outcome becomes the message shown under the menu.
template <typename F>
void attempt(ExportState& e, const std::string& done, F write) {
  try {
    e.message = done;
    write();  // may say more in e.message
    e.message_is_error = false;
  } catch (const std::exception& x) {
    e.message = x.what();
    e.message_is_error = true;
  }
}

}  // namespace

std::string default_export_folder() {
  const char* home = std::getenv("HOME");
  return home && *home ? "~/bnlab" : ".";
}

std::string export_path(const ExportState& e, const std::string& typed) {
  const std::filesystem::path p = expand_home(typed);
  if (p.is_absolute()) return p.string();
  const std::filesystem::path folder = expand_home(e.folder.empty() ? "." : e.folder);
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw std::runtime_error("cannot create the export folder " + folder.string() + ": " + ec.message());
  return (folder / p).string();
}

void export_folder_field(ExportState& e) {
  ImGui::InputText("folder", &e.folder);
  tip("Where files with a relative name go — data, sessions, recordings and PNGs alike (created when needed; ~ is "
      "your home). A name that starts with / or ~/ goes where it says.");
}

namespace {

// [SECTION] Menu sections

void data_section(const LabState& s, ExportState& e) {
  ImGui::TextUnformatted("Data behind every view");
  ImGui::InputText("file name##data", &e.data_path);
  tip("Without extension: .csv or .json is added. In the folder above unless it starts with / or ~/.");
  if (ImGui::Button("Save CSV")) {
    attempt(e, "", [&] {
      const std::string path = export_path(e, e.data_path + ".csv");
      save_series_csv(path, s.active, s.history);
      e.message = "Saved every series to " + absolute(path);
    });
  }
  tip("Long format, one value per row: network, layer, series, index, step, value, lo, hi, samples. Buckets with "
      "samples > 1 are decimated: step is their mean step, value their mean, lo/hi their min/max. Columns are "
      "described in the README.");
  ImGui::SameLine();
  if (ImGui::Button("Save JSON")) {
    attempt(e, "", [&] {
      const std::string path = export_path(e, e.data_path + ".json");
      save_series_json(path, s.active, s.history);
      e.message = "Saved every series to " + absolute(path);
    });
  }
  tip("The same series as arrays per network and layer, with the run's configuration.");
}

void session_section(LabSession& lab, ExportState& e) {
  ImGui::TextUnformatted("Session");
  ImGui::InputText("file##session", &e.session_path);
  tip("A .bnlab.json file: the settings, the whole history and every network's parameters.");
  if (ImGui::Button("Save session")) {
    attempt(e, "", [&] {
      const std::string path = export_path(e, e.session_path);
      const LabSnapshot snap = lab.capture();
      save_session(path, snap);
      e.message = "Saved the session at step " + std::to_string(snap.step) + " to " + absolute(path);
    });
  }
  tip("Saves the run as it is now. Opening it later shows the same picture, paused at this step.");
  ImGui::SameLine();
  if (ImGui::Button("Open session")) {
    attempt(e, "", [&] { e.open_session = export_path(e, e.session_path); });
    ImGui::CloseCurrentPopup();
  }
  tip("Replaces the current run with the saved one: its history, paused at the saved step. Play trains on from "
      "the saved parameters, in the data order the run had (momentum buffers restart at zero).");
}

void record_section(ViewOptions& v) {
  ExportState& e = v.exports;
  ImGui::TextUnformatted("Recording");
  ImGui::BeginDisabled(e.recording);
  ImGui::InputText("output##record", &e.record_path);
  tip("PNG frames: a new directory (frame_00001.png, ...). MP4: a file name (.mp4 is added).");
  if (ImGui::RadioButton("PNG frames", !e.record_mp4)) e.record_mp4 = false;
  tip("One PNG per frame, 30 frames per second, written on a background thread.");
  ImGui::SameLine();
  if (ImGui::RadioButton("MP4", e.record_mp4)) e.record_mp4 = true;
  tip("A video at 30 frames per second through Debian's ffmpeg (apt install ffmpeg).");
  const char* regions[] = {"the whole window", "the views (without the controls)"};
  ImGui::Combo("region", &e.record_region, regions, 2);
  tip("What to record. The size is fixed when recording starts.");
  ImGui::EndDisabled();
  if (!e.recording) {
    if (ImGui::Button("● Start recording")) {
      e.start_recording = true;
      ImGui::CloseCurrentPopup();
    }
    v.frame_items.push_back({"record_start", {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()}});
  } else if (ImGui::Button("■ Stop recording")) {
    e.stop_recording = true;
  }
}

}  // namespace

// [SECTION] Button, indicator and outcome

void panel_export(LabSession& lab, const LabState& s, ViewOptions& v) {
  ExportState& e = v.exports;
  // The rectangles a recording can follow; this is drawn inside the views' child window.
  if (e.record_region == 1) {
    e.region_min = ImGui::GetWindowPos();
    e.region_max = ImVec2(e.region_min.x + ImGui::GetWindowWidth(), e.region_min.y + ImGui::GetWindowHeight());
  } else {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    e.region_min = vp->Pos;
    e.region_max = ImVec2(vp->Pos.x + vp->Size.x, vp->Pos.y + vp->Size.y);
  }

  if (ImGui::TabItemButton(kExportLabel, ImGuiTabItemFlags_Trailing | ImGuiTabItemFlags_NoTooltip)) ImGui::OpenPopup("export");
  tip("Save the data behind the views (CSV, JSON), save or open a session, record the window.");
  v.frame_items.push_back({"export", {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()}});
  if (ImGui::IsPopupOpen("export")) v.popup_button = {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()};
  if (ImGui::BeginPopup("export")) {
    ImGui::PushItemWidth(ImGui::GetFontSize() * 16);
    export_folder_field(e);
    ImGui::Separator();
    data_section(s, e);
    ImGui::Separator();
    session_section(lab, e);
    ImGui::Separator();
    record_section(v);
    ImGui::PopItemWidth();
    ImGui::EndPopup();
  }

  const ImGuiViewport* vp = ImGui::GetMainViewport();
  const float pad = ImGui::GetFontSize();
  if (e.recording) {
    // Top right, over the tab bar's end: chrome, so not in the recording itself.
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x - pad * 0.25f, vp->WorkPos.y + pad * 0.25f),
                            ImGuiCond_Always, ImVec2(1, 0));
    ImGui::SetNextWindowBgAlpha(0.95f);
    if (ImGui::Begin((std::string(kChromePrefix) + "_rec").c_str(), nullptr,
                     ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                         ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav)) {
      ImGui::PushStyleColor(ImGuiCol_Text, kRecordRed);
      const std::string rec = "● REC " + std::to_string(e.recorded_frames) + "  ■ Stop###rec";
      if (ImGui::SmallButton(rec.c_str())) e.stop_recording = true;
      ImGui::PopStyleColor();
      tip("Recording (this button is not in the recording): frames so far. Click to stop; the output's path is "
          "shown when it is written.");
    }
    ImGui::End();
  }
  // Success fades after kMessageSeconds; an error stays until dismissed.
  if (e.message != e.shown_message) {
    e.shown_message = e.message;
    e.shown_at = ImGui::GetTime();
  }
  if (!e.message.empty() && !e.message_is_error && ImGui::GetTime() - e.shown_at > kMessageSeconds) e.message.clear();
  if (!e.message.empty()) {
    // The outcome in a corner: a path to copy, or what went wrong.
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x - pad, vp->WorkPos.y + vp->WorkSize.y - pad),
                            ImGuiCond_Always, ImVec2(1, 1));
    ImGui::SetNextWindowBgAlpha(0.95f);
    if (ImGui::Begin((std::string(kChromePrefix) + "_outcome").c_str(), nullptr,
                     ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                         ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav)) {
      ImGui::PushTextWrapPos(ImGui::GetFontSize() * 36);
      if (e.message_is_error) ImGui::PushStyleColor(ImGuiCol_Text, kRecordRed);
      ImGui::TextUnformatted(e.message.c_str());
      if (e.message_is_error) ImGui::PopStyleColor();
      ImGui::PopTextWrapPos();
      if (ImGui::SmallButton("OK")) e.message.clear();
    }
    ImGui::End();
  }
}

}  // namespace bnlab
