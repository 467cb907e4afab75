// recorder.h — recording the window (or a rectangle of it) as a PNG sequence or an MP4 clip.
//
// The window's thread reads each frame back (glReadPixels, after rendering, before the swap) and
// hands the pixels over; a writer thread encodes them — PNG files DIR/frame_00001.png, ... each
// written atomically, or raw RGB piped into Debian's ffmpeg for MP4 — so the UI never waits on
// compression or the disk. No OpenGL or window code here: the caller reads the pixels.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bnlab {

constexpr double kRecordFps = 30;

// True when `path` names an MP4 recording (it ends in ".mp4"); else it is a directory of PNGs.
bool is_mp4_path(const std::string& path);

class Recorder {
 public:
  // Starts recording frames of width × height pixels (RGB, rows bottom-up as GL reads them) to
  // `path`: an MP4 file when it ends in ".mp4" (an even size is required: the caller crops), else
  // a directory of PNG frames (created; frame_*.png already in it are an error, so a recording
  // never mixes with an older one). `lossless` (scripted use): add_frame waits for the writer
  // instead of dropping frames when it falls behind. Throws std::runtime_error with the message
  // to show (kNoFfmpeg, a directory that cannot be made, ...).
  Recorder(const std::string& path, int width, int height, bool lossless);
  ~Recorder();  // finish() if not done
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // True when the next frame is due at kRecordFps (the first one at once).
  bool due(std::chrono::steady_clock::time_point now) const;
  // Hands over one frame: (height, width, 3) bytes, bottom row first. An MP4 repeats it when the
  // window drew slower than kRecordFps, so the clip keeps real time.
  void add_frame(std::vector<unsigned char> rgb);

  // Writes what is queued, closes the output and returns one line for the user: where the
  // recording is and how many frames it holds, or what went wrong.
  std::string finish();
  bool succeeded() const { return ok_; }  // after finish()

  int width() const { return width_; }
  int height() const { return height_; }
  int64_t frames_taken() const { return taken_; }  // frames handed over so far (UI counter)

 private:
  void run();  // the writer thread
  void write_png(const std::vector<unsigned char>& rgb, int64_t index);

  std::string path_, part_path_;  // MP4: ffmpeg writes part_path_, renamed to path_ on success
  int width_, height_;
  bool mp4_, lossless_;
  std::chrono::steady_clock::time_point start_;
  int64_t taken_ = 0;  // frames handed over (main thread)

  std::mutex mutex_;
  std::condition_variable wake_, space_;
  std::deque<std::pair<std::vector<unsigned char>, int>> queue_;  // guarded by mutex_: (frame, copies)
  bool closing_ = false;                                         // guarded by mutex_
  int64_t written_ = 0, dropped_ = 0;                            // guarded by mutex_
  std::string error_;                                            // guarded by mutex_: the first failure
  bool finished_ = false, ok_ = false;
  std::string summary_;

  int pipe_fd_ = -1;    // MP4: ffmpeg's stdin
  int ffmpeg_pid_ = -1;
  std::string ffmpeg_log_;  // MP4: ffmpeg's messages, shown when it fails
  std::thread thread_;
};

}  // namespace bnlab
