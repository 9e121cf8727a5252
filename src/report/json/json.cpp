// JSON, the canonical result: one object per analysis with metafor's names (docs/cli.md).
// The renderer of the `json` format; each result's json is in the file of its kind beside this.

#include "report/json/json.hpp"

#include "report/renderers.hpp"

namespace evident::detail {

namespace {

class JsonRenderer final : public Renderer {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "json"; }
  void render(const Analysis& a, std::ostream& out) const override { render_json(a, out); }
  void render(const MetaRegAnalysis& a, std::ostream& out) const override { render_json(a, out); }
  void render(const SubgroupAnalysis& a, std::ostream& out) const override { render_json(a, out); }
  void render(const InfluenceAnalysis& a, std::ostream& out) const override { render_json(a, out); }
  void render(const BiasAnalysis& a, std::ostream& out) const override { render_json(a, out); }
};

}  // namespace

const Renderer& json_renderer() noexcept {
  static const JsonRenderer renderer;
  return renderer;
}

}  // namespace evident::detail
