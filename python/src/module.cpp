// evident._core: the Python package's extension module. It only converts: data frames' columns to
// StudyColumns, keyword arguments to the core's parameter tables (methods/request.hpp), results
// to the JSON document the command line prints, and batch results to numpy arrays that own the
// core's buffers. It declares no parameter and computes nothing; the pure-Python part
// (python/evident/) shapes these into data frames and result objects.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "evident/batch/arrays.hpp"
#include "evident/batch/batch.hpp"
#include "evident/effect/effect.hpp"
#include "evident/io/columns.hpp"
#include "evident/io/error.hpp"
#include "evident/methods/parameters.hpp"
#include "evident/methods/request.hpp"
#include "evident/report/plot_parameters.hpp"
#include "evident/report/report.hpp"
#include "evident/version.hpp"

namespace py = pybind11;

namespace evident::python {

namespace {

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;
using IntArray = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

// ---- keyword arguments to typed values ---------------------------------------------------------

// A keyword argument's value as the parameter tables take it (value_from_typed). The Python side
// has already turned numpy scalars into Python ones.
ParamValue typed_value(const std::string& name, const py::handle& v) {
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>();
  if (py::isinstance<py::int_>(v)) return v.cast<std::int64_t>();
  if (py::isinstance<py::float_>(v)) return v.cast<double>();
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    const py::sequence items = py::reinterpret_borrow<py::sequence>(v);
    bool all_text = true, all_numbers = true;
    for (const py::handle item : items) {
      all_text = all_text && py::isinstance<py::str>(item);
      all_numbers = all_numbers && !py::isinstance<py::bool_>(item) &&
                    (py::isinstance<py::int_>(item) || py::isinstance<py::float_>(item));
    }
    if (all_text) return items.cast<std::vector<std::string>>();
    if (all_numbers) return items.cast<std::vector<double>>();
  }
  throw py::type_error(name +
                       ": expected a bool, int, float, str or a list of str or numbers, not " +
                       std::string(py::str(py::type::handle_of(v).attr("__name__"))));
}

std::vector<NamedValue> named_values(const py::dict& options) {
  std::vector<NamedValue> out;
  for (const auto& [key, value] : options) {
    const std::string name = key.cast<std::string>();
    if (value.is_none()) continue;  // None: the parameter's default
    out.emplace_back(name, typed_value(name, value));
  }
  return out;
}

// A problem of the keyword arguments, as Python reports one: TypeError for a keyword nobody
// takes, ValueError naming the keyword for a value the table does not accept.
[[noreturn]] void raise_problem(const ParamProblem& p) {
  const std::string message =
      spell_params(p.message, [](std::string_view name) { return std::string(name); });
  if (message == "unknown parameter") {
    throw py::type_error("unexpected keyword argument '" + p.param + "'");
  }
  throw py::value_error(p.param.empty() ? message : p.param + ": " + message);
}

template <class Target>
void set_table(const ParameterTable<Target>& table, Target& target, const py::dict& options) {
  ParamSetter<Target> setter(table, target);
  for (const NamedValue& v : named_values(options)) {
    if (auto problem = setter.set(v.first, v.second)) raise_problem(*problem);
  }
  if (auto problem = setter.finish()) raise_problem(*problem);
}

// ---- columns -----------------------------------------------------------------------------------

// Columns of a data frame: the arrays stay referenced while the table is built from them.
struct Columns {
  std::vector<std::pair<std::string, DoubleArray>> numbers;
  std::vector<std::pair<std::string, IntArray>> integers;
  std::vector<std::pair<std::string, std::vector<std::string>>> texts;
  std::vector<std::string> order;
  std::string source;

  [[nodiscard]] StudyTable table() const {
    StudyColumns c;
    c.source = source;
    c.order = order;
    for (const auto& [name, a] : numbers)
      c.numbers.push_back({name, {a.data(), static_cast<std::size_t>(a.size())}});
    for (const auto& [name, a] : integers)
      c.integers.push_back({name, {a.data(), static_cast<std::size_t>(a.size())}});
    for (const auto& [name, t] : texts)
      c.texts.push_back({name, t});
    return table_from_columns(c);
  }
};

// The columns in a data frame's order: (name, values) pairs of each kind, and every name in order.
Columns columns_from(const py::list& numbers, const py::list& integers, const py::list& texts,
                     const py::list& order, std::string source) {
  Columns c;
  c.order = order.cast<std::vector<std::string>>();
  c.source = std::move(source);
  for (const py::handle h : numbers) {
    auto pair = h.cast<std::pair<std::string, DoubleArray>>();
    if (pair.second.ndim() != 1) throw py::value_error("column '" + pair.first + "' is not 1-D");
    c.numbers.push_back(std::move(pair));
  }
  for (const py::handle h : integers) {
    auto pair = h.cast<std::pair<std::string, IntArray>>();
    if (pair.second.ndim() != 1) throw py::value_error("column '" + pair.first + "' is not 1-D");
    c.integers.push_back(std::move(pair));
  }
  for (const py::handle h : texts)
    c.texts.push_back(h.cast<std::pair<std::string, std::vector<std::string>>>());
  return c;
}

// A vector's storage as a numpy array that owns it (no copy).
template <class T>
py::array owning_array(std::vector<T>&& values) {
  auto* held = new std::vector<T>(std::move(values));
  py::capsule owner(held, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(held->size())}, {sizeof(T)}, held->data(), owner);
}

