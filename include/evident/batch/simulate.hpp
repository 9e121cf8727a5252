#pragma once
/// \file
/// Simulated batches of meta-analyses, so anyone can reproduce evident's benchmarks without data.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace evident {

/// The random-effects model yi = mu + ui + ei, ui ~ N(0, tau2), ei ~ N(0, vi), with vi drawn
/// uniformly from [vi_min, vi_max].
struct SimulateOptions {
  std::uint64_t analyses = 1000;       ///< number of meta-analyses
  std::uint64_t k = 10;                ///< studies per analysis
  double mu = 0.0;                     ///< true mean effect
  double tau2 = 0.1;                   ///< between-study variance
  double vi_min = 0.01, vi_max = 0.1;  ///< range of the sampling variances
  std::uint64_t seed = 1;

  /// Empty if the options are valid, else what is wrong.
  [[nodiscard]] std::optional<std::string> validate() const;
};

/// Writes long-format CSV: `id,study,yi,vi`, one row per study, analyses numbered from 1. The
/// output depends only on the options: the generator is std::mt19937_64 with evident's own uniform
/// and normal transforms (the standard library's distributions differ between implementations),
/// and numbers are written with the fewest digits that read back to the same double.
void simulate(const SimulateOptions& options, std::ostream& out);

/// The same into the file `path`, written under a temporary name and renamed when complete, so
/// an interrupted run never leaves a partial file under `path` (as `run_batch_file`). Throws
/// InputError when the file cannot be written.
void simulate_file(const SimulateOptions& options, const std::string& path);

}  // namespace evident
