// Reading a review manifest (TOML, with toml++ from Debian). Every problem names its key and the
// place in the file; all problems are collected and reported together.

#include "evident/review/manifest.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <span>
#include <sstream>

#include "evident/methods/parameters.hpp"

namespace evident {

namespace {

namespace fs = std::filesystem;

// Whether `p` names a regular file, without throwing: the throwing overloads of
// std::filesystem raise on a name too long or a component that is not a folder, and a manifest
// may name anything (found by the manifest fuzzer: a 300-character data name aborted the run).
// `why` gets the system's reason when the file could not be looked at (empty: it is not there).
bool regular_file(const fs::path& p, std::string& why) {
  std::error_code ec;
  const bool ok = fs::is_regular_file(p, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) why = ec.message();
  return ok;
}

// The problem with a data file `file` that key `key` names in folder `dir` (`noun` says what
// it is), or empty when it is a regular file.
std::string file_problem(std::string_view key, std::string_view noun, const std::string& dir,
                         const std::string& file) {
  std::string why;
  if (regular_file(fs::path(dir) / file, why)) return {};
  return why.empty() ? fmt::format("{}: {} '{}' not found in {}", key, noun, file, dir)
                     : fmt::format("{}: {} '{}': {}", key, noun, file, why);
}

bool directory(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// Keys an outcome may have besides its analysis keys (the analysis parameters, read through their
// table); all but `id` and `name` may also be given once under [defaults].
constexpr std::string_view kOutcomeKeysBefore[] = {"id",      "name",    "group", "data",  "where",
                                                   "exclude", "columns", "label", "design"};
constexpr std::string_view kOutcomeKeysAfter[] = {
    "benefit",      "mcid",       "mcid_source",  "scale",   "control_risk", "control_risk_source",
    "study_design", "rob_column", "experimental", "control", "indirectness", "indirectness_reason",
    "notes"};

// Every key of an outcome, in the order "known keys" lists them.
const std::vector<std::string_view>& outcome_keys() {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> k(std::begin(kOutcomeKeysBefore), std::end(kOutcomeKeysBefore));
    for (const auto& p : analysis_parameters().params)
      k.emplace_back(p.name);
    k.insert(k.end(), std::begin(kOutcomeKeysAfter), std::end(kOutcomeKeysAfter));
    return k;
  }();
  return keys;
}

constexpr std::string_view kTopKeys[] = {"title",   "question",  "defaults",
                                         "outcome", "published", "caution"};
constexpr std::string_view kQuestionKeys[] = {"population", "intervention", "comparator",
                                              "outcomes"};
constexpr std::string_view kPublishedKeys[] = {"data", "label", "columns", "panel", "notes"};
constexpr std::string_view kPanelKeys[] = {"id",      "title",           "scale", "where",
                                           "exclude", "log_scale",       "mcid",  "mcid_source",
                                           "benefit", "compare_outcome", "notes"};
constexpr std::string_view kCautionKeys[] = {"text", "applies_to"};
constexpr std::string_view kPublishedRoles[] = {
    "estimate", "ci_lb", "ci_ub", "outcome",    "timepoint",       "measure",
    "k",        "n",     "notes", "source_url", "source_location", "model"};

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  SourceLocation at(const toml::node& n) const {
    const auto& b = n.source().begin;
    return {file_, static_cast<std::size_t>(b.line), static_cast<std::size_t>(b.column)};
  }
  SourceLocation at(const toml::key& k) const {
    const auto& b = k.source().begin;
    return {file_, static_cast<std::size_t>(b.line), static_cast<std::size_t>(b.column)};
  }

  // A problem with a key in [defaults] shows up for every outcome; it is reported once.
  void problem(SourceLocation where, std::string message) {
    const std::string seen = InputProblem{where, message}.format();
    if (!seen_.insert(seen).second) return;
    problems_.add(std::move(where), std::move(message));
  }

