#pragma once
/// \file
/// The priors of the Bayesian normal-normal hierarchical model (bayes.hpp; `--method BAYES
/// --prior-tau ... --prior-mu ...`), apart so FitOptions can carry them without the model.

#include <optional>
#include <string>
#include <string_view>

namespace evident {

/// Prior on the heterogeneity tau (the standard deviation of the true effects).
struct TauPrior {
  enum class Kind {
    half_normal,  ///< |N(0, scale^2)|: Friede et al. 2017, Röver et al. 2021 (scale 0.5 for log
                  ///< ORs)
    half_cauchy,  ///< |Cauchy(0, scale)|: Gelman 2006
    uniform,      ///< U(lower, upper)
    jeffreys,     ///< sqrt(sum (tau / (vi + tau^2))^2), improper (Bodnar et al. 2017, Stat Med
                  ///< 36:378-399; bayesmeta's "Jeffreys")
  };
  Kind kind = Kind::half_normal;
  double scale = 0.5;
  double lower = 0.0, upper = 0.0;

  /// The prior as `--prior-tau` writes it: halfnormal:S, halfcauchy:S, uniform:A,B, jeffreys.
  [[nodiscard]] std::string text() const;
  /// Parses that text; nullopt with `problem` set when it is not one.
  [[nodiscard]] static std::optional<TauPrior> parse(std::string_view text, std::string& problem);
  friend bool operator==(const TauPrior&, const TauPrior&) = default;
};

/// Prior on the overall mean mu: flat (improper), or N(mean, sd^2).
struct MuPrior {
  bool flat = true;
  double mean = 0.0, sd = 1.0;

  /// `flat` or `normal:M,S`.
  [[nodiscard]] std::string text() const;
  [[nodiscard]] static std::optional<MuPrior> parse(std::string_view text, std::string& problem);
  friend bool operator==(const MuPrior&, const MuPrior&) = default;
};

}  // namespace evident
