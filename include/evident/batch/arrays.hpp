#pragma once
/// \file
/// Many meta-analyses from arrays in memory (numpy arrays, a simulation's own buffers): the
/// effect sizes and sampling variances of every study end to end, and where each analysis
/// starts. The results come back as columns, one per column of `evident batch`, with the numbers
/// `evident batch` writes for the same analyses (and `fit` gives for each alone), for any thread
/// count.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evident/methods/fields.hpp"
#include "evident/model/fit.hpp"

namespace evident {

/// One result column: `numbers` for FieldType::number, `integers` for counts, `texts` for
/// labels (views of static names, valid for the life of the program).
struct ResultColumn {
  std::string_view name;
  FieldType type = FieldType::number;
  std::vector<double> numbers;
  std::vector<std::int64_t> integers;
  std::vector<std::string_view> texts;
};

/// The results of batch_arrays, one row per analysis. An analysis that could not be fitted has
/// its error in `errors` and NaN (numbers), -1 (integers) or "" (texts) in the columns.
struct BatchArrays {
  std::size_t analyses = 0;
  /// k, estimate, se, zval (tval with Knapp-Hartung), pval, ci_lb, ci_ub, pi_lb, pi_ub, tau2,
  /// tau2_se, I2, H2, Q, Q_df, Q_p, iterations, termination: the columns of `evident batch`.
  std::vector<ResultColumn> columns;
  /// Per analysis, its diagnostic codes, each once, separated by ';' (as `evident batch`).
  std::vector<std::string> diagnostics;
  /// Per analysis, why it has no result; empty when it was fitted.
  std::vector<std::string> errors;

  /// The column of this name; nullptr if there is none.
  [[nodiscard]] const ResultColumn* column(std::string_view name) const noexcept;
};

/// Fits analysis j to yi[offsets[j] .. offsets[j + 1]) and vi over the same range, for every j <
/// offsets.size() - 1. A study with NaN in yi or vi is missing and left out (the analysis gets
/// the row_excluded_missing code); an infinite yi, a vi that is not positive and finite, or
/// values beyond what double precision can pool end that analysis only, with its error, as does
/// an analysis left without studies. `options.method` must pool yi and vi (not MH or PETO).
/// `threads` as BatchOptions::threads (0: one per core); the results do not depend on it.
///
/// Throws InputError (and nothing else but std::bad_alloc) when the call cannot be answered at
/// all: offsets that do not start at 0, decrease, or end elsewhere than at yi.size(); yi and vi of
/// different lengths; invalid options. Thread-safe; the arrays are only read.
[[nodiscard]] BatchArrays batch_arrays(std::span<const double> yi, std::span<const double> vi,
                                       std::span<const std::size_t> offsets,
                                       const FitOptions& options, unsigned threads = 0);

}  // namespace evident
