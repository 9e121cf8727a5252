#pragma once
/// \file
/// Trial sequential analysis (TSA): a cumulative meta-analysis monitored like a group sequential
/// trial (Wetterslev et al. 2008, J Clin Epidemiol 61:64-75; Thorlund et al. 2011, User manual
/// for Trial Sequential Analysis, Copenhagen Trial Unit). Three parts, each usable alone:
///
/// - Lan-DeMets spending functions and two-sided group sequential boundaries at any information
///   fractions, by the recursive numerical integration of Armitage, McPherson & Rowe (1969) in
///   the form of Jennison & Turnbull (2000), Group Sequential Methods with Applications to
///   Clinical Trials, chapter 19; beta-spending futility boundaries (an inner wedge).
/// - The required information size for a binary or continuous outcome, with the diversity (D2)
///   or heterogeneity (I2) adjustment.
/// - Monitoring: the cumulative z statistics of a cumulative meta-analysis against those
///   boundaries, the TSA-adjusted confidence interval and the conclusion.
///
/// Notation: t is the information fraction (accrued / required information; it may exceed 1),
/// Z_j the cumulative z statistic at look j. Under the canonical joint distribution (Jennison &
/// Turnbull 2000, ch. 3) the Z_j are normal with independent increments, E Z_j =
/// theta sqrt(t_j) and Cov(Z_i, Z_j) = sqrt(t_i / t_j) for t_i <= t_j.
///
/// Every function is pure and thread-safe, allocates only its result and scratch vectors, and
/// never throws: invalid input gives `ok == false` with a message, numerical outcomes are data.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evident/methods/benefit.hpp"

namespace evident {

// ---- spending functions -----------------------------------------------------------------------

/// Lan & DeMets (1983, Biometrika 70:659-663) spending functions of a one-sided error `e`:
/// O'Brien-Fleming type e(t) = 2 - 2 Phi(z_{1-e/2} / sqrt(t)); Pocock type
/// e(t) = e log(1 + (e_Euler - 1) t).
enum class SpendingFunction { obrien_fleming, pocock };

/// "obf" or "pocock".
[[nodiscard]] std::string_view spending_function_name(SpendingFunction f) noexcept;
/// From "obf" (or "obrien-fleming") and "pocock", case-insensitive; nullopt if unknown.
[[nodiscard]] std::optional<SpendingFunction> parse_spending_function(
    std::string_view name) noexcept;

/// The error a one-sided test of level `total` has spent by information fraction t: 0 for
/// t <= 0, `total` for t >= 1 (so the error left is spent at the first look with t >= 1, as
/// TSA does). The two-sided symmetric boundaries spend total = alpha / 2 on each side, so that
/// O'Brien-Fleming's type spends 4 - 4 Phi(z_{1-alpha/4} / sqrt(t)) in all, as TSA, RTSA and
/// gsDesign do; this gives the published 4.877, 3.357, 2.680, 2.290, 2.031 at five equally
/// spaced looks and alpha = 0.05.
[[nodiscard]] double spent_error(SpendingFunction f, double total, double t) noexcept;

// ---- group sequential boundaries ----------------------------------------------------------------

/// Futility (beta-spending) boundaries: none, binding (the inner wedge is part of the
/// continuation region under the null too, which lowers the efficacy boundaries), or
/// non-binding (efficacy boundaries as without futility; stopping for futility is advice).
enum class FutilityRule { none, binding, nonbinding };

/// "none", "binding", "nonbinding".
[[nodiscard]] std::string_view futility_rule_name(FutilityRule r) noexcept;
/// From "none", "binding", "nonbinding" (or "non-binding"), case-insensitive.
[[nodiscard]] std::optional<FutilityRule> parse_futility_rule(std::string_view name) noexcept;

struct BoundaryOptions {
  double alpha = 0.05;  ///< two-sided type I error, alpha / 2 on each side
  SpendingFunction alpha_spending = SpendingFunction::obrien_fleming;
  FutilityRule futility = FutilityRule::none;
  /// Type II error (1 - power). It sets the drift theta = z_{1-alpha/2} + z_{1-beta} of the
  /// alternative at t = 1 (the drift of a fixed design with this power at the required
  /// information), and is spent by `beta_spending` on the futility boundaries.
  double beta = 0.20;
  SpendingFunction beta_spending = SpendingFunction::obrien_fleming;
  /// Jennison & Turnbull's grid parameter r (ch. 19): 6r - 1 points per look around the
  /// mean, 2r/3 per standard deviation within 3 of it, plus the midpoints for Simpson's rule.
  /// At r = 32 the boundaries of designs with looks at least 0.1 apart agree with r = 128 to
  /// about 1e-7; looks much closer together (a small trial after a large one) with boundaries
  /// above 3 fall in the grid's logarithmically spaced tails, where r = 32 errs by up to about
  /// 1e-5 and r = 128 by about 1e-7.
  int grid = 32;

