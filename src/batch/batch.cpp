#include "evident/batch/batch.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "batch/columns.hpp"
#include "batch/fast_reader.hpp"
#include "effect/rows.hpp"
#include "evident/methods/fields.hpp"
#include "evident/methods/multilevel.hpp"
#include "io/csv_stream.hpp"
#include "io/input_file.hpp"
#include "io/number_text.hpp"
#include "io/output_file.hpp"
#include "methods/fit_notes.hpp"
#include "stats/parallel.hpp"

namespace evident {

std::optional<BatchFormat> batch_format_for_path(std::string_view path) noexcept {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           std::equal(suffix.rbegin(), suffix.rend(), path.rbegin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  };
  if (ends_with(".csv")) return BatchFormat::csv;
  if (ends_with(".jsonl")) return BatchFormat::jsonl;
  return std::nullopt;
}

namespace detail {

std::vector<const Field*> batch_fields(Test test) {
  const std::string_view stat = test == Test::knha ? "tval" : "zval";
  const std::string_view names[] = {
      "k",    "estimate", "se", stat, "pval", "ci_lb", "ci_ub", "pi_lb",      "pi_ub",
      "tau2", "tau2_se",  "I2", "H2", "Q",    "Q_df",  "Q_p",   "iterations", "termination"};
  std::vector<const Field*> fields;
  for (std::string_view name : names)
    fields.push_back(&pooled_field(name));
  return fields;
}

void unique_codes(const std::vector<Diagnostic>& diagnostics,
                  std::vector<std::string_view>& codes) {
  codes.clear();
  for (const Diagnostic& d : diagnostics) {
    const std::string_view name = diagnostic_name(d.code);
    if (std::find(codes.begin(), codes.end(), name) == codes.end()) codes.push_back(name);
  }
}

}  // namespace detail

namespace {

// Analyses per unit of parallel work: large enough that scheduling costs nothing, small enough
// that two threads share a chunk evenly.
constexpr std::size_t kBlock = 256;

// One analysis as read (general path): its rows' cells, and any problem that already rules it out.
struct Group {
  std::string id;
  std::size_t line = 0;            // first line
  std::size_t rows = 0;            // input rows
  std::size_t begin = 0, end = 0;  // its rows in Chunk::lines
  ProblemList problems;            // bad rows or values: the analysis gets an error row

  void reset(std::string_view new_id, std::size_t first_line, std::size_t start) {
    id.assign(new_id);
    line = first_line;
    rows = 0;
    begin = end = start;
    problems = ProblemList{};
  }
};

struct Chunk {
  std::vector<Group> groups;  // groups[0, n_groups): objects are reused, keeping their capacity
  std::size_t n_groups = 0;
  std::size_t rows = 0;
  // General path: the cells of each row (row-major) and its line.
  std::vector<std::string> cells;
  std::size_t n_cells = 0;
  std::vector<std::size_t> lines;
  std::vector<std::string> out;       // the formatted rows of each block of kBlock analyses
  std::vector<std::uint32_t> failed;  // error rows of each block

  void clear() {
    n_groups = 0;
    rows = 0;
    n_cells = 0;
    lines.clear();
  }
  Group& add_group() {
    if (n_groups == groups.size()) groups.emplace_back();
    return groups[n_groups++];
  }
};

// Reads analyses from the stream into chunks of about `chunk_rows` rows.
class GroupReader {
 public:
  GroupReader(std::istream& in, const std::string& source, const BatchOptions& options)
      : csv_(in, source), source_(source), options_(options) {
    read_header();
  }

  /// True when the file holds yi and vi to pool as given: then a FastReader goes on after the
  /// header (see fast_layout and stream).
  [[nodiscard]] bool fast() const noexcept { return fast_; }
  [[nodiscard]] detail::FastLayout fast_layout() const {
    detail::FastLayout l;
    l.source = source_;
    l.names = names_;
    l.by_name = options_.by;
    l.header_line = header_line_;
    l.width = names_.size();
    l.by = by_;
    l.yi = yi_;
    l.vi = vi_;
    return l;
  }
  [[nodiscard]] const detail::CsvStream& stream() const noexcept { return csv_; }
  /// The column names each analysis's table gets (see read_header).
  [[nodiscard]] const std::vector<std::string>& table_names() const noexcept {
    return table_names_;
  }
  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return csv_.bytes_read(); }

