#pragma once
// A progress bar on standard error, for long runs on a terminal only: it stays silent when
// standard error is a file or a pipe, and appears only once a run has lasted a moment, so quick
// runs print nothing extra.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
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

  /// For work measured in bytes of input (a batch run): the share of the input read, the items
  /// done, their rate and the estimated time left. `total_bytes` 0 (standard input): no bar.
  void update_rate(std::uint64_t items, std::uint64_t bytes, std::uint64_t total_bytes,
                   std::string_view what) {
    if (!enabled_) return;
    using namespace std::chrono;
    const auto now = steady_clock::now();
    const double seconds = duration<double>(now - start_).count();
    if (!shown_ && seconds < duration<double>(kDelay).count()) return;
    // A batch reports after every chunk, hundreds of times a second: redraw ten times a second.
    if (shown_ && now - last_draw_ < milliseconds(100)) return;
    last_draw_ = now;
    const double rate = seconds > 0.0 ? static_cast<double>(items) / seconds : 0.0;
    std::string line = "\r";
    if (total_bytes > 0) {
      constexpr std::size_t kWidth = 24;
      const double share =
          std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_bytes));
      const auto filled = static_cast<std::size_t>(share * kWidth);
      line += '[';
      line.append(filled, '#').append(kWidth - filled, '-');
      line += "] ";
      line += std::to_string(static_cast<int>(share * 100.0));
      line += "% ";
    }
    line += std::to_string(items);
    line += ' ';
    line += what;
    line += ", ";
    line += std::to_string(static_cast<long long>(rate));
    line += "/s";
    if (total_bytes > 0 && bytes > 0) {
      const double share =
          std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_bytes));
      line += ", ETA ";
      line += std::to_string(static_cast<long long>(seconds * (1.0 - share) / share + 0.5));
      line += 's';
    }
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
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace evident::cli
