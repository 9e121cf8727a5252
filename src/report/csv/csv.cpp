// CSV for spreadsheets: the JSON document's fields as columns.
// The renderer of the `csv` format; each result's csv is in the file of its kind beside this.

#include "report/csv/csv.hpp"

#include "report/renderers.hpp"

namespace evident::detail {

namespace {

struct CsvWriter {
  static constexpr std::string_view kName = "csv";
  template <class Result>
  static void write(const Result& r, std::ostream& out) {
    render_csv(r, out);
  }
};

}  // namespace

const Renderer& csv_renderer() noexcept {
  static const FormatRenderer<CsvWriter> renderer;
  return renderer;
}

}  // namespace evident::detail