  /// Empty if the options are valid, else what is wrong.
  [[nodiscard]] std::optional<std::string> validate() const;
};

/// Notes on boundaries, as bit flags.
enum SequentialNote : std::uint32_t {
  kSequentialNoteNone = 0,
  /// At an interim look the beta to spend exceeded the probability still in play under the
  /// alternative: the futility boundary was set to the efficacy boundary (every path stops).
  kSequentialNoteFutilityClosed = 1u << 0,
  /// Binding futility left less probability in play under the null than the alpha to spend:
  /// the efficacy boundary was set to 0 and the crossing probability falls short of it.
  kSequentialNoteAlphaShort = 1u << 1,
};

/// Two-sided symmetric boundaries: stop for benefit or harm at look j when |Z_j| >= efficacy[j],
/// for futility when |Z_j| < futility[j]. Looks after `final_look` are outside the monitoring
/// (no error is left): efficacy +inf, futility NaN.
struct Boundaries {
  bool ok = false;
  std::string message;  ///< why not ok
  std::vector<double> t;
  /// b_j with P_0(|Z_j| >= b_j, no earlier stop) = alpha(t_j) - alpha(t_{j-1}); +inf where no
  /// alpha is spent: after the final look, and where so little is to be spent that the
  /// single-look boundary would exceed 12 (a two-sided p below 4e-33; very small t with
  /// O'Brien-Fleming's function), which no path crosses and the grid cannot resolve.
  std::vector<double> efficacy;
  /// a_j with P_theta(|Z_j| < a_j, no earlier stop) = beta(t_j) - beta(t_{j-1}), at most b_j,
  /// and a = b at the final look (the wedge closes); NaN without futility boundaries.
  std::vector<double> futility;
  std::vector<double> alpha_spent;  ///< cumulative two-sided alpha(min(t_j, 1))
  /// P_0(|Z_j| >= b_j, no earlier stop) by the integration: alpha_spent's increments up to the
  /// root finder's tolerance (unless kSequentialNoteAlphaShort).
  std::vector<double> alpha_crossing;
  std::vector<double> beta_spent;  ///< cumulative beta(min(t_j, 1)); NaN without futility
  /// P_theta(|Z_j| < a_j, no earlier stop); NaN without futility.
  std::vector<double> futility_crossing;
  double drift = 0.0;  ///< theta
  /// With futility boundaries: P_theta(Z_j >= b_j at some look before any other stop). Without
  /// an inflated information size it is below 1 - beta. NaN without futility.
  double power = 0.0;
  std::size_t final_look = 0;  ///< first look with t >= 1; t.size() if none
  std::uint32_t notes = kSequentialNoteNone;
};

/// The boundaries at information fractions t (finite, positive, strictly increasing). Each b_j
/// and a_j is a root (Newton steps in a bracket, to 1e-13) of a probability computed by
/// Jennison & Turnbull's recursion (2000, ch. 19): the sub-density of Z_j on the
/// continuation region, g_j(z) = sum_i w_i g_{j-1}(z_i) sqrt(t_j / d_j)
/// phi((z sqrt(t_j) - z_i sqrt(t_{j-1}) - theta d_j) / sqrt(d_j)), d_j = t_j - t_{j-1},
/// integrated by Simpson's rule on their grid cut at the boundaries.
[[nodiscard]] Boundaries group_sequential_boundaries(std::span<const double> t,
                                                     const BoundaryOptions& options);

/// Exit probabilities of given boundaries, by the same recursion.
struct ExitProbabilities {
  bool ok = false;
  std::string message;
  std::vector<double> upper;     ///< P(Z_j >= b_j, no earlier stop)
  std::vector<double> lower;     ///< P(Z_j <= -b_j, no earlier stop)
  std::vector<double> futility;  ///< P(|Z_j| < a_j, no earlier stop); 0 without a wedge
};

/// The probabilities of stopping at each look under drift theta (E Z_j = theta sqrt(t_j)) for
/// efficacy boundaries b (+inf: none) and an optional futility wedge a (empty, or one per look;
/// NaN or 0: none at that look). Paths stop at every boundary given, so pass no wedge for the
/// alpha of non-binding designs.
[[nodiscard]] ExitProbabilities exit_probabilities(std::span<const double> t,
                                                   std::span<const double> efficacy,
                                                   std::span<const double> futility, double theta,
                                                   int grid = 32);

// ---- required information size -------------------------------------------------------------

/// The correction of the information size for between-trial variation.
enum class HeterogeneityCorrection {
  none,
  /// Diversity D2 = (v_R - v_F) / v_R of the pooled estimate's variances under the random- and
  /// common-effect models (Wetterslev et al. 2009, BMC Med Res Methodol 9:86): the information
  /// size that makes a random-effects meta-analysis as informative as the common-effect one.
  diversity,
  /// Inconsistency I2 (Higgins & Thompson 2002) in place of D2, as Wetterslev et al. (2008)
  /// first proposed; I2 <= D2, so it asks for fewer participants.
  inconsistency,
};

[[nodiscard]] std::string_view heterogeneity_correction_name(HeterogeneityCorrection c) noexcept;
[[nodiscard]] std::optional<HeterogeneityCorrection> parse_heterogeneity_correction(
    std::string_view name) noexcept;

struct InformationSizeOptions {
  double alpha = 0.05;  ///< two-sided
  double power = 0.80;  ///< 1 - beta
  HeterogeneityCorrection correction = HeterogeneityCorrection::none;
  /// D2 or I2 as a fraction in [0, 1) (not percent), for the chosen correction.
  double heterogeneity = 0.0;
};

struct InformationSize {
  bool ok = false;
  std::string message;
  /// Participants (both groups, 1:1 allocation) of a single trial with the given alpha and
  /// power; not rounded (round up to show it).
  double unadjusted = 0.0;
  HeterogeneityCorrection correction = HeterogeneityCorrection::none;
  double heterogeneity = 0.0;      ///< the D2 or I2 used
  double adjustment_factor = 1.0;  ///< 1 / (1 - heterogeneity)
  double adjusted = 0.0;           ///< unadjusted * adjustment_factor: what is monitored
};

/// Binary outcome (Wetterslev et al. 2008; Thorlund et al. 2011, sections 2-3):
/// 4 (z_{1-alpha/2} + z_{1-beta})^2 P (1 - P) / delta^2 with the control risk P_C, the
/// intervention risk P_E = P_C (1 - RRR), delta = P_C - P_E and P = (P_C + P_E) / 2.
/// Needs 0 < P_C < 1 and 0 < |RRR|, P_E < 1 (a negative RRR is an increase in risk).
[[nodiscard]] InformationSize information_size_binary(double control_risk,
                                                      double relative_risk_reduction,
                                                      const InformationSizeOptions& options);

/// Continuous outcome (Thorlund et al. 2011, sections 2-3): 4 (z_{1-alpha/2} + z_{1-beta})^2
/// sd^2 / delta^2 for a mean difference delta != 0 and a standard deviation sd > 0.
[[nodiscard]] InformationSize information_size_continuous(double mean_difference, double sd,
                                                          const InformationSizeOptions& options);

/// D2 = (v_R - v_F) / v_R (Wetterslev et al. 2009) from the variances of the pooled
/// estimate under the random-effects (v_R) and common-effect (v_F) models, set to 0 when
/// v_R <= v_F; NaN unless both are positive and finite.
[[nodiscard]] double diversity(double variance_random, double variance_common) noexcept;

// ---- monitoring a cumulative meta-analysis ----------------------------------------------------

/// What the monitoring says.
enum class Conclusion {
  benefit,   ///< the efficacy boundary was crossed in the direction of benefit
  harm,      ///< ... in the direction of harm
  futility,  ///< the futility wedge was entered: no effect of the anticipated size
  /// The required information was reached without crossing (without futility boundaries).
  information_size_reached,
  not_yet,  ///< no boundary crossed and fewer participants than required
};

/// "benefit", "harm", "futility", "information_size_reached", "not_yet".
[[nodiscard]] std::string_view conclusion_name(Conclusion c) noexcept;

struct SequentialOptions {
  BoundaryOptions boundaries;
  /// The required information size in participants (InformationSize::adjusted).
  double information_size = 0.0;
  Benefit benefit = Benefit::lower;
};

struct SequentialAnalysis {
  bool ok = false;
  std::string message;
  std::vector<double> z;                     ///< estimate_j / se_j
  std::vector<double> information_fraction;  ///< participants_j / information size
  Boundaries boundaries;                     ///< at the information fractions
  /// Per look the TSA-adjusted interval estimate_j -/+ b_j se_j (infinite where b_j is).
  std::vector<double> ci_lb, ci_ub;
  /// First looks with Z_j >= b_j, Z_j <= -b_j and |Z_j| < a_j, up to the final look.
  std::optional<std::size_t> first_upper, first_lower, first_futility;
  /// Decided by the first look that crosses a boundary (efficacy before futility at the same
  /// look, which cannot both hold); else information_size_reached at the final look, or
  /// not_yet.
  Conclusion conclusion = Conclusion::not_yet;
  std::optional<std::size_t> decisive_look;  ///< where the conclusion was reached
  /// Information size less the participants accrued, when not_yet; else 0.
  double participants_needed = 0.0;
  /// The TSA-adjusted interval of the last look, as the TSA manual defines it: its
  /// estimate -/+ the final monitoring boundary (the last look's, or the final look's once the
  /// information size is passed) times its SE; infinite while that boundary is.
  double adjusted_z = 0.0;
  double adjusted_ci_lb = 0.0, adjusted_ci_ub = 0.0;
};

/// Monitors cumulative meta-analyses given in study order: per look the cumulative estimate, its
/// standard error (positive) and the cumulative number of participants (positive, strictly
/// increasing; the information fractions are participants / information size).
[[nodiscard]] SequentialAnalysis trial_sequential_analysis(std::span<const double> estimate,
                                                           std::span<const double> se,
                                                           std::span<const double> participants,
                                                           const SequentialOptions& options);

}  // namespace evident
