#pragma once
// The renderer of each format, for the registry (renderers.cpp). Internal to the report layer.

#include <ostream>
#include <string_view>

#include "evident/report/report.hpp"

namespace evident::detail {

// A renderer from a format's writer: Writer::kName, and Writer::write(result, out) for every kind
// of result (overloads of one function name, or a template). Each format's file defines its
// Writer and its renderer as `static const FormatRenderer<Writer> renderer;`.
template <class Writer>
class FormatRenderer final : public Renderer {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return Writer::kName; }
  void render(const Analysis& a, std::ostream& out) const override { Writer::write(a, out); }
  void render(const MetaRegAnalysis& a, std::ostream& out) const override { Writer::write(a, out); }
  void render(const SubgroupAnalysis& a, std::ostream& out) const override {
    Writer::write(a, out);
  }
  void render(const InfluenceAnalysis& a, std::ostream& out) const override {
    Writer::write(a, out);
  }
  void render(const BiasAnalysis& a, std::ostream& out) const override { Writer::write(a, out); }
  void render(const SequentialResult& a, std::ostream& out) const override {
    Writer::write(a, out);
  }
  void render(const MultilevelAnalysis& a, std::ostream& out) const override {
    Writer::write(a, out);
  }
};

const Renderer& text_renderer() noexcept;  // text/text.cpp
const Renderer& json_renderer() noexcept;  // json/json.cpp
const Renderer& csv_renderer() noexcept;   // csv/csv.cpp

}  // namespace evident::detail