  // Every key of `t` must be one of `known`; an unknown one is reported with the closest known.
  void check_keys(const toml::table& t, const std::string& path,
                  std::span<const std::string_view> known) {
    for (auto&& [key, node] : t) {
      const std::string_view k = key.str();
      if (std::find(known.begin(), known.end(), k) != known.end()) continue;
      std::string message = fmt::format("{}{}: unknown key", prefix(path), k);
      std::string_view best;
      std::size_t best_d = 3;
      for (std::string_view cand : known) {
        const std::size_t d = edit_distance(lower(k), cand);
        if (d < best_d) {
          best_d = d;
          best = cand;
        }
      }
      if (!best.empty()) {
        message += fmt::format(" (did you mean '{}'?)", best);
      } else {
        message += fmt::format("; known keys: {}", fmt::join(known, ", "));
      }
      problem(at(key), std::move(message));
    }
  }

  std::optional<std::string> string(const toml::node* n, const std::string& name) {
    if (!n) return std::nullopt;
    if (auto v = n->value<std::string>(); v && n->is_string()) return *v;
    problem(at(*n), fmt::format("{}: expected text in double quotes", name));
    return std::nullopt;
  }

  std::optional<double> number(const toml::node* n, const std::string& name) {
    if (!n) return std::nullopt;
    if (n->is_number()) return n->value<double>();
    problem(at(*n), fmt::format("{}: expected a number", name));
    return std::nullopt;
  }

  std::optional<bool> boolean(const toml::node* n, const std::string& name) {
    if (!n) return std::nullopt;
    if (n->is_boolean()) return n->value<bool>();
    problem(at(*n), fmt::format("{}: expected true or false", name));
    return std::nullopt;
  }

  // A value of a parameter's type, as a typed value for its table; the TOML type is checked
  // here, with the words the other keys use.
  std::optional<ParamValue> param_value(const toml::node& n, const ParamInfo& p,
                                        const std::string& name) {
    switch (p.type) {
      case ParamType::text:
        if (auto v = string(&n, name)) return ParamValue(*v);
        return std::nullopt;
      case ParamType::number:
      case ParamType::count:
        if (n.is_integer()) return ParamValue(*n.value<std::int64_t>());
        if (auto v = number(&n, name)) return ParamValue(*v);
        return std::nullopt;
      case ParamType::boolean:
      case ParamType::flag:
        if (auto v = boolean(&n, name)) return ParamValue(*v);
        return std::nullopt;
      case ParamType::text_list:
        return ParamValue(strings(&n, name));
      case ParamType::number_list: {
        if (!n.is_array()) {
          if (auto v = number(&n, name)) return ParamValue(*v);
          return std::nullopt;
        }
        std::vector<double> out;
        for (const toml::node& item : *n.as_array()) {
          if (auto v = number(&item, name)) out.push_back(*v);
        }
        return ParamValue(out);
      }
    }
    return std::nullopt;
  }

  // A text, or a list of texts.
  std::vector<std::string> strings(const toml::node* n, const std::string& name) {
    std::vector<std::string> out;
    if (!n) return out;
    if (n->is_string()) {
      out.push_back(*n->value<std::string>());
      return out;
    }
    if (const toml::array* arr = n->as_array()) {
      for (const toml::node& item : *arr) {
        if (item.is_string()) {
          out.push_back(*item.value<std::string>());
        } else {
          problem(at(item), fmt::format("{}: expected text in double quotes", name));
        }
      }
      return out;
    }
    problem(at(*n), fmt::format("{}: expected text, or a list of texts [\"a\", \"b\"]", name));
    return out;
  }

  // A scalar as the text a CSV cell would hold (6 -> "6", 0.5 -> "0.5").
  std::optional<std::string> cell_text(const toml::node& n) {
    if (n.is_string()) return *n.value<std::string>();
    if (n.is_integer()) return fmt::format("{}", *n.value<std::int64_t>());
    if (n.is_floating_point()) return fmt::format("{}", *n.value<double>());
    if (n.is_boolean()) return *n.value<bool>() ? "true" : "false";
    return std::nullopt;
  }

