#pragma once
/// \file
/// Small-study effects and publication bias (metafor's regtest, ranktest, trimfill, fsn), the
/// PET-PEESE estimator, and the data of a contour-enhanced funnel plot.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evident/effect/diagnostic.hpp"
#include "evident/methods/summary.hpp"
#include "evident/model/fit.hpp"
#include "evident/model/metareg.hpp"

namespace evident {

/// The predictor of Egger's regression test (metafor's regtest `predictor`).
enum class EggerPredictor { sei, vi, ni, ninv };
/// The model of the test: a meta-regression with the fit's estimator and test (metafor's
/// default), or weighted least squares with a multiplicative dispersion (Egger et al. 1997).
enum class EggerModel { rma, lm };

/// Every predictor and model, in the order help texts list them.
inline constexpr EggerPredictor kEggerPredictors[] = {EggerPredictor::sei, EggerPredictor::vi,
                                                      EggerPredictor::ni, EggerPredictor::ninv};
inline constexpr EggerModel kEggerModels[] = {EggerModel::rma, EggerModel::lm};
/// metafor's names: sei, vi, ni, ninv; rma, lm.
[[nodiscard]] std::string_view egger_predictor_name(EggerPredictor p) noexcept;
[[nodiscard]] std::string_view egger_model_name(EggerModel m) noexcept;

struct EggerTest {
  bool ok = false;  ///< false when the model could not be fitted (e.g. k < 3)
  EggerPredictor predictor = EggerPredictor::sei;
  EggerModel model = EggerModel::rma;
  double stat = 0.0;  ///< z (rma with the z test) or t of the predictor's coefficient
  double df = 0.0;    ///< t degrees of freedom, NaN for z
  double pval = 0.0;
  double slope = 0.0;  ///< the predictor's coefficient
  /// The intercept: the estimate as the predictor goes to 0 (sei, vi, ninv; NaN for ni), with
  /// its confidence interval (metafor's "limit estimate").
  double limit_estimate = 0.0, limit_ci_lb = 0.0, limit_ci_ub = 0.0;
};

/// Egger's regression test (Egger et al. 1997, BMJ 315:629-634; Sterne & Egger 2005) in
/// metafor's form: the effect sizes regressed on the predictor. `ni` (sample sizes) is needed for
/// the ni and ninv predictors. `options` gives the estimator and test for EggerModel::rma.
[[nodiscard]] EggerTest regtest(std::span<const double> yi, std::span<const double> vi,
                                std::span<const double> ni, const FitOptions& options,
                                EggerPredictor predictor, EggerModel model);

struct RankTest {
  bool ok = false;
  double tau = 0.0;  ///< Kendall's tau-b
  double pval = 0.0;
  bool exact = false;  ///< exact null distribution (no ties); else normal approximation
};

/// Begg & Mazumdar's rank correlation test (Biometrics 1994, 50:1088-1101), as metafor's
/// ranktest: Kendall's tau between the standardised effects (yi - mu) / sqrt(vi - 1 / sum w)
/// (mu the common-effect estimate) and vi. The p-value is exact (the distribution of the number
/// of inversions, R's cor.test with exact = TRUE) without ties and for k <= 500; else the
/// normal approximation with R's tie correction.
[[nodiscard]] RankTest ranktest(std::span<const double> yi, std::span<const double> vi);

enum class TrimFillEstimator { L0, R0 };
enum class FunnelSide { left, right };

inline constexpr TrimFillEstimator kTrimFillEstimators[] = {TrimFillEstimator::L0,
                                                            TrimFillEstimator::R0};
inline constexpr FunnelSide kFunnelSides[] = {FunnelSide::left, FunnelSide::right};
/// L0, R0; left, right (metafor's names).
[[nodiscard]] std::string_view trimfill_estimator_name(TrimFillEstimator e) noexcept;
[[nodiscard]] std::string_view funnel_side_name(FunnelSide s) noexcept;

struct FilledStudy {
  std::string study;   ///< "Filled 1", ...
  std::string mirror;  ///< the study it reflects
  double yi = 0.0, vi = 0.0;
};

struct TrimFill {
  bool ok = false;
  TrimFillEstimator estimator = TrimFillEstimator::L0;
  FunnelSide side = FunnelSide::left;  ///< side where studies are missing
  int k0 = 0;                          ///< number of filled studies
  double se_k0 = 0.0;
  double p_k0 = 0.0;  ///< R0 only: P(R0 >= k0 | no missing studies); NaN for L0
  bool converged = true;
  int iterations = 0;
  std::vector<FilledStudy> filled;
  Fit fit;  ///< the model fitted to the observed and filled studies
};

/// Duval & Tweedie's trim-and-fill (Biometrics 2000, 56:455-463; JASA 2000, 95:89-98), as
/// metafor's trimfill: the side is where Egger's regression (yi on sqrt(vi), same estimator)
/// says studies are missing (left when the slope is positive) unless given; the k0 most extreme
/// studies on the other side are trimmed iteratively, then reflected about the trimmed estimate
/// and the model is refitted with `options`.
[[nodiscard]] TrimFill trimfill(std::span<const double> yi, std::span<const double> vi,
                                std::span<const std::string> labels, const FitOptions& options,
                                TrimFillEstimator estimator, std::optional<FunnelSide> side);

struct FailSafeN {
  double alpha = 0.05;
  /// Rosenthal (1979): studies averaging z = 0 that would make Stouffer's combined z
  /// non-significant at one-sided alpha; pval is Stouffer's one-sided p-value.
  double rosenthal = 0.0, rosenthal_pval = 0.0;
  /// Orwin (1983): studies with effect 0 that would bring the unweighted mean effect down to
  /// `orwin_target` (default half the mean).
  double orwin = 0.0, orwin_mean = 0.0, orwin_target = 0.0;
  /// Rosenberg (2005): studies that would make the common-effect estimate non-significant at
  /// two-sided alpha; pval is its two-sided p-value.
  double rosenberg = 0.0, rosenberg_pval = 0.0, rosenberg_mean = 0.0;
};

/// The fail-safe numbers of metafor's fsn (types Rosenthal, Orwin, Rosenberg), rounded up as
/// metafor rounds them.
[[nodiscard]] FailSafeN fsn(std::span<const double> yi, std::span<const double> vi,
                            double alpha = 0.05, std::optional<double> orwin_target = {});

struct RegressionEstimate {
  bool ok = false;
  double estimate = 0.0, se = 0.0, stat = 0.0, df = 0.0, pval = 0.0, ci_lb = 0.0, ci_ub = 0.0;
  double slope = 0.0, slope_pval = 0.0;
};

struct PetPeese {
  RegressionEstimate pet;    ///< intercept of yi = b0 + b1 sei (weighted least squares, 1 / vi)
  RegressionEstimate peese;  ///< intercept of yi = b0 + b1 vi
  bool use_peese = false;    ///< the conditional rule chose PEESE
  double alpha = 0.05;       ///< one-sided level of the rule
};

/// PET-PEESE (Stanley & Doucouliagos 2014, Res Synth Methods 5:60-78): both are weighted least
/// squares regressions with a multiplicative dispersion (t tests, k - 2 df). The conditional
/// estimate is PEESE's intercept when PET rejects "no effect" (H0: b0 = 0) in a one-sided test at
/// `alpha` in the direction of its estimate (two-sided p < 2 alpha), PET's intercept otherwise.
[[nodiscard]] PetPeese pet_peese(std::span<const double> yi, std::span<const double> vi,
                                 double level, double alpha = 0.05);

/// Data of a contour-enhanced funnel plot (Peters et al. 2008, J Clin Epidemiol 61:991-996):
/// studies by effect and standard error, with the regions where a study's two-sided p-value
/// crosses each level: |yi| = z(level) sei, lines through 0.
struct FunnelContour {
  double level = 0.0;  ///< significance level in percent (e.g. 5 for p = 0.05)
  double z = 0.0;      ///< two-sided critical value
};

struct FunnelData {
  std::vector<std::string> studies;
  std::vector<double> yi, sei;
  double estimate = 0.0;  ///< pooled estimate (centre of the pseudo confidence funnel)
  double sei_max = 0.0;   ///< largest standard error (the plot's lower edge)
  std::vector<FunnelContour> contours;
};

[[nodiscard]] FunnelData funnel(std::span<const std::string> labels, std::span<const double> yi,
                                std::span<const double> vi, double estimate,
                                std::span<const double> significance_levels);

/// What `evident bias` computes.
struct BiasOptions {
  EggerPredictor predictor = EggerPredictor::sei;
  EggerModel model = EggerModel::rma;
  TrimFillEstimator estimator = TrimFillEstimator::L0;
  std::optional<FunnelSide> side;
  double fsn_alpha = 0.05;
  std::optional<double> orwin_target;
  double pet_peese_alpha = 0.05;
  /// Significance levels (percent) of the funnel plot contours.
  std::vector<double> contour_levels{10.0, 5.0, 1.0};
};

struct BiasAnalysis {
  Analysis overall;
  EggerTest egger;
  RankTest begg;
  TrimFill trimfill;
  /// The trim-and-fill estimate on the natural scale of the measure (OR, RR, ...), if any.
  std::optional<BackTransformed> trimfill_back_transformed;
  FailSafeN fsn;
  PetPeese pet_peese;
  FunnelData funnel;
  std::vector<Diagnostic> diagnostics;
};

/// Fits the model and runs every bias method on it. Throws InputError for bad input (the ni or
/// ninv predictor without sample sizes).
[[nodiscard]] BiasAnalysis analyse_bias(const StudyTable& table, const AnalysisSpec& spec,
                                        const BiasOptions& options);

}  // namespace evident
