#include "charts/svg.hpp"

#include <cstdio>

namespace charts {
namespace {

// Coordinates to a tenth of a pixel: precise enough, and the files stay small and diffable.
std::string num(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  std::string out = text;
  if (out.ends_with(".0")) out.resize(out.size() - 2);
  return out == "-0" ? "0" : out;
}

std::string_view anchor_name(Anchor anchor) {
  switch (anchor) {
    case Anchor::kMiddle:
      return "middle";
    case Anchor::kEnd:
      return "end";
    case Anchor::kStart:
      break;
  }
  return "start";
}

// Closes an element, with its tooltip as a child when there is one.
std::string close_element(std::string_view name, std::string_view tooltip) {
  if (tooltip.empty()) return "/>\n";
  return "><title>" + escape_xml(tooltip) + "</title></" + std::string(name) + ">\n";
}

}  // namespace

Svg::Svg(int width, int height) {
  out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" ";
  out_ += "width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
          "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
          "\" font-family=\"sans-serif\">\n";
  rect(0, 0, width, height, "#ffffff");
}

void Svg::rect(double x, double y, double width, double height, std::string_view fill,
               std::string_view tooltip) {
  out_ += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(width) + "\" height=\"" +
          num(height) + "\" fill=\"" + std::string(fill) + "\"" + close_element("rect", tooltip);
}

void Svg::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width) {
  out_ += "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" +
          num(y2) + "\" stroke=\"" + std::string(stroke) + "\" stroke-width=\"" + num(width) +
          "\"/>\n";
}

void Svg::polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke,
                   double width) {
  std::string list;
  for (const auto& [x, y] : points)
    list += (list.empty() ? "" : " ") + num(x) + "," + num(y);
  out_ += "<polyline points=\"" + list + "\" fill=\"none\" stroke=\"" + std::string(stroke) +
          "\" stroke-width=\"" + num(width) + "\" stroke-linejoin=\"round\"/>\n";
}

void Svg::circle(double cx, double cy, double r, std::string_view fill, std::string_view tooltip) {
  out_ += "<circle cx=\"" + num(cx) + "\" cy=\"" + num(cy) + "\" r=\"" + num(r) + "\" fill=\"" +
          std::string(fill) + "\" stroke=\"#ffffff\" stroke-width=\"1\"" +
          close_element("circle", tooltip);
}

void Svg::text(double x, double y, std::string_view content, const TextStyle& style) {
  out_ += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" +
          std::to_string(style.size) + "\" fill=\"" + style.fill + "\"";
  if (style.anchor != Anchor::kStart) {
    out_ += " text-anchor=\"" + std::string(anchor_name(style.anchor)) + "\"";
  }
  if (style.bold) out_ += " font-weight=\"bold\"";
  if (style.rotate != 0) {
    out_ += " transform=\"rotate(" + num(style.rotate) + " " + num(x) + " " + num(y) + ")\"";
  }
  out_ += ">" + escape_xml(content) + "</text>\n";
}

std::string Svg::finish() {
  out_ += "</svg>\n";
  return std::move(out_);
}

std::string escape_xml(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace charts
