#pragma once
// The renderer of each format, for the registry (renderers.cpp). Internal to the report layer.

#include "evident/report/report.hpp"

namespace evident::detail {

const Renderer& text_renderer() noexcept;  // text/text.cpp
const Renderer& json_renderer() noexcept;  // json/json.cpp
const Renderer& csv_renderer() noexcept;   // csv/csv.cpp

}  // namespace evident::detail
