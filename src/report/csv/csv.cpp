// CSV for spreadsheets: the JSON document's fields as columns.
// The renderer of the `csv` format; each result's csv is in the file of its kind beside this.

#include "report/csv/csv.hpp"

#include "report/renderers.hpp"

namespace evident::detail {

namespace {

class CsvRenderer final : public Renderer {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "csv"; }
  void render(const Analysis& a, std::ostream& out) const override { render_csv(a, out); }
  void render(const MetaRegAnalysis& a, std::ostream& out) const override { render_csv(a, out); }
  void render(const SubgroupAnalysis& a, std::ostream& out) const override { render_csv(a, out); }
  void render(const InfluenceAnalysis& a, std::ostream& out) const override { render_csv(a, out); }
  void render(const BiasAnalysis& a, std::ostream& out) const override { render_csv(a, out); }
};

}  // namespace

const Renderer& csv_renderer() noexcept {
  static const CsvRenderer renderer;
  return renderer;
}

}  // namespace evident::detail
