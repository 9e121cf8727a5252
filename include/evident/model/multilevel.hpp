#pragma once
/// \file
/// Multilevel meta-analysis: several variance components, nested or crossed, and sampling
/// covariances between estimates (metafor's rma.mv with `random = ~ 1 | a/b` and a V matrix).
///
/// Model (Konstantopoulos 2011, Res Synth Methods 2:61-76; Viechtbauer 2010, J Stat Softw 36(3),
/// section 3.4): y = X beta + sum_j Z_j u_j + e, e ~ N(0, V) with V known, u_j ~ N(0, sigma2_j I)
/// for each variance component j, Z_j the indicator matrix of the levels of its grouping factor.
/// The marginal covariance is M = V + sum_j sigma2_j Z_j Z_j'. It is block-diagonal: two
/// estimates are in one block when they share a level of some component or a sampling
/// covariance, and every quantity of the fit is a sum over blocks, so one evaluation of the
/// likelihood costs the sum of the blocks' sizes cubed, never k x k.
///
/// The variance components are estimated by maximising the restricted (REML) or full (ML)
/// likelihood (Harville 1977, J Am Stat Assoc 72:320-338): Fisher scoring with the expected
/// information, every step checked to raise the likelihood (halved until it does), variance
/// components held at 0 where the likelihood falls in every direction into the boundary (the
/// Karush-Kuhn-Tucker conditions). beta is the generalised least squares estimate at the
/// estimated components.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evident/effect/design.hpp"
#include "evident/model/fit.hpp"

namespace evident {

/// One variance component: the level of its grouping factor for each estimate.
struct VarianceComponent {
  std::string name;                  ///< metafor's name: "district", "district/school"
  std::vector<std::uint32_t> level;  ///< per estimate, 0 .. levels - 1
  std::uint32_t levels = 0;
};

/// The covariance structure of a correlated random effect (metafor's struct), for the levels of
/// an inner factor within each level of an outer one: u[outer, inner] ~ N(0, G) independently
/// across the outer levels, G_lm = tau_l tau_m corr(l, m) with corr(l, l) = 1 and, for l != m,
///   CS   one tau2, corr = rho             HCS  tau2 per level, corr = rho
///   UN   tau2 per level, a rho per pair  ID   one tau2, corr = 0
///   DIAG tau2 per level, corr = 0        AR   one tau2, corr = rho^|l - m| (l, m the levels'
///   HAR  tau2 per level, corr = rho^|l - m|    positions in order: equally spaced times)
/// (Viechtbauer 2010, and metafor's rma.mv documentation, section "Specifying Random Effects").
enum class Structure : std::uint8_t { CS, HCS, UN, ID, DIAG, AR, HAR };

[[nodiscard]] std::string_view structure_name(Structure s) noexcept;
/// How many tau2 and rho a structure has for `levels` inner levels.
[[nodiscard]] std::size_t structure_tau2_count(Structure s, std::size_t levels) noexcept;
[[nodiscard]] std::size_t structure_rho_count(Structure s, std::size_t levels) noexcept;

/// A correlated random effect `~ inner | outer` with a structure: per estimate the level of the
/// inner factor (0 .. inner_levels - 1, in the order of G's rows) and of the outer one.
struct StructuredComponent {
  std::string name;  ///< "outcome | study"
  Structure structure = Structure::CS;
  std::vector<std::uint32_t> inner, outer;
  std::uint32_t inner_levels = 0, outer_levels = 0;
};

/// A sampling covariance between two estimates (row != col; each pair given once, either order).
struct SamplingCovariance {
  std::size_t row = 0;
  std::size_t col = 0;
  double value = 0.0;
};

/// The data of a multilevel model; the spans must outlive the fit.
struct MultilevelData {
  std::span<const double> yi;
  std::span<const double> vi;                       ///< sampling variances: the diagonal of V
  std::span<const SamplingCovariance> covariances;  ///< off the diagonal of V; absent = 0
  DesignView x;                                     ///< k x p, as for fit_metareg
  std::span<const VarianceComponent> components;    ///< at least one, or a structured one
  const StructuredComponent* structured = nullptr;  ///< at most one; null: none
};

/// The options of a multilevel fit.
struct MultilevelOptions {
  Method method = Method::REML;  ///< REML or ML
  /// z, or t: t and F tests with k - p degrees of freedom (metafor's test = "t"; no scaling).
  Test test = Test::z;
  double level = 95.0;
  /// Scoring stops when no step changes a variance component by more than this relative to
  /// max(sigma2_j, mean of the sampling variances); the last step then refines it further.
  double tolerance = 1e-12;
  int max_iterations = 1000;
  /// Profile-likelihood intervals for each variance component (as metafor's confint).
  bool profile = false;
  /// Blocks larger than this are refused: their k x k covariance would not fit in memory.
  std::size_t max_block = 8000;
};

enum class MultilevelStatus : std::uint8_t {
  ok,
  rank_deficient,         ///< X'WX is singular
  too_few_estimates,      ///< k <= p
  not_positive_definite,  ///< a block of V is not positive definite (`bad_row` names a row)
  block_too_large,        ///< a block exceeds MultilevelOptions::max_block (`bad_row`)
};

/// The result of fit_multilevel: what metafor's rma.mv prints. When `status` is not ok only
/// status, bad_row, k, p, method, test and level are meaningful.
struct MultilevelFit {
  MultilevelStatus status = MultilevelStatus::ok;
  std::size_t bad_row = 0;  ///< a row of the block that failed (0-based)
  Method method = Method::REML;
  Test test = Test::z;
  double level = 95.0;
  std::size_t k = 0;
  std::size_t p = 0;

