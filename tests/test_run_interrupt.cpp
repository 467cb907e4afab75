// test_run_interrupt.cpp — Ctrl-C during `bnlab run` stops cleanly and keeps what was written.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST(RunInterrupt, CtrlCStopsCleanlyAndKeepsEverythingWritten) {
  const fs::path dir = fs::temp_directory_path() / ("bnlab_interrupt_" + std::to_string(getpid()));
  fs::remove_all(dir);
  const std::string out = (dir / "out").string(), log = (dir / "stdout.txt").string();
  fs::create_directories(dir);

  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A run far too long to finish: only the interrupt can end it.
    FILE* f = std::freopen(log.c_str(), "w", stdout);
    (void)f;
    execl(BNLAB_BINARY, BNLAB_BINARY, "run", "--preset", "paper-fig1", "--set", "steps=100000000", "--set",
          "log_every=50", "--out", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }

  // Wait until some snapshots are on disk, then press Ctrl-C.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_lines(read_all(fs::path(out) / "metrics.csv")) < 8 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);

  ASSERT_TRUE(WIFEXITED(status)) << "bnlab was killed instead of stopping cleanly";
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const std::string summary = read_all(log);
  EXPECT_NE(summary.find("stopped after"), std::string::npos) << summary;

  // Every file is whole: complete lines only, and the snapshot rows agree with each other.
  const std::string metrics = read_all(fs::path(out) / "metrics.csv");
  const std::string layers = read_all(fs::path(out) / "layers.csv");
  const std::string hist = read_all(fs::path(out) / "histograms.csv");
  const std::string losses = read_all(fs::path(out) / "train_loss.csv");
  for (const std::string* s : {&metrics, &layers, &hist, &losses}) {
    ASSERT_FALSE(s->empty());
    EXPECT_EQ(s->back(), '\n');
  }
  const int rows = count_lines(metrics) - 1;  // 2 networks per logged step
  EXPECT_GE(rows, 8);
  EXPECT_EQ(count_lines(layers) - 1, rows * 3);      // 3 hidden layers
  EXPECT_EQ(count_lines(hist) - 1, rows * 3 * 3);    // 3 taps each
  EXPECT_GE(count_lines(losses) - 1, (rows / 2 - 1) * 50);
  EXPECT_TRUE(fs::exists(fs::path(out) / "config.json"));
  fs::remove_all(dir);
}