// Texts as a categorical: codes into the distinct values, in order of first appearance.
template <class S>
py::tuple categorical(const std::vector<S>& texts) {
  std::vector<std::int32_t> codes(texts.size());
  std::unordered_map<std::string_view, std::int32_t> index;
  std::vector<std::string_view> categories;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string_view t = texts[i];
    auto [it, added] = index.emplace(t, static_cast<std::int32_t>(categories.size()));
    if (added) categories.push_back(t);
    codes[i] = it->second;
  }
  py::list names;
  for (std::string_view c : categories)
    names.append(py::str(c.data(), c.size()));
  return py::make_tuple(owning_array(std::move(codes)), names);
}

// ---- results -----------------------------------------------------------------------------------

// One analysis's result with the table it came from: plots show its per-arm columns, and
// influence, bias and predictions run on it again.
class Result {
 public:
  Result(std::shared_ptr<const StudyTable> table, RequestResult result)
      : table_(std::move(table)), result_(std::move(result)) {}

  // The document in a registered format: json (the command line's --format json), text, csv.
  [[nodiscard]] std::string render(const std::string& format) const {
    const Renderer* r = find_renderer(format);
    if (r == nullptr) throw py::value_error("format: " + format + " not in " + renderer_names());
    std::ostringstream out;
    std::visit([&](const auto& a) { r->render(a, out); }, result_);
    return out.str();
  }

  void plots(const py::dict& options) const {
    PlotSettings settings;
    set_table(plot_parameters(), settings, options);
    if (const auto* multilevel = std::get_if<MultilevelAnalysis>(&result_)) {
      py::gil_scoped_release release;
      write_plots(settings, *multilevel);
      return;
    }
    const auto* analysis = std::get_if<Analysis>(&result_);
    if (analysis == nullptr) {
      throw py::value_error(
          "plots are drawn for a pooled analysis (no mods, no subgroup) or a multilevel model");
    }
    py::gil_scoped_release release;
    write_plots(settings, *analysis, *table_);
  }

  // The TSA plot of a trial sequential analysis (sequential_plot_parameters: plot, title).
  void sequential_plot(const py::dict& options) const {
    const auto* result = std::get_if<SequentialResult>(&result_);
    if (result == nullptr) throw py::value_error("the TSA plot is drawn for evident.sequential");
    SequentialPlotSettings settings;
    set_table(sequential_plot_parameters(), settings, options);
    if (settings.plot.empty()) throw py::value_error("plot: give the file to write");
    py::gil_scoped_release release;
    write_plot(evident::sequential_plot(*result, settings.title), settings.plot);
  }

  // Another request (influence, bias, more parameters) on the same data; `options` are all of
  // its parameters.
  [[nodiscard]] Result rerun(RequestKind kind, const py::dict& options) const;

 private:
  std::shared_ptr<const StudyTable> table_;
  RequestResult result_;
};

Result run(const std::shared_ptr<const StudyTable>& table, Request request) {
  py::gil_scoped_release release;
  RequestResult result = run_request(*table, request);
  return {table, std::move(result)};
}

Request make_request(RequestKind kind, const py::dict& options) {
  Request request;
  const std::vector<NamedValue> values = named_values(options);
  if (auto problem = set_request(request, kind, values)) raise_problem(*problem);
  return request;
}

Result Result::rerun(RequestKind kind, const py::dict& options) const {
  return run(table_, make_request(kind, options));
}

RequestKind kind_of(const std::string& name) {
  if (name == "fit") return RequestKind::fit;
  if (name == "influence") return RequestKind::influence;
  if (name == "bias") return RequestKind::bias;
  if (name == "sequential") return RequestKind::sequential;
  throw py::value_error("unknown analysis kind '" + name + "'");
}

// ---- entry points ------------------------------------------------------------------------------

Result analyse_columns(const std::string& kind, const py::list& numbers, const py::list& integers,
                       const py::list& texts, const py::list& order, const std::string& source,
                       const py::dict& options) {
  Request request = make_request(kind_of(kind), options);
  const Columns columns = columns_from(numbers, integers, texts, order, source);
  auto table = std::make_shared<const StudyTable>(columns.table());
  return run(table, std::move(request));
}

