#pragma once
// The diagnostics a fit's notes stand for, shared by every analysis that reports a fit.

#include <cstdint>
#include <vector>

#include "evident/effect/diagnostic.hpp"
#include "evident/model/fit.hpp"

namespace evident::detail {

void add_fit_diagnostics(const Fit& f, std::vector<Diagnostic>& out);
/// The same for any result that carries FitNote bits (a meta-regression, a subgroup fit).
void add_note_diagnostics(std::uint32_t notes, Method method, int iterations,
                          std::vector<Diagnostic>& out);
/// non_finite_result when the pooled numbers are not finite and no note already says why.
void add_non_finite_diagnostic(const Fit& f, std::vector<Diagnostic>& out);

}  // namespace evident::detail
