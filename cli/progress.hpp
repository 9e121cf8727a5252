#pragma once
// A progress bar on standard error, for long runs on a terminal only: it stays silent when
// standard error is a file or a pipe, and appears only once a run has lasted a moment, so quick
// runs print nothing extra.

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

namespace evident::cli {

class Progress {
 public:
  /// `enabled`: standard error is a terminal.
  Progress(std::ostream& err, bool enabled) : err_(err), enabled_(enabled) {}
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() { clear(); }

  void update(std::size_t done, std::size_t total, std::string_view what) {
    if (!enabled_ || total == 0) return;
    using namespace std::chrono;
    if (!shown_ && steady_clock::now() - start_ < kDelay) return;
    constexpr std::size_t kWidth = 24;
    const std::size_t filled = done * kWidth / total;
    std::string line = "\r[" + std::string(filled, '#') + std::string(kWidth - filled, '-') + "] " +
                       std::to_string(done) + "/" + std::to_string(total) + " ";
    line += std::string(what.substr(0, 40));
    err_ << line << "\033[K" << std::flush;
    shown_ = true;
  }

  void clear() {
    if (shown_) err_ << "\r\033[K" << std::flush;
    shown_ = false;
  }

 private:
  // Runs shorter than this show no bar at all.
  static constexpr std::chrono::milliseconds kDelay{300};
  std::ostream& err_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace evident::cli
