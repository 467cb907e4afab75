// recorder.cpp — the writer thread behind a recording: PNG files, or raw frames into ffmpeg.
//
// [SECTION] Finding ffmpeg
// [SECTION] Starting
// [SECTION] Frames
// [SECTION] Finishing

#include "app/recorder.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/npy.h"

extern char** environ;

namespace bnlab {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Frames waiting for the writer at most: 8 × 1600×900×3 bytes ≈ 35 MB. A writer that falls
// further behind (a slow disk) loses frames rather than memory or the UI's pace.
constexpr size_t kQueueFrames = 8;
// MP4 repeats a frame at most this often to keep real time across one slow frame.
constexpr int kMaxCopies = 15;

// A PNG of an RGB frame whose rows are bottom-up, written top-down. Not stb_image_write (the
// screenshot's encoder): it tries five row filters and searches hard, 110–175 ms for a 1600×900
// frame here; plain zlib at level 3 without filters takes about 30 ms and gives smaller files for
// the flat colours of a UI — the difference between keeping up with 30 frames a second or not.
std::string encode_png(const std::vector<unsigned char>& rgb, int width, int height) {
  const size_t row = static_cast<size_t>(width) * 3;
  std::vector<unsigned char> raw((row + 1) * height);  // (height, 1 + width·3): filter byte 0, then the row
  for (int y = 0; y < height; ++y)
    std::copy_n(rgb.data() + static_cast<size_t>(height - 1 - y) * row, row, raw.data() + static_cast<size_t>(y) * (row + 1) + 1);
  uLongf packed_size = compressBound(raw.size());
  std::vector<unsigned char> packed(packed_size);
  if (compress2(packed.data(), &packed_size, raw.data(), raw.size(), 3) != Z_OK) throw std::runtime_error("zlib failed");
  std::string png = "\x89PNG\r\n\x1a\n";
  const auto chunk = [&png](const char* type, const unsigned char* data, size_t size) {
    const auto be32 = [&png](uint32_t v) {
      for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<char>((v >> s) & 0xff));
    };
    be32(static_cast<uint32_t>(size));
    const size_t start = png.size();
    png.append(type, 4);
    if (size) png.append(reinterpret_cast<const char*>(data), size);
    be32(static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(png.data() + start), static_cast<uInt>(size + 4))));
  };
  const unsigned char header[13] = {static_cast<unsigned char>(width >> 24), static_cast<unsigned char>(width >> 16),
                                    static_cast<unsigned char>(width >> 8),  static_cast<unsigned char>(width),
                                    static_cast<unsigned char>(height >> 24), static_cast<unsigned char>(height >> 16),
                                    static_cast<unsigned char>(height >> 8),  static_cast<unsigned char>(height),
                                    8, 2, 0, 0, 0};  // 8 bits per channel, RGB, deflate, no filtering, no interlace
  chunk("IHDR", header, sizeof header);
  chunk("IDAT", packed.data(), packed_size);
  chunk("IEND", nullptr, 0);
  return png;
}

std::string frame_name(int64_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "frame_%05lld.png", static_cast<long long>(index));
  return name;
}

// [SECTION] Finding ffmpeg

// What to say when MP4 is asked for and ffmpeg is missing.
constexpr const char* kNoFfmpeg = "ffmpeg is not installed; apt install ffmpeg, or record PNG frames";

// Where ffmpeg is on PATH; empty when it is not installed.
std::string find_ffmpeg() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/ffmpeg";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

bool is_mp4_path(const std::string& path) { return path.size() > 4 && path.compare(path.size() - 4, 4, ".mp4") == 0; }

// [SECTION] Starting

Recorder::Recorder(const std::string& path, int width, int height, bool lossless)
    : path_(path), width_(width), height_(height), lossless_(lossless), start_(Clock::now()) {
  mp4_ = is_mp4_path(path);
  if (width <= 0 || height <= 0) throw std::runtime_error("nothing to record (the region is empty)");
  if (mp4_) {
    const std::string ffmpeg = find_ffmpeg();
    if (ffmpeg.empty()) throw std::runtime_error(kNoFfmpeg);
    if (width % 2 || height % 2) throw std::runtime_error("MP4 needs an even width and height");
    const fs::path parent = fs::absolute(path).parent_path();
    if (!fs::is_directory(parent)) throw std::runtime_error(path + ": no such directory " + parent.string());
    part_path_ = path + ".part";
    char log[] = "/tmp/bnlab-ffmpeg-XXXXXX";
    const int log_fd = ::mkstemp(log);
    if (log_fd < 0) throw std::runtime_error(std::string("cannot make a log file for ffmpeg: ") + std::strerror(errno));
    ffmpeg_log_ = log;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      ::close(log_fd);
      throw std::runtime_error(std::string("cannot start ffmpeg: ") + std::strerror(errno));
    }
    // ffmpeg reads rows top-down; GL's are bottom-up, so it flips them (vflip) — no copy here.
    // x264's fastest preset: the default one drops half the frames of a 1600×900 window on 2 cores.
    const std::string size = std::to_string(width) + "x" + std::to_string(height), fps = std::to_string(static_cast<int>(kRecordFps));
    std::vector<std::string> args = {ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                                     "-s", size, "-r", fps, "-i", "-", "-vf", "vflip", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-f", "mp4",
                                     part_path_};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
    posix_spawn_file_actions_adddup2(&actions, log_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, ffmpeg.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[0]);
    ::close(log_fd);
    if (rc != 0) {
      ::close(fds[1]);
      throw std::runtime_error("cannot start " + ffmpeg + ": " + std::strerror(rc));
    }
    ffmpeg_pid_ = pid;
    pipe_fd_ = fds[1];
    // A write to an ffmpeg that has exited must be an error to report, not a signal that ends the app.
    ::signal(SIGPIPE, SIG_IGN);
  } else {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec || !fs::is_directory(path))
      throw std::runtime_error(path + ": cannot create the directory (" + (ec ? ec.message() : "a file is in the way") + ")");
    if (fs::exists(fs::path(path) / frame_name(1)))
      throw std::runtime_error(path + " already holds a recording (" + frame_name(1) + "); choose another directory");
    if (::access(path.c_str(), W_OK) != 0) throw std::runtime_error(path + ": cannot write there (" + std::strerror(errno) + ")");
  }
  thread_ = std::thread([this] { run(); });
}

