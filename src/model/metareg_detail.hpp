#pragma once
// Internals of the meta-regression shared with the methods layer (Q-profile intervals). Internal
// to the library; no Eigen here, so including this stays cheap.

#include <span>

#include "evident/model/metareg.hpp"
#include "model/tau2.hpp"

namespace evident::detail {

// The tau2 >= 0 at which the generalised residual Q statistic y'P(tau2)y equals `target`, for
// the design `x`. y'Py decreases strictly in tau2 (its derivative is -y'PPy), so the root is
// unique; it is 0 (termination `boundary`) when y'P(0)y <= target. The bracket's upper end uses
// y'P(t)y <= RSS_ols / t (the weighted residual sum of squares at the least squares fit is below
// that of any other fit, the unweighted one included), which always holds. termination
// `max_iterations` with tau2 = NaN if X'WX is singular.
// `threads` as FitOptions::threads.
QRoot solve_generalized_q(std::span<const double> y, std::span<const double> v, DesignView x,
                          double target, double tolerance, int max_iterations,
                          unsigned threads = 1);

}  // namespace evident::detail