  // Fills `c` with the next analyses; false when the input had none left.
  bool fill(Chunk& c) {
    c.clear();
    Group* g = nullptr;
    for (;;) {
      if (!pending_) {
        if (!csv_.next()) break;
        pending_ = true;
      }
      const auto& f = csv_.fields();
      // A row too short to hold an id belongs to the analysis before it.
      const std::string_view id =
          by_ < f.size() ? f[by_] : (g ? std::string_view(g->id) : std::string_view());
      if (g == nullptr || id != g->id) {
        if (g != nullptr && c.rows >= options_.chunk_rows)
          break;  // keep the row for the next chunk
        g = &start_group(c, id);
      }
      pending_ = false;
      add_row(c, *g);
    }
    return c.n_groups > 0;
  }

 private:
  void read_header() {
    if (!csv_.next()) {
      throw InputError({source_, 0, 0},
                       "the file is empty: expected a header row naming the columns");
    }
    ProblemList problems;
    std::unordered_set<std::string> seen;
    for (std::size_t c = 0; c < csv_.fields().size(); ++c) {
      std::string name(trim_spaces(csv_.fields()[c]));
      if (name.empty()) {
        problems.add({source_, csv_.line(), c + 1}, "empty column name in the header row");
      } else if (!seen.insert(name).second) {
        problems.add({source_, csv_.line(), c + 1},
                     fmt::format("duplicate column name '{}'", name));
      }
      names_.push_back(std::move(name));
    }
    if (!csv_.problem().empty()) {
      problems.add({source_, csv_.problem_line(), csv_.problem_field()}, csv_.problem());
    }
    problems.throw_if_any();
    header_line_ = csv_.line();
    const auto by = std::find(names_.begin(), names_.end(), options_.by);
    if (by == names_.end()) {
      throw InputError({source_, header_line_, 0},
                       fmt::format("no column '{}' (--by) in the header; the columns are: {}",
                                   options_.by, fmt::join(names_, ", ")));
    }
    by_ = static_cast<std::size_t>(by - names_.begin());
    // Within an analysis the id is one constant: it must not also be read as the column of the
    // same name (with --by trial, every row would be an arm of one multi-arm trial; with
    // --by study, every row would have one label). Each analysis's table gets it under a name no
    // reader looks for.
    table_names_ = names_;
    table_names_[by_] = fmt::format("(--by {})", options_.by);

    // Columns the measure needs, and options that do not fit together, are problems of the whole
    // file: found here, on the header alone, before any analysis.
    try {
      if (options_.spec.multilevel.active()) {
        (void)analyse_multilevel(StudyTable(source_, table_names_), options_.spec, {});
      } else {
        (void)analyse(StudyTable(source_, table_names_), options_.spec);
      }
    } catch (const detail::NoDataRows&) {
      // The header is fine: only rows are missing.
    }

    const AnalysisSpec spec = resolve_measure(options_.spec);
    auto has = [&](std::string_view name) {
      return std::find(table_names_.begin(), table_names_.end(), name) != table_names_.end();
    };
    // Effect sizes given with their variances, and nothing that could stand in for a missing
    // variance: read straight into numbers, without a table of text cells.
    fast_ = spec.effect.measure == Measure::GEN && spec.effect.transf == EstimateTransform::none &&
            !works_on_counts(spec.fit.method) && spec.fit.method != Method::BAYES &&
            !spec.multilevel.active() && has("yi") && has("vi");
    for (const char* other : {"sei", "ci_lb", "ci.lb", "ci_ub", "ci.ub", "zval", "pval"}) {
      if (has(other)) fast_ = false;
    }
    if (fast_) {
      yi_ = static_cast<std::size_t>(std::find(table_names_.begin(), table_names_.end(), "yi") -
                                     table_names_.begin());
      vi_ = static_cast<std::size_t>(std::find(table_names_.begin(), table_names_.end(), "vi") -
                                     table_names_.begin());
    }
  }

  Group& start_group(Chunk& c, std::string_view id) {
    Group& g = c.add_group();
    g.reset(id, csv_.line(), c.lines.size());
    if (const std::size_t first = ids_.seen_or_add(id, csv_.line()); first != 0) {
      g.problems.add({source_, csv_.line(), by_ + 1},
                     detail::reappearing_id_message(id, first, options_.by));
    }
    return g;
  }

