#pragma once
// The result columns of a batch, shared by the file writer (batch.cpp) and the arrays entry point
// (arrays.cpp), so both show the same fields (methods/fields.hpp) in the same order.

#include <string_view>
#include <vector>

#include "evident/effect/diagnostic.hpp"
#include "evident/methods/fields.hpp"
#include "evident/model/fit.hpp"

namespace evident::detail {

// k, estimate, se, zval or tval (by the test), pval, ci_lb, ci_ub, pi_lb, pi_ub, tau2, tau2_se,
// I2, H2, Q, Q_df, Q_p, iterations, termination.
std::vector<const Field*> batch_fields(Test test);

// The codes of `diagnostics`, each once, in the order they first appear (a row's diagnostics).
void unique_codes(const std::vector<Diagnostic>& diagnostics, std::vector<std::string_view>& codes);

}  // namespace evident::detail