  RowFilter filter(const toml::node* n, const std::string& name) {
    RowFilter f;
    if (!n) return f;
    const toml::table* t = n->as_table();
    if (!t) {
      problem(at(*n), fmt::format("{}: expected a table of column = value, e.g. {{ outcome = "
                                  "\"serious_adverse_events\" }}",
                                  name));
      return f;
    }
    for (auto&& [key, value] : *t) {
      FilterCondition c;
      c.column = std::string(key.str());
      c.key = name + "." + c.column;
      c.where = at(value);
      if (const toml::array* arr = value.as_array()) {
        for (const toml::node& item : *arr) {
          if (auto s = cell_text(item)) {
            c.values.push_back(*s);
          } else {
            problem(at(item), fmt::format("{}.{}: expected a text or a number", name, c.column));
          }
        }
      } else if (auto s = cell_text(value)) {
        c.values.push_back(*s);
      } else {
        problem(at(value),
                fmt::format("{}.{}: expected a value or a list of values", name, c.column));
      }
      f.conditions.push_back(std::move(c));
    }
    return f;
  }

  // One filter table, or a list of them (a row is excluded when any of them matches).
  std::vector<RowFilter> filters(const toml::node* n, const std::string& name) {
    std::vector<RowFilter> out;
    if (!n) return out;
    if (const toml::array* arr = n->as_array()) {
      std::size_t i = 0;
      for (const toml::node& item : *arr)
        out.push_back(filter(&item, fmt::format("{}[{}]", name, ++i)));
      return out;
    }
    out.push_back(filter(n, name));
    return out;
  }

  std::vector<ColumnMapping> columns(const toml::node* n, const std::string& name) {
    std::vector<ColumnMapping> out;
    if (!n) return out;
    const toml::table* t = n->as_table();
    if (!t) {
      problem(at(*n), fmt::format("{}: expected a table of metafor name = \"data column\", e.g. "
                                  "{{ ai = \"events_msc\", n1i = \"n_msc\" }}",
                                  name));
      return out;
    }
    for (auto&& [key, value] : *t) {
      const std::string k(key.str());
      if (auto s = string(&value, name + "." + k))
        out.push_back({k, *s, name + "." + k, at(value)});
    }
    return out;
  }

  void throw_if_any() const { problems_.throw_if_any(); }

  static std::string prefix(const std::string& path) { return path.empty() ? "" : path + "."; }

 private:
  std::string file_;
  ProblemList problems_;
  std::set<std::string> seen_;
};

// Looks a key up in an outcome's table, then in [defaults].
struct Scoped {
  const toml::table& own;
  const toml::table* defaults;
  std::string path;  // "outcome[2]"

  const toml::node* get(std::string_view key) const {
    if (const toml::node* n = own.get(key)) return n;
    return defaults ? defaults->get(key) : nullptr;
  }
  std::string name(std::string_view key) const {
    if (own.get(key) || !defaults || !defaults->get(key)) return path + "." + std::string(key);
    return "defaults." + std::string(key);
  }
};

bool valid_id(std::string_view id) {
  if (id.empty()) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
  });
}