  void add_row(Chunk& c, Group& g) {
    const auto& f = csv_.fields();
    const std::size_t line = csv_.line();
    ++g.rows;
    ++c.rows;
    if (!csv_.problem().empty()) {
      g.problems.add({source_, csv_.problem_line(), csv_.problem_field()}, csv_.problem());
      return;
    }
    if (f.size() != names_.size()) {
      if (f.size() < names_.size()) {
        g.problems.add({source_, line, 0},
                       fmt::format("too few fields: {} of the {} the header (line {}) names; the "
                                   "first missing one is '{}'",
                                   f.size(), names_.size(), header_line_, names_[f.size()]));
      } else {
        g.problems.add({source_, line, names_.size() + 1},
                       fmt::format("too many fields: {} where the header (line {}) names {}",
                                   f.size(), header_line_, names_.size()));
      }
      return;
    }
    for (std::size_t j = 0; j < f.size(); ++j) {
      if (c.n_cells == c.cells.size()) c.cells.emplace_back();
      c.cells[c.n_cells++].assign(f[j]);
    }
    c.lines.push_back(line);
    g.end = c.lines.size();
  }

  detail::CsvStream csv_;
  std::string source_;
  const BatchOptions& options_;
  std::vector<std::string> names_;        // as in the header
  std::vector<std::string> table_names_;  // the same, the --by column renamed
  std::size_t header_line_ = 1;
  std::size_t by_ = 0, yi_ = 0, vi_ = 0;
  bool fast_ = false;
  bool pending_ = false;  // csv_ holds a record not yet added (it starts the next chunk)
  detail::IdIndex ids_;
};

// ---- result rows ------------------------------------------------------------------------------

// What one row shows: the fit's numbers, or an error.
struct RowValues {
  const Fit* fit = nullptr;  // null for an error row (and for a multilevel row)
  const MultilevelAnalysis* multilevel = nullptr;  // a multilevel model's row; null otherwise
  Prediction prediction;
  std::vector<std::string_view> codes;  // diagnostic codes, each once, in order
  std::string error;
};

// The columns of a result row: the analysis id, the pooled result's fields (methods/fields.hpp,
// the definitions `evident fit` writes its JSON and CSV from) and the row's diagnostic codes and
// error.
struct RowLayout {
  std::vector<std::string> names;    // every column, for the CSV header and the JSON keys
  std::vector<const Field*> fields;  // names[1 .. fields.size()]; empty for multilevel rows
  bool multilevel = false;           // names[1 ..] are multilevel_numbers' columns
  bool struct_tau2 = false, struct_rho = false;  // a struct's columns among them
};

// The variance components a multilevel analysis has: one per factor of each formula.
std::size_t component_count(const MultilevelSpec& ml) {
  std::size_t n = 0;
  for (const std::string& text : ml.random) {
    const RandomFormula f = parse_random_formula(text, "--random");
    if (!f.structured()) n += f.factors.size();
  }
  return n;
}

// The columns of a correlated random effect (a struct): its tau2 and rho, for the structures
// whose counts do not depend on the analysis. A tau2 per inner level (HCS, UN, DIAG, HAR) would
// give each analysis its own columns, so those are refused.
std::vector<std::string> struct_columns(const MultilevelSpec& ml) {
  for (const std::string& text : ml.random) {
    if (!parse_random_formula(text, "--random").structured()) continue;
    if (structure_tau2_count(ml.structure, 2) > 1) {
      throw InputError({"--struct", 0, 0},
                       fmt::format("--struct {} has a tau2 per level of the inner factor, so its "
                                   "columns would differ between analyses; evident batch fits CS, "
                                   "ID and AR (evident fit fits every structure)",
                                   structure_name(ml.structure)));
    }
    std::vector<std::string> names{"tau2"};
    if (structure_rho_count(ml.structure, 2) > 0) names.emplace_back("rho");
    return names;
  }
  return {};
}

// The numbers of a multilevel row after its id, in column order; empty for an error row.
std::vector<double> multilevel_numbers(const MultilevelAnalysis& a, const RowLayout& layout) {
  const MultilevelFit& f = a.fit;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Prediction p = a.prediction.value_or(Prediction{nan, nan, nan, nan, nan, nan});
  std::vector<double> v{static_cast<double>(f.k),
                        f.beta[0],
                        f.se[0],
                        f.stat[0],
                        f.pval[0],
                        f.ci_lb[0],
                        f.ci_ub[0],
                        p.pi_lb,
                        p.pi_ub};
  v.insert(v.end(), f.sigma2.begin(), f.sigma2.end());
  // A struct's one tau2 and rho (NaN: an analysis whose inner factor has a single level).
  if (layout.struct_tau2) v.push_back(f.tau2.empty() ? nan : f.tau2[0]);
  if (layout.struct_rho) v.push_back(f.rho.empty() ? nan : f.rho[0]);
  v.insert(v.end(), {f.QE, f.QE_df, f.QE_p, f.logLik, static_cast<double>(f.iterations)});
  return v;
}

// The shortest text that reads back to the same double (as std::to_chars without a format).
void append_number(std::string& out, double x, bool json) {
  if (std::isfinite(x)) {
    detail::append_shortest(out, x);
  } else {
    out += json ? "null" : "NA";
  }
}

void append_integer(std::string& out, std::uint64_t n) {
  char text[24];
  const auto r = std::to_chars(text, text + sizeof text, n);
  out.append(text, r.ptr);
}

// A JSON string; ids come from user files in any encoding, so invalid UTF-8 is replaced (U+FFFD)
// as in every JSON evident writes.
void append_json_text(std::string& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u >= 0x20 && u < 0x80 && ch != '"' && ch != '\\';
  });
  if (plain) {
    out += '"';
    out += s;
    out += '"';
    return;
  }
  out +=
      nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RowLayout row_layout(const BatchOptions& options) {
  RowLayout layout;
  if (options.spec.multilevel.active()) {
    // The first coefficient (the pooled estimate of an intercept-only model), the variance
    // components, QE and the log-likelihood.
    layout.multilevel = true;
    const char* stat = options.spec.fit.test == Test::t ? "tval" : "zval";
    layout.names = {"id", "k", "estimate", "se", stat, "pval", "ci_lb", "ci_ub", "pi_lb", "pi_ub"};
    for (std::size_t j = 1; j <= component_count(options.spec.multilevel); ++j)
      layout.names.push_back(fmt::format("sigma2_{}", j));
    for (std::string& name : struct_columns(options.spec.multilevel)) {
      (name == "rho" ? layout.struct_rho : layout.struct_tau2) = true;
      layout.names.push_back(std::move(name));
    }
    for (const char* name :
         {"QE", "QE_df", "QE_p", "logLik", "iterations", "termination", "diagnostics", "error"}) {
      layout.names.emplace_back(name);
    }
    return layout;
  }
  layout.fields = detail::batch_fields(options.spec.fit.test);
  layout.names.push_back("id");
  for (const Field* f : layout.fields)
    layout.names.emplace_back(f->name);
  layout.names.push_back("diagnostics");
  layout.names.push_back("error");
  return layout;
}

