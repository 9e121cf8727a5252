// Text for people: metafor-style summaries.
// The renderer of the `text` format; each result's text is in the file of its kind beside this.

#include "report/text/text.hpp"

#include "report/renderers.hpp"

namespace evident::detail {

namespace {

class TextRenderer final : public Renderer {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "text"; }
  void render(const Analysis& a, std::ostream& out) const override { render_text(a, out); }
  void render(const MetaRegAnalysis& a, std::ostream& out) const override { render_text(a, out); }
  void render(const SubgroupAnalysis& a, std::ostream& out) const override { render_text(a, out); }
  void render(const InfluenceAnalysis& a, std::ostream& out) const override { render_text(a, out); }
  void render(const BiasAnalysis& a, std::ostream& out) const override { render_text(a, out); }
};

}  // namespace

const Renderer& text_renderer() noexcept {
  static const TextRenderer renderer;
  return renderer;
}

}  // namespace evident::detail
