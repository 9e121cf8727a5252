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
};

}  // namespace evident