// One field of a row, or the row's missing value (an error row has no numbers).
void append_field(std::string& out, const Field& field, const PooledView* v, bool json) {
  if (v == nullptr) {
    out += json ? "null" : "NA";
    return;
  }
  switch (field.type) {
    case FieldType::number:
      append_number(out, field.number(*v), json);
      break;
    case FieldType::count:
      append_integer(out, field.count(*v));
      break;
    case FieldType::text:
      if (json) {
        append_json_text(out, field.text(*v));
      } else {
        out += field.text(*v);
      }
      break;
    case FieldType::interval:
      assert(false && "no interval among the batch columns");
      break;
  }
}

void append_row(std::string& out, std::string_view id, const RowValues& r, BatchFormat format,
                const RowLayout& layout) {
  const bool json = format == BatchFormat::jsonl;
  if (layout.multilevel) {
    const std::vector<double> numbers =
        r.multilevel != nullptr ? multilevel_numbers(*r.multilevel, layout) : std::vector<double>{};
    const std::size_t n_numbers = layout.names.size() - 4;  // id, termination, diagnostics, error
    if (json) {
      out += "{\"id\":";
      append_json_text(out, id);
    } else {
      out += detail::quote(id);
    }
    for (std::size_t i = 0; i < n_numbers; ++i) {
      if (json) {
        out += ",\"";
        out += layout.names[i + 1];
        out += "\":";
      } else {
        out += ',';
      }
      if (numbers.empty()) {
        out += json ? "null" : "NA";
      } else {
        append_number(out, numbers[i], json);
      }
    }
    out += json ? ",\"termination\":" : ",";
    if (r.multilevel == nullptr) {
      out += json ? "null" : "NA";
    } else if (json) {
      append_json_text(out, termination_name(r.multilevel->fit.termination));
    } else {
      out += termination_name(r.multilevel->fit.termination);
    }
    out += json ? ",\"diagnostics\":[" : ",";
    for (std::size_t i = 0; i < r.codes.size(); ++i) {
      if (i > 0) out += json ? "," : ";";
      if (json) {
        append_json_text(out, r.codes[i]);
      } else {
        out += r.codes[i];
      }
    }
    if (json) {
      out += "],\"error\":";
      if (r.multilevel != nullptr) {
        out += "null";
      } else {
        append_json_text(out, r.error);
      }
      out += "}\n";
    } else {
      out += ',';
      out += detail::quote(r.error);
      out += '\n';
    }
    return;
  }
  PooledView view;
  view.fit = r.fit;
  view.prediction = &r.prediction;
  const PooledView* v = r.fit != nullptr ? &view : nullptr;
  if (json) {
    out += "{\"id\":";
    append_json_text(out, id);
    for (std::size_t i = 0; i < layout.fields.size(); ++i) {
      out += ",\"";
      out += layout.names[i + 1];
      out += "\":";
      append_field(out, *layout.fields[i], v, true);
    }
    out += ",\"diagnostics\":[";
    for (std::size_t i = 0; i < r.codes.size(); ++i) {
      if (i > 0) out += ',';
      append_json_text(out, r.codes[i]);
    }
    out += "],\"error\":";
    if (v != nullptr) {
      out += "null";
    } else {
      append_json_text(out, r.error);
    }
    out += "}\n";
    return;
  }
  out += detail::quote(id);
  for (const Field* field : layout.fields) {
    out += ',';
    append_field(out, *field, v, false);
  }
  out += ',';
  for (std::size_t i = 0; i < r.codes.size(); ++i) {
    if (i > 0) out += ';';
    out += r.codes[i];
  }
  out += ',';
  out += detail::quote(r.error);
  out += '\n';
}

