#pragma once
// Helpers shared by the renderers of the analyses beyond the pooled fit (internal to the report
// layer): intervals, p-values, CSV quoting and rows, the diagnostics list.

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "evident/effect/diagnostic.hpp"
#include "report/format.hpp"

namespace evident::detail {

inline std::string bracket(double lb, double ub, int digits, const char* suffix = "") {
  return fmt::format("[{}{}, {}{}]", fixed(lb, digits), suffix, fixed(ub, digits), suffix);
}

// "= 0.0123", or "< .0001", as metafor prints a p-value after a test statistic.
inline std::string p_text(double p) {
  return p < 1e-4 ? std::string("< .0001") : "= " + pvalue(p);
}

inline void write_csv(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  for (std::size_t i = 0; i < header.size(); ++i)
    out << (i ? "," : "") << header[i];
  out << '\n';
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i)
      out << (i ? "," : "") << row[i];
    out << '\n';
  }
}

inline void write_diagnostics(const std::vector<Diagnostic>& diagnostics, std::ostream& out) {
  if (diagnostics.empty()) return;
  out << "\nDiagnostics:\n";
  for (const auto& d : diagnostics) {
    out << "- " << d.message;
    if (!d.study.empty() && d.message.find(d.study) == std::string::npos) {
      out << " (" << d.study << ")";
    }
    out << '\n';
  }
}

// Study labels wider than this are shortened in text tables.
inline std::string shorten(const std::string& s, std::size_t max = 32) {
  if (s.size() <= max) return s;
  return s.substr(0, max - 3) + "...";
}

}  // namespace evident::detail