Recorder::~Recorder() { finish(); }

// [SECTION] Frames

bool Recorder::due(Clock::time_point now) const {
  if (lossless_ || taken_ == 0) return true;
  return std::chrono::duration<double>(now - start_).count() * kRecordFps >= static_cast<double>(taken_);
}

void Recorder::add_frame(std::vector<unsigned char> rgb) {
  if (taken_ == 0) start_ = Clock::now();
  const auto due = static_cast<int64_t>(std::chrono::duration<double>(Clock::now() - start_).count() * kRecordFps) + 1;
  const int copies = mp4_ && !lossless_ ? static_cast<int>(std::clamp<int64_t>(due - taken_, 1, kMaxCopies)) : 1;
  taken_ += copies;
  std::unique_lock<std::mutex> lock(mutex_);
  if (lossless_) {
    space_.wait(lock, [&] { return queue_.size() < kQueueFrames || !error_.empty(); });
  } else if (queue_.size() >= kQueueFrames) {
    dropped_ += copies;
    return;
  }
  queue_.emplace_back(std::move(rgb), copies);
  wake_.notify_one();
}

void Recorder::write_png(const std::vector<unsigned char>& rgb, int64_t index) {
  write_file_atomic((fs::path(path_) / frame_name(index)).string(), encode_png(rgb, width_, height_));
}

void Recorder::run() {
  for (;;) {
    std::pair<std::vector<unsigned char>, int> frame;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and everything is written
      frame = std::move(queue_.front());
      queue_.pop_front();
      space_.notify_all();
      if (!error_.empty()) continue;  // after a failure, frames are only discarded
    }
    std::string error;
    int64_t done = 0;
    try {
      if (mp4_) {
        for (int c = 0; c < frame.second && error.empty(); ++c) {
          for (size_t off = 0; off < frame.first.size();) {
            const ssize_t n = ::write(pipe_fd_, frame.first.data() + off, frame.first.size() - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
              error = "ffmpeg stopped reading frames";
              break;
            }
            off += static_cast<size_t>(n);
          }
          if (error.empty()) ++done;
        }
      } else {
        int64_t index;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          index = written_ + 1;
        }
        write_png(frame.first, index);
        done = 1;
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    written_ += done;
    if (!error.empty() && error_.empty()) error_ = error;
    space_.notify_all();
  }
}

// [SECTION] Finishing

std::string Recorder::finish() {
  if (finished_) return summary_;
  finished_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  wake_.notify_all();
  thread_.join();
  std::string error = error_;
  if (mp4_) {
    ::close(pipe_fd_);
    int status = 0;
    while (::waitpid(ffmpeg_pid_, &status, 0) < 0 && errno == EINTR) {
    }
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    std::ifstream log_in(ffmpeg_log_);
    std::string log((std::istreambuf_iterator<char>(log_in)), std::istreambuf_iterator<char>());
    std::remove(ffmpeg_log_.c_str());
    while (!log.empty() && (log.back() == '\n' || log.back() == '\r')) log.pop_back();
    std::error_code ec;
    if (ok && error.empty() && written_ > 0) {
      fs::rename(part_path_, path_, ec);
      if (ec) error = "cannot move the video into place (" + ec.message() + ")";
    } else if (error.empty()) {
      error = written_ == 0 ? "no frames were recorded" : "ffmpeg failed";
    }
    if (!error.empty()) {
      fs::remove(part_path_, ec);
      if (!log.empty()) error += ": " + log.substr(log.rfind('\n') == std::string::npos ? 0 : log.rfind('\n') + 1);
    }
  }
  char line[160];
  std::snprintf(line, sizeof line, "%lld frames (%dx%d%s)", static_cast<long long>(written_), width_, height_,
                mp4_ ? ", 30 fps" : "");
  ok_ = error.empty();
  summary_ = ok_ ? "Recorded " + std::string(line) + " to " + fs::absolute(path_).string()
                           : "Recording to " + path_ + " failed: " + error + " — " + line + " written";
  if (dropped_ > 0) summary_ += "; " + std::to_string(dropped_) + " frames dropped (the writer could not keep up)";
  return summary_;
}

}  // namespace bnlab