std::string join_problems(const std::vector<InputProblem>& problems) {
  std::string text;
  for (const auto& p : problems) {
    if (!text.empty()) text += "; ";
    text += p.format();
  }
  return text;
}

// Per-thread scratch space, reused from analysis to analysis.
struct Workspace {
  Analysis analysis;              // the table reader's result
  MultilevelAnalysis multilevel;  // or its multilevel model's
  Fit fit;                        // the fast path's
  std::vector<Diagnostic> diagnostics;
  RowValues row;
};

void set_codes(RowValues& r, const std::vector<Diagnostic>& diagnostics) {
  detail::unique_codes(diagnostics, r.codes);
}

// Runs `body`, which fills the row of one analysis (or throws), and appends that row to `out`;
// true if the analysis failed. Never throws: whatever goes wrong with one analysis is that
// analysis's row.
template <typename Body>
bool compute_row(std::string_view id, Workspace& ws, const BatchOptions& options,
                 const RowLayout& columns, std::string& out, Body&& body) {
  RowValues& r = ws.row;
  r.fit = nullptr;
  r.multilevel = nullptr;
  r.codes.clear();
  r.error.clear();
  try {
    body(r);
  } catch (const InputError& e) {
    r.fit = nullptr;
    r.multilevel = nullptr;
    r.error = join_problems(e.problems());
  } catch (const std::exception& e) {
    r.fit = nullptr;
    r.multilevel = nullptr;
    r.error = fmt::format("internal error: {}", e.what());
  }
  const bool failed = r.fit == nullptr && r.multilevel == nullptr;
  if (failed) r.codes.clear();
  append_row(out, id, r, options.format, columns);
  return failed;
}

