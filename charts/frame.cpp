#include "charts/frame.hpp"

namespace charts {

void draw_titles(Svg& svg, const Frame& frame, std::string_view title, std::string_view note) {
  svg.text(frame.left, frame.top - 62, title, {.size = 17, .bold = true});
  svg.text(frame.left, frame.top - 42, note, {.size = 12, .fill = kMuted});
}

// One line of swatches and labels above the plot; the width per label is an estimate, as
// SVG cannot measure text before it is rendered.
void draw_legend(Svg& svg, const Frame& frame, const std::vector<LegendItem>& items) {
  double x = frame.left;
  const double y = frame.top - 22;
  for (const auto& item : items) {
    svg.rect(x, y - 10, 12, 12, item.color);
    svg.text(x + 17, y, item.label);
    x += 17 + 7.5 * static_cast<double>(item.label.size()) + 22;
  }
}

void draw_axes(Svg& svg, const Frame& frame) {
  svg.line(frame.left, frame.top, frame.left, frame.bottom, kAxis);
  svg.line(frame.left, frame.bottom, frame.right, frame.bottom, kAxis);
}

void draw_y_title(Svg& svg, const Frame& frame, std::string_view title) {
  svg.text(20, (frame.top + frame.bottom) / 2, title,
           {.anchor = Anchor::kMiddle, .rotate = -90, .fill = kMuted});
}

void draw_x_title(Svg& svg, const Frame& frame, std::string_view title) {
  svg.text((frame.left + frame.right) / 2, frame.bottom + 42, title,
           {.anchor = Anchor::kMiddle, .fill = kMuted});
}

}  // namespace charts
