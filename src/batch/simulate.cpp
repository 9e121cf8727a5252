#include "evident/batch/simulate.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <numbers>
#include <ostream>
#include <random>

#include "io/output_file.hpp"

namespace evident {

std::optional<std::string> SimulateOptions::validate() const {
  if (analyses == 0) return "--analyses must be at least 1";
  if (k == 0) return "--k must be at least 1";
  if (!std::isfinite(mu)) return "--mu must be a finite number";
  if (!(tau2 >= 0.0) || !std::isfinite(tau2)) return "--tau2 must be 0 or positive";
  if (!(vi_min > 0.0) || !std::isfinite(vi_max) || !(vi_max >= vi_min)) {
    return "the sampling variances need 0 < --vi-min <= --vi-max";
  }
  return std::nullopt;
}

namespace {

// Uniform on (0, 1) from the top 53 bits: never 0, so its log is finite.
class Draws {
 public:
  explicit Draws(std::uint64_t seed) : engine_(seed) {}

  double uniform() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53; }
  // Box-Muller (1958), both values of each pair used in turn.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double angle = 2.0 * std::numbers::pi * uniform();
    spare_ = r * std::sin(angle);
    has_spare_ = true;
    return r * std::cos(angle);
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace

void simulate(const SimulateOptions& o, std::ostream& out) {
  Draws draws(o.seed);
  const double tau = std::sqrt(o.tau2);
  std::string buffer = "id,study,yi,vi\n";
  constexpr std::size_t kFlush = std::size_t{1} << 20;
  for (std::uint64_t a = 1; a <= o.analyses; ++a) {
    for (std::uint64_t i = 1; i <= o.k; ++i) {
      const double vi = o.vi_min + (o.vi_max - o.vi_min) * draws.uniform();
      const double theta = o.mu + tau * draws.normal();
      const double yi = theta + std::sqrt(vi) * draws.normal();
      fmt::format_to(std::back_inserter(buffer), "{},{},{},{}\n", a, i, yi, vi);
      // Written a megabyte at a time, within an analysis too: one of 10^7 studies would
      // otherwise be held whole (half a gigabyte).
      if (buffer.size() >= kFlush) {
        out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        buffer.clear();
        if (!out) return;  // the caller checks the stream (a full disk, a closed pipe)
      }
    }
  }
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
}

void simulate_file(const SimulateOptions& options, const std::string& path) {
  detail::OutputFile file(path);
  simulate(options, file.stream());
  file.commit();
}

}  // namespace evident