// The analysis keys, through the parameter table the command line's options come from: the same
// checks, messages and rules between keys; keys in a message are spelled as keys.
void read_analysis(Reader& r, const Scoped& s, AnalysisSpec& spec) {
  const ParameterTable<AnalysisSpec>& table = analysis_parameters();
  auto spell = [](std::string_view name) { return std::string(name); };
  ParamSetter<AnalysisSpec> setter(table, spec);
  for (const Param<AnalysisSpec>& p : table.params) {
    const toml::node* n = s.get(p.name);
    if (n == nullptr) continue;
    const std::string name = s.name(p.name);
    const std::optional<ParamValue> value = r.param_value(*n, p, name);
    if (!value) continue;
    if (auto problem = setter.set(p.name, *value)) {
      std::string message = fmt::format("{}: {}", name, spell_params(problem->message, spell));
      if (p.match == ChoiceMatch::named) {
        message += fmt::format(" (known: {})", fmt::join(p.choices, ", "));
      }
      r.problem(r.at(*n), std::move(message));
    }
  }
  if (auto problem = setter.finish()) {
    const toml::node* n = s.get(problem->param);
    r.problem(n ? r.at(*n) : r.at(s.own), fmt::format("{}: {}", n ? s.name(problem->param) : s.path,
                                                      spell_params(problem->message, spell)));
  }
}

void read_outcome(Reader& r, const Scoped& s, const std::string& dir, OutcomeSpec& o) {
  if (auto v = r.string(s.own.get("id"), s.path + ".id")) {
    o.id = *v;
    if (!valid_id(o.id)) {
      r.problem(r.at(*s.own.get("id")),
                fmt::format("{}.id: '{}' must be letters, digits, '_' or '-' (it names the "
                            "outcome in --mcid and in file names)",
                            s.path, o.id));
    }
  } else if (!s.own.get("id")) {
    r.problem(r.at(s.own),
              fmt::format("{}: 'id' is required (a short name such as \"sae\")", s.path));
  }
  o.name = r.string(s.own.get("name"), s.path + ".name").value_or(o.id);
  o.group = r.string(s.get("group"), s.name("group")).value_or("Outcomes");
  o.where = r.filter(s.get("where"), s.name("where"));
  o.exclude = r.filters(s.get("exclude"), s.name("exclude"));
  o.columns = r.columns(s.get("columns"), s.name("columns"));
  if (const toml::node* n = s.get("label")) {
    o.label = r.string(n, s.name("label")).value_or(o.label);
    o.label_where = r.at(*n);
  }
  o.data = r.strings(s.get("data"), s.name("data"));
  if (o.data.empty() && !s.get("data")) {
    r.problem(r.at(s.own), fmt::format("{}: 'data' is required (a CSV file in the review "
                                       "folder, or a list of them)",
                                       s.path));
  }
  if (const toml::node* n = s.get("data")) {
    for (const auto& file : o.data) {
      if (std::string problem = file_problem(s.name("data"), "data file", dir, file);
          !problem.empty()) {
        r.problem(r.at(*n), std::move(problem));
      }
    }
  }
  if (auto v = r.string(s.get("design"), s.name("design"))) {
    const std::string d = lower(*v);
    if (d == "comparative") {
      o.design = OutcomeDesign::comparative;
    } else if (d == "single-arm" || d == "single_arm") {
      o.design = OutcomeDesign::single_arm;
    } else {
      r.problem(
          r.at(*s.get("design")),
          fmt::format("{}: '{}' is not a design: comparative or single-arm", s.name("design"), *v));
    }
  }
  read_analysis(r, s, o.analysis);
  if (!s.get("measure") && o.design == OutcomeDesign::comparative) {
    r.problem(r.at(s.own), fmt::format("{}: 'measure' is required for a comparative outcome "
                                       "(e.g. \"RR\", \"OR\", \"MD\", \"SMD\")",
                                       s.path));
  }
  if (auto v = r.string(s.get("benefit"), s.name("benefit"))) {
    if (auto b = parse_benefit(*v)) {
      o.benefit = *b;
    } else {
      r.problem(r.at(*s.get("benefit")),
                fmt::format("{}: '{}' is not a direction of benefit: \"lower\" (lower values are "
                            "better, e.g. pain, harms) or \"higher\"",
                            s.name("benefit"), *v));
    }
  }
  if (auto v = r.number(s.get("mcid"), s.name("mcid"))) {
    if (*v > 0) {
      o.mcid = *v;
    } else {
      r.problem(r.at(*s.get("mcid")),
                fmt::format("{}: the MCID is a positive size of effect (a ratio above 1 for "
                            "ratio measures)",
                            s.name("mcid")));
    }
  }
  o.mcid_source = r.string(s.get("mcid_source"), s.name("mcid_source")).value_or("");
  o.scale = r.string(s.get("scale"), s.name("scale")).value_or("");
  if (auto v = r.number(s.get("control_risk"), s.name("control_risk"))) {
    if (*v > 0 && *v < 1) {
      o.control_risk = *v;
    } else {
      r.problem(r.at(*s.get("control_risk")),
                fmt::format("{}: a risk between 0 and 1 (0.05 means 5%)", s.name("control_risk")));
    }
  }
  o.control_risk_source =
      r.string(s.get("control_risk_source"), s.name("control_risk_source")).value_or("");
  if (auto v = r.string(s.get("study_design"), s.name("study_design"))) {
    const std::string d = lower(*v);
    if (d == "randomised" || d == "randomized") {
      o.randomised = true;
    } else if (d == "observational") {
      o.randomised = false;
    } else {
      r.problem(
          r.at(*s.get("study_design")),
          fmt::format("{}: '{}' is not randomised or observational", s.name("study_design"), *v));
    }
  }
  o.rob_column = r.string(s.get("rob_column"), s.name("rob_column")).value_or(o.rob_column);
  o.experimental = r.string(s.get("experimental"), s.name("experimental")).value_or(o.experimental);
  o.control = r.string(s.get("control"), s.name("control")).value_or(o.control);
  if (auto v = r.string(s.get("indirectness"), s.name("indirectness"))) {
    const auto rating = parse_rating(*v);
    if (rating == Rating::not_serious || rating == Rating::serious ||
        rating == Rating::very_serious) {
      o.indirectness = rating;
    } else {
      r.problem(r.at(*s.get("indirectness")),
                fmt::format("{}: '{}' is not one of \"not serious\", \"serious\", \"very "
                            "serious\"",
                            s.name("indirectness"), *v));
    }
  }
  o.indirectness_reason =
      r.string(s.get("indirectness_reason"), s.name("indirectness_reason")).value_or("");
  o.notes = r.strings(s.get("notes"), s.name("notes"));
  o.location = r.at(s.own);
}

