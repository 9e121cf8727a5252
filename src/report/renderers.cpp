// The registered output formats: one line per format. A new format is a Renderer in a file of its
// own, listed here.

#include "report/renderers.hpp"

#include <array>
#include <string>

#include "evident/report/report.hpp"

namespace evident {

std::span<const Renderer* const> renderers() noexcept {
  static const std::array<const Renderer*, 3> kRenderers{
      &detail::text_renderer(),
      &detail::json_renderer(),
      &detail::csv_renderer(),
  };
  return kRenderers;
}

const Renderer* find_renderer(std::string_view name) noexcept {
  for (const Renderer* r : renderers()) {
    if (r->name() == name) return r;
  }
  return nullptr;
}

std::string renderer_names() {
  const auto all = renderers();
  std::string names;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i > 0) names += i + 1 == all.size() ? " or " : ", ";
    names += all[i]->name();
  }
  return names;
}

}  // namespace evident
