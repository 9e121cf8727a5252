#pragma once
/// \file
/// The design matrix of a meta-regression as the model reads it: built from moderators by the
/// effect-size layer (moderators.hpp), fitted by the model layer (metareg.hpp).

#include <cstddef>
#include <span>

namespace evident {

/// A k x p design matrix stored row by row: element (i, j) is `values[i * p + j]`.
struct DesignView {
  std::span<const double> values;
  std::size_t p = 1;

  [[nodiscard]] std::size_t rows() const noexcept { return p == 0 ? 0 : values.size() / p; }
  [[nodiscard]] double operator()(std::size_t i, std::size_t j) const { return values[i * p + j]; }

  /// Whether the first column is an intercept: every value 1 to within 1e-8, metafor's test
  /// (.is.intercept). A model without one tests every coefficient in QM and has no R2.
  [[nodiscard]] bool has_intercept() const noexcept {
    if (p == 0) return false;
    for (std::size_t i = 0; i < rows(); ++i) {
      const double d = values[i * p] - 1.0;
      if (!(d < 1e-8 && d > -1e-8)) return false;
    }
    return true;
  }

  /// The first coefficient QM tests (0-based): 1 after an intercept, 0 without one or when the
  /// intercept is the only coefficient, metafor's default btt.
  [[nodiscard]] std::size_t first_tested() const noexcept {
    return p > 1 && has_intercept() ? 1 : 0;
  }
};

}  // namespace evident