  std::vector<double> beta, se, stat, pval, ci_lb, ci_ub;
  std::vector<double> vb;  ///< (X'WX)^-1, p x p row by row
  double df = 0.0;         ///< k - p with Test::t; NaN for z

  std::vector<double> sigma2;     ///< one per component
  std::vector<bool> at_boundary;  ///< sigma2_j at 0 (estimated there, or held)
  /// sigma2_j held at 0 without estimation: its factor has a single level (metafor does the same)
  std::vector<bool> held;
  std::vector<std::uint32_t> levels;         ///< levels of each component
  std::vector<double> sigma2_lb, sigma2_ub;  ///< profile intervals (MultilevelOptions::profile)
  /// The structured component's variances and correlations (empty without one): tau2 one per
  /// inner level (HCS, UN, DIAG, HAR) or one in all; rho one (CS, HCS, AR, HAR), one per pair of
  /// levels in the order (1,2), (1,3), ..., (2,3), ... (UN), or none (ID, DIAG). Profile
  /// intervals are not computed for them.
  std::vector<double> tau2, rho;

  /// Omnibus Wald test of the coefficients but the intercept (all of them without one): chi2 on
  /// QM_df, or with Test::t QM / QM_df against F(QM_df, k - p).
  double QM = 0.0, QM_df = 0.0, QM_p = 0.0;
  /// Residual heterogeneity: r'V^-1 r with r the residuals of the generalised least squares fit
  /// under V alone, against chi2(k - p).
  double QE = 0.0, QE_df = 0.0, QE_p = 0.0;
  double logLik = 0.0, deviance = 0.0, AIC = 0.0, BIC = 0.0, AICc = 0.0;

  /// Each estimate's share of the weight in percent, 100 W_ii / tr(W) with W = M^-1 at the
  /// estimates (metafor's weights() of an rma.mv fit, type "diagonal").
  std::vector<double> weight;
  std::size_t blocks = 0;         ///< independent blocks of the marginal covariance
  std::size_t largest_block = 0;  ///< estimates in the largest
  Termination termination = Termination::converged;
  int iterations = 0;
};

/// Fits the model. Requirements: yi, vi and the components' levels of the same length k, vi
/// positive and finite, x k x p with full column rank (else rank_deficient). Never throws on
/// data; an unusual outcome is in `status`. Thread-safe.
[[nodiscard]] MultilevelFit fit_multilevel(const MultilevelData& data,
                                           const MultilevelOptions& options);

/// The (restricted) log-likelihood of the model at the variance components `sigma2` (one per
/// component, each >= 0) and, with a structured component, at its `tau2` and `rho` (counted as
/// structure_tau2_count and structure_rho_count say), as fit_multilevel maximises it; NaN when the
/// data cannot be fitted (see MultilevelStatus). For profiles and checks of the optimum.
[[nodiscard]] double multilevel_log_likelihood(const MultilevelData& data,
                                               const MultilevelOptions& options,
                                               std::span<const double> sigma2,
                                               std::span<const double> tau2 = {},
                                               std::span<const double> rho = {});

/// Cluster-robust (sandwich) inference for a multilevel fit (metafor's robust()).
enum class SmallSample : std::uint8_t {
  CR1,  ///< the sandwich times n / (n - p), t and F tests with n - p df (n clusters)
  /// Bias-reduced linearisation (Bell & McCaffrey 2002; Tipton 2015, Psychol Methods 20:375-393)
  /// with the model as working covariance, Satterthwaite degrees of freedom per coefficient
  /// (Tipton 2015, eq. 11), as clubSandwich's CR2 (metafor's robust(..., clubSandwich = TRUE)).
  CR2,
};

[[nodiscard]] std::string_view small_sample_name(SmallSample s) noexcept;

struct RobustFit {
  SmallSample small_sample = SmallSample::CR1;
  std::size_t n_clusters = 0;
  std::vector<double> se, stat, df, pval, ci_lb, ci_ub;
  std::vector<double> vb;  ///< the robust covariance of beta, p x p
  /// The omnibus test of the moderators: F on (QM_df, QM_ddf). CR2 with more than one
  /// coefficient tested needs the Hotelling T^2 approximation (HTZ), not computed: NaN.
  double QM = 0.0, QM_df = 0.0, QM_ddf = 0.0, QM_p = 0.0;
};

/// The sandwich estimate of the covariance of `fit.beta`, clustered by `cluster` (one id per
/// estimate; ids need not be consecutive). Needs more clusters than coefficients.
[[nodiscard]] RobustFit robust_multilevel(const MultilevelData& data, const MultilevelFit& fit,
                                          std::span<const std::uint32_t> cluster,
                                          SmallSample small_sample);

}  // namespace evident
