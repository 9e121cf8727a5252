// Text for people: metafor-style summaries.
// The renderer of the `text` format; each result's text is in the file of its kind beside this.

#include "report/text/text.hpp"

#include "report/renderers.hpp"

namespace evident::detail {

namespace {

struct TextWriter {
  static constexpr std::string_view kName = "text";
  template <class Result>
  static void write(const Result& r, std::ostream& out) {
    render_text(r, out);
  }
};

}  // namespace

const Renderer& text_renderer() noexcept {
  static const FormatRenderer<TextWriter> renderer;
  return renderer;
}

}  // namespace evident::detail
