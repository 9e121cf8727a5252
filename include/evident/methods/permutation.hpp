#pragma once
/// \file
/// Permutation tests for meta-regression (metafor's permutest; Higgins & Thompson 2004, Stat Med
/// 23:1663-1682; Viechtbauer et al. 2015, Psychol Methods 20:360-374).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "evident/model/fit.hpp"
#include "evident/model/metareg.hpp"

namespace evident {

struct PermutationOptions {
  /// Number of permutations, the observed arrangement included (metafor's `iter`).
  std::size_t iterations = 1000;
  /// Seed of the random permutations; the same seed gives the same p-values on every platform.
  std::uint64_t seed = 1;
  /// Enumerate every distinct permutation instead when there are at most `iterations` of them
  /// (metafor's default: `exact = FALSE` still switches to the exact test then).
  bool exact_when_feasible = true;
};

struct PermutationTest {
  std::size_t iterations = 0;  ///< permutations evaluated (every one, when exact)
  bool exact = false;          ///< every distinct permutation was enumerated
  std::uint64_t seed = 0;
  /// Proportion of permutations whose QM is at least the observed one (less sqrt(eps), as
  /// metafor, so that ties count).
  double QM_p = 0.0;
  /// Per coefficient: proportion with |z| (or |t|) at least the observed |z|.
  std::vector<double> pval;
  std::size_t failed = 0;  ///< refits that failed (left out of the proportions, as metafor)
};

/// The permutation test of `fit` (fitted to `yi`, `vi`, `x` with `options`). With moderators the
/// rows of X are permuted, which breaks any link between moderators and effects while keeping
/// each study's effect with its variance; without moderators (p = 1) the signs of the yi are
/// flipped instead, as metafor. The observed arrangement is the first of the random ones.
/// Deterministic for a given seed; never throws (a refit that fails is counted in `failed`).
[[nodiscard]] PermutationTest permutation_test(std::span<const double> yi,
                                               std::span<const double> vi, DesignView x,
                                               const MetaRegFit& fit, const FitOptions& options,
                                               const PermutationOptions& permutation);

}  // namespace evident
