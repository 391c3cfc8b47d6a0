// Frame: a chart's plot area and what is drawn around it, for every chart made here (the
// suite's, plots.hpp; the client's --svg, client/chart.hpp): the titles and a legend above
// it, the axes, grid lines and labelled ticks, the axis titles. Several frames may stand on
// one Svg, a panel each.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "charts/svg.hpp"

namespace charts {

inline const std::string kGrid = "#e3e3e3";
inline const std::string kAxis = "#555555";
inline const std::string kMuted = "#555555";

// The plot area inside the margins, in pixels; y grows downwards, so bottom > top. The
// titles and the legend take the 92 pixels above `top`, the tick labels and the x axis's
// title the 56 below `bottom`.
struct Frame {
  double left = 84;
  double top = 92;
  double right = 0;
  double bottom = 0;
};

struct LegendItem {
  std::string label;
  std::string color;
};

void draw_titles(Svg& svg, const Frame& frame, std::string_view title, std::string_view note);
void draw_legend(Svg& svg, const Frame& frame, const std::vector<LegendItem>& items);
void draw_axes(Svg& svg, const Frame& frame);
void draw_y_title(Svg& svg, const Frame& frame, std::string_view title);
void draw_x_title(Svg& svg, const Frame& frame, std::string_view title);

// A horizontal grid line and its label at the left of the plot, for each tick.
template <class Scale, class Format>
void draw_y_ticks(Svg& svg, const Frame& frame, const std::vector<double>& ticks,
                  const Scale& scale, Format format) {
  for (const double tick : ticks) {
    const double y = scale(tick);
    svg.line(frame.left, y, frame.right, y, kGrid);
    svg.line(frame.left - 5, y, frame.left, y, kAxis);
    svg.text(frame.left - 9, y + 4, format(tick), {.anchor = Anchor::kEnd, .size = 11});
  }
}

// A mark below the x axis and its label, for each tick.
template <class Scale, class Format>
void draw_x_ticks(Svg& svg, const Frame& frame, const std::vector<double>& ticks,
                  const Scale& scale, Format format) {
  for (const double tick : ticks) {
    const double x = scale(tick);
    svg.line(x, frame.bottom, x, frame.bottom + 5, kAxis);
    svg.text(x, frame.bottom + 19, format(tick), {.anchor = Anchor::kMiddle, .size = 11});
  }
}

}  // namespace charts