// escalc: yi and vi per row of the data (NaN where a row has none), and the diagnostics.
py::dict escalc(const py::list& numbers, const py::list& integers, const py::list& texts,
                const py::list& order, const std::string& source, std::size_t rows,
                const py::dict& options) {
  AnalysisSpec spec;
  set_table(analysis_parameters(), spec, options);
  const Columns columns = columns_from(numbers, integers, texts, order, source);
  EffectData data;
  {
    py::gil_scoped_release release;
    data = compute_effects(columns.table(), resolve_measure(spec).effect);
  }
  std::vector<double> yi(rows, std::numeric_limits<double>::quiet_NaN()), vi = yi;
  py::list labels;
  for (std::size_t i = 0; i < data.k(); ++i) {
    const std::size_t row = data.lines[i] - 1;  // a data frame's row i is "line" i + 1
    if (row < rows) {
      yi[row] = data.yi[i];
      vi[row] = data.vi[i];
    }
  }
  py::list diagnostics;
  for (const Diagnostic& d : data.diagnostics) {
    py::dict item;
    item["code"] = std::string(diagnostic_name(d.code));
    item["message"] = d.message;
    item["study"] = d.study;
    diagnostics.append(item);
  }
  py::dict out;
  out["yi"] = owning_array(std::move(yi));
  out["vi"] = owning_array(std::move(vi));
  out["measure"] = std::string(measure_name(data.measure));
  out["diagnostics"] = diagnostics;
  return out;
}

// The columns of a batch: numbers and counts as arrays owning the core's buffers, texts as
// categoricals (codes, categories).
py::dict batch_result(BatchArrays&& r) {
  py::dict out;
  for (ResultColumn& c : r.columns) {
    const std::string name(c.name);
    switch (c.type) {
      case FieldType::number:
        out[name.c_str()] = owning_array(std::move(c.numbers));
        break;
      case FieldType::count:
        out[name.c_str()] = owning_array(std::move(c.integers));
        break;
      case FieldType::text:
      case FieldType::interval:
        out[name.c_str()] = categorical(c.texts);
        break;
    }
  }
  out["diagnostics"] = categorical(r.diagnostics);
  out["error"] = categorical(r.errors);
  return out;
}

py::dict batch_arrays_py(const py::array& yi, const py::array& vi, const py::array& offsets,
                         const py::dict& options, unsigned threads) {
  // Only C-contiguous float64 arrays are taken, so nothing is copied (a copy of 10^8 studies
  // would double the memory a batch needs).
  auto doubles = [](const py::array& a, const char* name) {
    if (!py::isinstance<py::array_t<double>>(a) || a.ndim() != 1 ||
        !(a.flags() & py::array::c_style)) {
      throw py::type_error(std::string(name) + " must be a 1-D C-contiguous float64 array");
    }
    return std::span<const double>(static_cast<const double*>(a.data()),
                                   static_cast<std::size_t>(a.size()));
  };
  const std::span<const double> y = doubles(yi, "yi"), v = doubles(vi, "vi");
  static_assert(sizeof(std::size_t) == sizeof(std::uint64_t));
  const bool offsets_ok = (py::isinstance<py::array_t<std::int64_t>>(offsets) ||
                           py::isinstance<py::array_t<std::uint64_t>>(offsets)) &&
                          offsets.ndim() == 1 && (offsets.flags() & py::array::c_style);
  if (!offsets_ok) throw py::type_error("offsets must be a 1-D C-contiguous int64 array");
  // int64 offsets read as unsigned: a negative one becomes huge, and batch_arrays rejects it
  // (offsets must not decrease and end at the number of studies).
  const std::span<const std::size_t> o(static_cast<const std::size_t*>(offsets.data()),
                                       static_cast<std::size_t>(offsets.size()));
  AnalysisSpec spec;
  spec.fit.threads = 0;
  set_table(analysis_parameters(), spec, options);
  if (spec.effect.measure != Measure::GEN) {
    throw py::value_error("measure: batch_arrays pools yi and vi as given (no measure)");
  }
  if (spec.multilevel.active()) {
    throw py::value_error(
        "random: batch_arrays fits univariate models; a multilevel batch needs its grouping "
        "columns: evident.batch(data, by=..., random=...)");
  }
  BatchArrays r;
  {
    py::gil_scoped_release release;
    r = batch_arrays(y, v, o, spec.fit, threads);
  }
  return batch_result(std::move(r));
}

