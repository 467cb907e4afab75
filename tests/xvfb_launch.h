// xvfb_launch.h — runs a command in a virtual X display (xvfb-run) for the window tests.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace bnlab {

struct Launch {
  int code = -1;       // the command's exit code
  std::string output;  // its stdout and stderr
};

inline bool have_xvfb() { return std::system("command -v xvfb-run > /dev/null 2>&1") == 0; }

// Runs `command` (a shell command line) in an X session of `screen` (WxH) pixels with XDG_CONFIG_HOME=config_dir,
// keeping its files in `dir`. The exit code is written from inside the session, because xvfb-run's
// own code is not always the command's: it exits 5 when it cannot clean up its temporary
// directory, which happens now and then when several sessions end at once.
inline Launch launch_in_xvfb(const std::filesystem::path& dir, const std::string& config_dir, const std::string& command,
                             const std::string& screen = "1600x900") {
  const std::filesystem::path script = dir / "launch.sh", code = dir / "code.txt", log = dir / "log.txt";
  std::filesystem::remove(code);
  std::ofstream(script) << command << "\necho $? > " << code.string() << "\n";
  const std::string cmd = "XDG_CONFIG_HOME=" + config_dir + " xvfb-run -a -s '-screen 0 " + screen + "x24' sh " +
                          script.string() + " > " + log.string() + " 2>&1";
  const int xvfb_code = WEXITSTATUS(std::system(cmd.c_str()));
  Launch r;
  std::ifstream(code) >> r.code;
  std::ifstream in(log);
  r.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (r.code == -1) ADD_FAILURE() << "xvfb-run exited " << xvfb_code << " before the command ended: " << r.output;
  if (r.code != 0 && r.output.find("cannot open a window") != std::string::npos)
    ADD_FAILURE() << "Xvfb gave no OpenGL window: " << r.output;
  return r;
}

}  // namespace bnlab
