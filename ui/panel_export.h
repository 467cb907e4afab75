// panel_export.h — what the Export menu keeps between frames, and what it asks the app to do.
//
// The menu writes CSV/JSON and session files itself (core does the work); reading pixels and
// replacing the running session are the app's (app/gui.cpp), so for those the menu leaves a
// request here and the app answers in the same struct.
#pragma once

#include <string>

#include <imgui.h>

namespace bnlab {

// Windows whose name starts with this are the app's own chrome ("● REC", an export's outcome):
// drawn over a recording, never into it (app/gui.cpp), and left out of saved pictures.
constexpr const char* kChromePrefix = "##chrome";
constexpr double kMessageSeconds = 8;

// The folder exports go to unless a name says otherwise: ~/bnlab (the working directory when
// there is no $HOME), created at the first save.
std::string default_export_folder();

struct ExportState {
  // Where every export with a relative name goes (data, session, recording, PNG): one place,
  // shown in both menus, changeable there, kept between runs. "~/" is the home directory.
  std::string folder = default_export_folder();
  // Names as typed: relative to `folder`, or absolute, or starting with "~/" (export_path).
  std::string data_path = "bnlab-data";        // + .csv or .json
  std::string session_path = "session.bnlab.json";
  std::string record_path = "bnlab-recording";  // a directory of PNG frames, or NAME.mp4
  bool record_mp4 = false;
  int record_region = 0;  // 0 the window, 1 the views (without the controls)

  std::string message;  // the last export's outcome: an error until dismissed, else for kMessageSeconds
  bool message_is_error = false;
  std::string shown_message;  // `message` as first shown, at shown_at (ImGui::GetTime)
  double shown_at = 0;

  // Requests to the app, cleared when it has acted on them.
  std::string open_session;      // reopen this session file
  bool start_recording = false;  // record_path, record_mp4, record_region
  bool stop_recording = false;
  // The app's answer: recording now, and frames so far.
  bool recording = false;
  long long recorded_frames = 0;
  // The rectangle record_region names this frame, in ImGui coordinates (set while drawing).
  ImVec2 region_min{0, 0}, region_max{0, 0};
};

// Where a name typed in a menu is written: as typed when absolute, in the home directory when it
// starts with "~/", else in e.folder — which is created when missing (throws std::runtime_error
// naming it when it cannot be).
std::string export_path(const ExportState& e, const std::string& typed);
// The folder's row in a menu: its path, editable, with what it is for.
void export_folder_field(ExportState& e);

}  // namespace bnlab
