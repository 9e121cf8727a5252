// JSON, the canonical result: one object per analysis with metafor's names (docs/cli.md).
// The renderer of the `json` format; each result's json is in the file of its kind beside this.

#include "report/json/json.hpp"

#include "report/renderers.hpp"

namespace evident::detail {

namespace {

struct JsonWriter {
  static constexpr std::string_view kName = "json";
  template <class Result>
  static void write(const Result& r, std::ostream& out) {
    render_json(r, out);
  }
};

}  // namespace

const Renderer& json_renderer() noexcept {
  static const FormatRenderer<JsonWriter> renderer;
  return renderer;
}

}  // namespace evident::detail
