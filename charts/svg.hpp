// Svg: writes the handful of SVG elements the charts are made of, as plain text.
//
// Only rect, line, polyline, circle and text, with presentation attributes and the
// generic "sans-serif" font: no fonts to fetch, no script, no CSS, so the file renders the
// same in a browser, on GitHub (as an <img>, where <title> tooltips are simply not shown)
// and in rsvg. A white background keeps it readable on dark pages.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace charts {

enum class Anchor { kStart, kMiddle, kEnd };

struct TextStyle {
  Anchor anchor = Anchor::kStart;
  int size = 12;
  bool bold = false;
  double rotate = 0;  // degrees, about the text's anchor point (-90 reads bottom to top)
  std::string fill = "#222";
};

class Svg {
 public:
  Svg(int width, int height);

  // `tooltip`, when given, becomes the element's <title> (shown on hover in a browser).
  void rect(double x, double y, double width, double height, std::string_view fill,
            std::string_view tooltip = {});
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1);
  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke,
                double width);
  void circle(double cx, double cy, double r, std::string_view fill, std::string_view tooltip = {});
  void text(double x, double y, std::string_view content, const TextStyle& style = {});

  // The whole document; the Svg should not be drawn on afterwards.
  std::string finish();

 private:
  std::string out_;
};

// & < > " as entities: labels come from the results file.
std::string escape_xml(std::string_view text);

}  // namespace charts
