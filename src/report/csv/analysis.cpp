// CSV for spreadsheets: the pooled analysis (`evident fit --format csv`), one header row and one
// row of the JSON document's fields (methods/fields.hpp), intervals flattened to NAME_lb and
// NAME_ub, so the results of many runs can be concatenated and read by any spreadsheet.

#include <limits>
#include <ostream>
#include <string>
#include <string_view>

#include "report/csv/csv.hpp"
#include "report/format.hpp"
#include "report/json/json.hpp"

namespace evident::detail {

namespace {

// The columns, in order (docs/cli.md): they never depend on the row (a field that does not apply
// is empty), and the Mantel-Haenszel tests were appended after the others.
constexpr std::string_view kCsvFields[] = {
    "source",   "measure", "method",      "test",       "level",       "k",
    "estimate", "se",      "stat",        "df",         "pval",        "ci_lb",
    "ci_ub",    "pi_lb",   "pi_ub",       "tau2",       "tau2_se",     "tau2_ci",
    "tau",      "I2",      "I2_ci",       "H2",         "H2_ci",       "Q",
    "Q_df",     "Q_p",     "termination", "iterations", "diagnostics", "CMH",
    "CMH_p",    "tarone",  "tarone_df",   "tarone_p",   "breslow_day", "breslow_day_p"};

}  // namespace

void render_csv(const Analysis& a, std::ostream& out) {
  const PooledView v = pooled_view(a);
  std::string header, row;
  auto cell = [&](std::string_view name, const std::string& value) {
    if (!header.empty()) {
      header += ',';
      row += ',';
    }
    header += name;
    row += value;
  };
  for (std::string_view name : kCsvFields) {
    const Field& f = pooled_field(name);
    switch (f.type) {
      case FieldType::number:
        cell(name, exact(f.number(v)));
        break;
      case FieldType::count:
        cell(name, std::to_string(f.count(v)));
        break;
      case FieldType::text:
        cell(name, quote(f.text(v)));
        break;
      case FieldType::interval: {
        const auto bounds = f.interval(v);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        cell(std::string(name) + "_lb", exact(bounds ? bounds->first : nan));
        cell(std::string(name) + "_ub", exact(bounds ? bounds->second : nan));
        break;
      }
    }
  }
  out << header << '\n' << row << '\n';
}

}  // namespace evident::detail