void read_panel(Reader& r, const toml::table& t, const std::string& path, PublishedPanel& p) {
  p.location = r.at(t);
  if (auto v = r.string(t.get("id"), path + ".id")) {
    p.id = *v;
    if (!valid_id(p.id)) {
      r.problem(r.at(*t.get("id")),
                fmt::format("{}.id: '{}' must be letters, digits, '_' or '-'", path, p.id));
    }
  } else if (!t.get("id")) {
    r.problem(r.at(t), fmt::format("{}: 'id' is required", path));
  }
  p.title = r.string(t.get("title"), path + ".title").value_or(p.id);
  p.scale = r.string(t.get("scale"), path + ".scale").value_or("");
  p.where = r.filter(t.get("where"), path + ".where");
  p.exclude = r.filters(t.get("exclude"), path + ".exclude");
  p.log_scale = r.boolean(t.get("log_scale"), path + ".log_scale").value_or(false);
  if (auto v = r.number(t.get("mcid"), path + ".mcid")) {
    if (*v > 0) {
      p.mcid = *v;
    } else {
      r.problem(r.at(*t.get("mcid")), fmt::format("{}.mcid: must be positive", path));
    }
  }
  p.mcid_source = r.string(t.get("mcid_source"), path + ".mcid_source").value_or("");
  if (auto v = r.string(t.get("benefit"), path + ".benefit")) {
    if (auto b = parse_benefit(*v)) {
      p.benefit = *b;
    } else {
      r.problem(r.at(*t.get("benefit")),
                fmt::format("{}.benefit: '{}' is not \"lower\" or \"higher\"", path, *v));
    }
  }
  p.compare_outcome = r.string(t.get("compare_outcome"), path + ".compare_outcome").value_or("");
  p.notes = r.strings(t.get("notes"), path + ".notes");
}

}  // namespace