// Computes group `g` of chunk `c` (the table reader's path) into `out`; true if it failed.
bool compute_group(const Chunk& c, const Group& g, const GroupReader& reader,
                   const BatchOptions& options, const std::string& source, Workspace& ws,
                   const RowLayout& columns, std::string& out) {
  return compute_row(g.id, ws, options, columns, out, [&](RowValues& r) {
    g.problems.throw_if_any();
    StudyTable table(source, reader.table_names());
    const std::size_t width = reader.table_names().size();
    std::vector<std::string_view> cells(width);
    table.reserve(g.end - g.begin);
    for (std::size_t row = g.begin; row < g.end; ++row) {
      for (std::size_t col = 0; col < width; ++col)
        cells[col] = c.cells[row * width + col];
      table.add_row(cells, c.lines[row]);
    }
    if (options.spec.multilevel.active()) {
      ws.multilevel = analyse_multilevel(table, options.spec, {});
      r.multilevel = &ws.multilevel;
      set_codes(r, ws.multilevel.diagnostics);
      return;
    }
    ws.analysis = analyse(table, options.spec);
    r.fit = &ws.analysis.fit;
    r.prediction = ws.analysis.prediction;
    set_codes(r, ws.analysis.diagnostics);
  });
}

// Computes analysis `g` of a fast-path chunk into `out`; true if it failed.
bool compute_fast_group(const detail::FastChunk& c, const detail::FastGroup& g,
                        const BatchOptions& options, const std::string& source, Workspace& ws,
                        const RowLayout& columns, std::string& out) {
  return compute_row(g.id, ws, options, columns, out, [&](RowValues& r) {
    g.record_problems.throw_if_any();
    g.value_problems.throw_if_any();
    const std::vector<double>& y = g.carried ? c.big_y : c.y;
    const std::vector<double>& v = g.carried ? c.big_v : c.v;
    const std::span<const double> ys(y.data() + g.begin, g.end - g.begin);
    const std::span<const double> vs(v.data() + g.begin, g.end - g.begin);
    if (ys.empty()) {
      r.error = InputProblem{{source, 0, 0}, detail::no_usable_study_message(g.rows, Measure::GEN)}
                    .format();
      return;
    }
    ws.fit = fit(ys, vs, options.spec.fit);
    r.fit = &ws.fit;
    r.prediction = predict(ws.fit);
    ws.diagnostics.clear();
    if (g.excluded > 0) ws.diagnostics.push_back({DiagnosticCode::row_excluded_missing, {}, {}});
    if (ws.fit.notes != kNoteNone) detail::add_fit_diagnostics(ws.fit, ws.diagnostics);
    detail::add_non_finite_diagnostic(ws.fit, ws.diagnostics);
    set_codes(r, ws.diagnostics);
  });
}

// A fixed set of threads that run the blocks of one chunk at a time.
class Pool {
 public:
  using Task = std::function<void(std::size_t block, std::size_t thread)>;