// The batch of a long-format CSV text, exactly as `evident batch` (the rows it writes).
std::string batch_csv(const std::string& text, const std::string& by, const py::dict& options,
                      unsigned threads, const std::string& source) {
  BatchOptions o;
  o.by = by;
  o.threads = threads;
  o.format = BatchFormat::csv;
  o.spec.fit.threads = 0;
  set_table(analysis_parameters(), o.spec, options);
  o.output_name = "the results";
  py::gil_scoped_release release;
  std::istringstream in(text);
  std::ostringstream out;
  (void)run_batch(in, source, out, o);
  return out.str();
}

const char* type_name(ParamType t) {
  switch (t) {
    case ParamType::text:
      return "str";
    case ParamType::number:
      return "float";
    case ParamType::count:
      return "int";
    case ParamType::boolean:
    case ParamType::flag:
      return "bool";
    case ParamType::text_list:
      return "list[str]";
    case ParamType::number_list:
      return "list[float]";
  }
  return "str";
}

py::dict info_dict(const ParamInfo& p, const std::optional<ParamValue>& current) {
  py::dict d;
  d["name"] = p.name;
  d["type"] = type_name(p.type);
  d["help"] = spell_params(p.help, [](std::string_view n) { return std::string(n); });
  d["choices"] = p.choices;
  d["default"] = current ? py::str(value_text(*current)) : py::str(p.default_note);
  d["aliases"] = p.aliases;
  return d;
}

template <class Target>
void add_infos(py::list& out, const ParameterTable<Target>& table, const Target& target) {
  for (const Param<Target>& p : table.params)
    out.append(info_dict(p, p.get ? p.get(target) : std::optional<ParamValue>{}));
}

// The keyword arguments a call takes, from the tables (for help and the documentation).
py::list parameters(const std::string& kind) {
  py::list out;
  Request r;
  if (kind == "plot") {
    add_infos(out, plot_parameters(), PlotSettings{});
    return out;
  }
  add_infos(out, analysis_parameters(), r.analysis);
  if (kind == "fit") add_infos(out, moderator_parameters(), r.moderators);
  if (kind == "influence") add_infos(out, influence_parameters(), r.influence);
  if (kind == "bias") add_infos(out, bias_parameters(), r.bias);
  if (kind == "sequential") add_infos(out, sequential_parameters(), r.sequential);
  return out;
}

}  // namespace

}  // namespace evident::python

PYBIND11_MODULE(_core, m) {
  using namespace evident;
  using namespace evident::python;
  m.doc() = "evident's core: exact, fast meta-analysis (see the evident package)";
  m.attr("__version__") = std::string(kVersion);

  // The core throws InputError for bad input and nothing else but std::bad_alloc (MemoryError,
  // pybind11's own translation). InputError keeps its message, every problem as
  // source:row:column: problem, as the command line prints it.
  static py::exception<InputError> input_error(m, "InputError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      py::list problems;
      for (const InputProblem& problem : e.problems()) {
        problems.append(py::make_tuple(problem.where.file, problem.where.line, problem.where.column,
                                       problem.message));
      }
      py::object error = py::handle(input_error.ptr())(e.what());
      error.attr("problems") = problems;
      PyErr_SetObject(input_error.ptr(), error.ptr());
    }
  });

  py::class_<Result>(m, "Result")
      .def("render", &Result::render, py::arg("format"))
      .def("plots", &Result::plots, py::arg("options"))
      .def("sequential_plot", &Result::sequential_plot, py::arg("options"))
      .def(
          "rerun",
          [](const Result& r, const std::string& kind, const py::dict& options) {
            return r.rerun(kind_of(kind), options);
          },
          py::arg("kind"), py::arg("options"));

  m.def("analyse", &analyse_columns, py::arg("kind"), py::arg("numbers"), py::arg("integers"),
        py::arg("texts"), py::arg("order"), py::arg("source"), py::arg("options"));
  m.def("escalc", &escalc, py::arg("numbers"), py::arg("integers"), py::arg("texts"),
        py::arg("order"), py::arg("source"), py::arg("rows"), py::arg("options"));
  m.def("batch_arrays", &batch_arrays_py, py::arg("yi"), py::arg("vi"), py::arg("offsets"),
        py::arg("options"), py::arg("threads") = 0);
  m.def("batch_csv", &batch_csv, py::arg("text"), py::arg("by"), py::arg("options"),
        py::arg("threads") = 0, py::arg("source") = "<data frame>");
  m.def("parameters", &parameters, py::arg("kind"));
  m.def("study_column_names", [] {
    std::vector<std::string> names;
    for (std::string_view n : study_column_names())
      names.emplace_back(n);
    return names;
  });
  m.def("renderers", [] {
    std::vector<std::string> names;
    for (const Renderer* r : renderers())
      names.emplace_back(r->name());
    return names;
  });
}