Manifest read_manifest(const std::string& dir_or_file) {
  Manifest m;
  const fs::path given(dir_or_file);
  fs::path file = given;
  if (directory(given)) file = given / kManifestName;
  std::string why;
  if (!regular_file(file, why)) {
    if (!why.empty()) throw InputError({dir_or_file, 0, 0}, why);
    if (directory(given)) {
      throw InputError({dir_or_file, 0, 0},
                       fmt::format("no {} in this folder: a review folder holds a manifest "
                                   "naming the question and the outcomes (see docs/review.md)",
                                   kManifestName));
    }
    throw InputError({dir_or_file, 0, 0}, "no such review folder or manifest file");
  }
  m.path = file.string();
  m.dir = file.parent_path().empty() ? "." : file.parent_path().string();

  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  toml::table doc;
  try {
    doc = toml::parse(text.str(), m.path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw InputError({m.path, static_cast<std::size_t>(b.line), static_cast<std::size_t>(b.column)},
                     fmt::format("not valid TOML: {}", e.description()));
  }

  Reader r(m.path);
  r.check_keys(doc, "", kTopKeys);
  m.title = r.string(doc.get("title"), "title").value_or("");
  if (const toml::node* q = doc.get("question")) {
    if (const toml::table* t = q->as_table()) {
      r.check_keys(*t, "question", kQuestionKeys);
      m.question.population = r.string(t->get("population"), "question.population").value_or("");
      m.question.intervention =
          r.string(t->get("intervention"), "question.intervention").value_or("");
      m.question.comparator = r.string(t->get("comparator"), "question.comparator").value_or("");
      m.question.outcomes = r.strings(t->get("outcomes"), "question.outcomes");
    } else {
      r.problem(r.at(*q),
                "question: expected a table [question] with population, "
                "intervention, comparator and outcomes");
    }
  }
  const toml::table* defaults = nullptr;
  if (const toml::node* d = doc.get("defaults")) {
    defaults = d->as_table();
    if (!defaults) {
      r.problem(r.at(*d), "defaults: expected a table [defaults]");
    } else {
      r.check_keys(*defaults, "defaults", outcome_keys());
      for (std::string_view k : {"id", "name"}) {
        if (const toml::node* n = defaults->get(k)) {
          r.problem(r.at(*n), fmt::format("defaults.{}: each outcome has its own {}", k, k));
        }
      }
    }
  }

  const toml::node* outcomes = doc.get("outcome");
  if (!outcomes) {
    r.problem({m.path, 1, 0}, "outcome: at least one [[outcome]] is required");
  } else if (const toml::array* arr = outcomes->as_array(); arr && arr->is_array_of_tables()) {
    std::set<std::string> ids;
    std::size_t i = 0;
    for (const toml::node& node : *arr) {
      ++i;
      const toml::table& t = *node.as_table();
      const std::string path = fmt::format("outcome[{}]", i);
      r.check_keys(t, path, outcome_keys());
      OutcomeSpec& added = m.outcomes.emplace_back();
      read_outcome(r, Scoped{t, defaults, path}, m.dir, added);
      if (!added.id.empty() && !ids.insert(added.id).second) {
        r.problem(r.at(*t.get("id")),
                  fmt::format("{}.id: '{}' is used by an earlier outcome", path, added.id));
      }
    }
  } else {
    r.problem(r.at(*outcomes), "outcome: expected [[outcome]] tables");
  }

  if (const toml::node* p = doc.get("published")) {
    const toml::table* t = p->as_table();
    if (!t) {
      r.problem(r.at(*p), "published: expected a table [published]");
    } else {
      r.check_keys(*t, "published", kPublishedKeys);
      PublishedSpec ps;
      ps.location = r.at(*p);
      if (auto v = r.string(t->get("data"), "published.data")) {
        ps.data = *v;
        if (std::string problem = file_problem("published.data", "file", m.dir, ps.data);
            !problem.empty()) {
          r.problem(r.at(*t->get("data")), std::move(problem));
        }
      } else if (!t->get("data")) {
        r.problem(r.at(*p), "published: 'data' is required (a CSV file of published results)");
      }
      ps.label = r.string(t->get("label"), "published.label").value_or(ps.label);
      ps.notes = r.strings(t->get("notes"), "published.notes");
      for (const auto& c : r.columns(t->get("columns"), "published.columns")) {
        if (std::find(std::begin(kPublishedRoles), std::end(kPublishedRoles), c.name) ==
            std::end(kPublishedRoles)) {
          std::vector<std::string_view> roles(std::begin(kPublishedRoles),
                                              std::end(kPublishedRoles));
          r.problem(c.where, fmt::format("published.columns.{}: unknown role (known: {})", c.name,
                                         fmt::join(roles, ", ")));
        }
        ps.columns[c.name] = c.column;
      }
      if (const toml::node* panels = t->get("panel")) {
        const toml::array* arr = panels->as_array();
        if (!arr || !arr->is_array_of_tables()) {
          r.problem(r.at(*panels), "published.panel: expected [[published.panel]] tables");
        } else {
          std::size_t i = 0;
          for (const toml::node& node : *arr) {
            ++i;
            const toml::table& pt = *node.as_table();
            const std::string path = fmt::format("published.panel[{}]", i);
            r.check_keys(pt, path, kPanelKeys);
            read_panel(r, pt, path, ps.panels.emplace_back());
          }
        }
      }
      m.published = std::move(ps);
    }
  }

  if (const toml::node* c = doc.get("caution")) {
    const toml::array* arr = c->as_array();
    if (!arr || !arr->is_array_of_tables()) {
      r.problem(r.at(*c), "caution: expected [[caution]] tables with text and applies_to");
    } else {
      std::size_t i = 0;
      for (const toml::node& node : *arr) {
        ++i;
        const toml::table& t = *node.as_table();
        const std::string path = fmt::format("caution[{}]", i);
        r.check_keys(t, path, kCautionKeys);
        Caution caution;
        caution.location = r.at(t);
        caution.text = r.string(t.get("text"), path + ".text").value_or("");
        if (caution.text.empty() && !t.get("text")) {
          r.problem(r.at(t), fmt::format("{}: 'text' is required", path));
        }
        caution.applies_to = r.strings(t.get("applies_to"), path + ".applies_to");
        m.cautions.push_back(std::move(caution));
      }
    }
  }

  // Cross-references: ids named by panels and cautions must exist.
  std::set<std::string> ids{"published"};
  for (const auto& o : m.outcomes)
    ids.insert(o.id);
  if (m.published) {
    for (const auto& p : m.published->panels)
      ids.insert(p.id);
    std::size_t i = 0;
    for (const auto& p : m.published->panels) {
      ++i;
      if (!p.compare_outcome.empty() &&
          std::none_of(m.outcomes.begin(), m.outcomes.end(),
                       [&](const OutcomeSpec& o) { return o.id == p.compare_outcome; })) {
        r.problem(p.location, fmt::format("published.panel[{}].compare_outcome: no outcome has "
                                          "the id '{}'",
                                          i, p.compare_outcome));
      }
    }
  }
  std::size_t ci = 0;
  for (const auto& c : m.cautions) {
    ++ci;
    for (const auto& id : c.applies_to) {
      if (!ids.count(id)) {
        r.problem(c.location, fmt::format("caution[{}].applies_to: no outcome or panel has the "
                                          "id '{}'",
                                          ci, id));
      }
    }
  }
  r.throw_if_any();
  return m;
}

}  // namespace evident