  // Starts up to `threads` workers; when the system refuses a thread (a process limit, little
  // memory), the pool goes on with those that started, and with none runs each task on the
  // thread that starts it.
  explicit Pool(unsigned threads) {
    try {
      for (unsigned t = 0; t < threads; ++t)
        threads_.emplace_back([this, t] { work(t); });
    } catch (const std::system_error&) {
    }
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_)
      t.join();
  }

  // Starts `blocks` calls of `task`; returns at once (with no workers: once they are all done).
  void start(std::size_t blocks, Task task) {
    if (threads_.empty()) {
      for (std::size_t b = 0; b < blocks; ++b)
        task(b, 0);
      return;
    }
    std::lock_guard lock(mutex_);
    task_ = std::move(task);
    blocks_ = blocks;
    next_ = 0;
    busy_ = threads_.size();
    ++generation_;
    wake_.notify_all();
  }

  // Waits until every block of the last start() is done.
  void wait() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return busy_ == 0; });
  }

 private:
  void work(std::size_t t) {
    std::uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      for (std::size_t b; (b = next_.fetch_add(1)) < blocks_;)
        task_(b, t);
      std::lock_guard lock(mutex_);
      if (--busy_ == 0) done_.notify_all();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  Task task_;
  std::size_t blocks_ = 0;
  std::atomic<std::size_t> next_{0};
  std::size_t busy_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace

BatchSummary run_batch(std::istream& in, const std::string& source, std::ostream& out,
                       const BatchOptions& batch_options, const BatchProgressCallback& progress) {
  // An analysis large enough to be summed in parallel (FitOptions::threads) uses the batch's
  // threads too; the numbers do not depend on it.
  BatchOptions options = batch_options;
  options.spec.fit.threads = batch_options.threads;
  options.spec.details = false;  // a result row shows the fit, the prediction and diagnostics
  if (auto problem = options.spec.fit.validate()) throw InputError({"--level", 0, 0}, *problem);
  const RowLayout columns = row_layout(options);  // first: it refuses formulas batch cannot fit
  GroupReader reader(in, source, options);
  const unsigned threads = detail::resolve_threads(options.threads);
  // Written with the first rows, so a file rejected while reading its first chunk leaves `out`
  // untouched.
  std::string header;
  if (options.format == BatchFormat::csv) {
    for (std::size_t i = 0; i < columns.names.size(); ++i) {
      if (i > 0) header += ',';
      header += columns.names[i];
    }
    header += '\n';
  }
  auto write_header = [&] {
    out << header;
    header.clear();
  };

  std::vector<Workspace> workspaces(threads);
  Chunk chunks[2];
  detail::FastChunk fast_chunks[3];
  std::optional<detail::FastReader> fast;
  // Declared after what its threads use: if reading throws while a chunk is being fitted, the
  // pool's destructor lets that chunk finish before the chunks and workspaces go.
  Pool pool(threads);
  BatchSummary summary;
  BatchProgress where;

  // Writes a fitted chunk's rows, in order.
  auto write = [&](std::size_t n_groups, const std::vector<std::string>& text,
                   const std::vector<std::uint32_t>& failed) {
    write_header();
    const std::size_t blocks = (n_groups + kBlock - 1) / kBlock;
    for (std::size_t b = 0; b < blocks; ++b) {
      out.write(text[b].data(), static_cast<std::streamsize>(text[b].size()));
      summary.failed += failed[b];
    }
    summary.analyses += n_groups;
    if (!out) {
      const int error = errno;
      throw InputError(
          {options.output_name, 0, 0},
          fmt::format("writing the results failed: {}",
                      error != 0 ? std::strerror(error) : "the stream reports an error"));
    }
    where.analyses = summary.analyses;
    if (progress) progress(where);
  };

  if (reader.fast()) {
    // Three chunks in flight: while the pool fits the analyses of chunk `a` and reads the pieces
    // of chunk `b`, this thread writes the results of the chunk before `a` and reads the bytes of
    // the chunk after `b`. Only forming a chunk's analyses from its runs, which is quick, happens
    // while the pool waits.
    const detail::CsvStream& head = reader.stream();
    const std::size_t chunk_bytes = options.chunk_rows * 32;  // about 32 bytes per row
    fast.emplace(in, reader.fast_layout(), head.unread(), head.next_line(), head.at_end(),
                 head.bytes_read(), chunk_bytes, 4 * threads);
    detail::FastChunk* a = &fast_chunks[0];
    detail::FastChunk* b = &fast_chunks[1];
    detail::FastChunk* spare = &fast_chunks[2];
    auto parse_all = [&](detail::FastChunk& c) {
      if (!c.parallel) return;  // read already, record by record
      pool.start(c.n_pieces, [&c, &fast](std::size_t i, std::size_t) { fast->parse_piece(c, i); });
      pool.wait();
    };
    bool have_a = fast->read(*a);
    where.bytes_read = fast->bytes_read();
    if (have_a) {
      parse_all(*a);
      fast->group(*a);
    }
    bool have_b = have_a && fast->read(*b);
    bool have_results = false;  // in *spare
    while (have_a) {
      const std::size_t fit_blocks = (a->n_groups + kBlock - 1) / kBlock;
      if (a->out.size() < fit_blocks) a->out.resize(fit_blocks);
      a->failed.assign(fit_blocks, 0);
      const std::size_t pieces = have_b && b->parallel ? b->n_pieces : 0;
      pool.start(fit_blocks + pieces, [a, b, fit_blocks, &fast, &options, &source, &workspaces,
                                       &columns](std::size_t i, std::size_t t) {
        if (i >= fit_blocks) {
          fast->parse_piece(*b, i - fit_blocks);
          return;
        }
        std::string& text = a->out[i];
        text.clear();
        const std::size_t end = std::min(a->n_groups, (i + 1) * kBlock);
        std::uint32_t failed = 0;
        for (std::size_t g = i * kBlock; g < end; ++g) {
          failed +=
              compute_fast_group(*a, a->groups[g], options, source, workspaces[t], columns, text)
                  ? 1
                  : 0;
        }
        a->failed[i] = failed;
      });
      if (have_results) write(spare->n_groups, spare->out, spare->failed);
      const bool have_c = have_b && fast->read(*spare);
      where.bytes_read = fast->bytes_read();
      pool.wait();
      if (have_b) fast->group(*b);
      detail::FastChunk* fitted = a;
      a = b;
      b = spare;
      spare = fitted;
      have_results = true;
      have_a = have_b;
      have_b = have_c;
    }
    if (have_results) write(spare->n_groups, spare->out, spare->failed);
    write_header();  // a file with a header and no rows gets a header and no rows
    summary.bytes_read = fast->bytes_read();
    return summary;
  }

  auto start = [&](Chunk& c) {
    const std::size_t blocks = (c.n_groups + kBlock - 1) / kBlock;
    if (c.out.size() < blocks) c.out.resize(blocks);
    c.failed.assign(blocks, 0);
    pool.start(blocks, [&c, &reader, &options, &source, &workspaces, &columns](std::size_t b,
                                                                               std::size_t t) {
      std::string& text = c.out[b];
      text.clear();
      const std::size_t end = std::min(c.n_groups, (b + 1) * kBlock);
      std::uint32_t failed = 0;
      for (std::size_t i = b * kBlock; i < end; ++i) {
        failed +=
            compute_group(c, c.groups[i], reader, options, source, workspaces[t], columns, text)
                ? 1
                : 0;
      }
      c.failed[b] = failed;
    });
  };
  auto finish = [&](Chunk& c) {
    pool.wait();
    write(c.n_groups, c.out, c.failed);
  };

  // Reading the next chunk overlaps with fitting the one before it.
  int current = 0;
  bool pending = false;
  for (;;) {
    Chunk& c = chunks[current];
    const bool more = reader.fill(c);
    where.bytes_read = reader.bytes_read();
    if (pending) finish(chunks[1 - current]);
    if (!more) break;
    start(c);
    pending = true;
    current = 1 - current;
  }
  write_header();  // a file with a header and no rows gets a header and no rows
  summary.bytes_read = reader.bytes_read();
  return summary;
}

namespace {}  // namespace

BatchSummary run_batch_file(const std::string& input, std::istream& in, const std::string& output,
                            std::ostream& out, const BatchOptions& options,
                            const BatchProgressCallback& progress) {
  std::ifstream file;
  std::istream* source = &in;
  std::uint64_t total = 0;
  if (input != "-") {
    file = detail::open_input_file(input);
    struct stat st {};
    if (::stat(input.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      total = static_cast<std::uint64_t>(st.st_size);
    }
    source = &file;
  }
  BatchProgressCallback with_total;
  if (progress) {
    with_total = [&progress, total](const BatchProgress& p) {
      BatchProgress q = p;
      q.bytes_total = total;
      progress(q);
    };
  }
  const std::string name = input == "-" ? std::string("<stdin>") : input;
  BatchOptions named = options;
  named.output_name = output == "-" ? std::string("standard output") : output;
  // The size at the start is what a whole file holds: a file truncated or rewritten while it is
  // read must not pass for a complete one.
  auto check_size = [&](const BatchSummary& s) {
    if (total > 0 && s.bytes_read != total) {
      throw InputError({input, 0, 0},
                       fmt::format("the file changed while it was read: {} bytes were read of the "
                                   "{} it held at the start (was it truncated or rewritten?); {}",
                                   s.bytes_read, total,
                                   output == "-" ? "the results written are incomplete"
                                                 : "no results file was written"));
    }
  };
  if (output == "-") {
    const BatchSummary summary = run_batch(*source, name, out, named, with_total);
    check_size(summary);
    return summary;
  }
  detail::OutputFile temp(output);
  const BatchSummary summary = run_batch(*source, name, temp.stream(), named, with_total);
  check_size(summary);
  temp.commit();
  return summary;
}

}  // namespace evident
