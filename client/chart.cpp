#include "client/chart.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

#include "charts/frame.hpp"
#include "charts/scale.hpp"
#include "charts/svg.hpp"

namespace client {

namespace {

using charts::Frame;

constexpr int kWidth = 860;
constexpr int kPanelHeight = 380;  // a frame and its margins (charts/frame.hpp)
const Frame kLatencyFrame{.right = kWidth - 24, .bottom = kPanelHeight - 56};
const Frame kRateFrame{
    .top = kPanelHeight + 92, .right = kWidth - 24, .bottom = 2 * kPanelHeight - 56};
const std::string kOkColor = "#2166ac";
const std::string kFailedColor = "#b2182b";

struct Mark {
  double percent;
  const char* label;
  const char* color;
};
// The percentiles of the summary, in the suite's latency chart's colours.
constexpr Mark kMarks[] = {{50, "p50", "#9ecae1"},
                           {90, "p90", "#4292c6"},
                           {99, "p99", "#2166ac"},
                           {99.9, "p99.9", "#08306b"}};

// A latency as the log axis takes it: the histogram's unit is 1 µs, nothing lies below.
double at_least_1(std::uint64_t us) {
  return std::max<double>(static_cast<double>(us), 1);
}

std::string percent(double value) {
  return charts::format_si(value) + "%";
}

// The share done within each bucket's highest value: a point per bucket that holds values,
// from (min, 0 %) to (max, 100 %).
template <class X, class Y>
std::vector<std::pair<double, double>> cumulative(const Histogram& latency, const X& x,
                                                  const Y& y) {
  std::vector<std::pair<double, double>> points = {{x(at_least_1(latency.min())), y(0)}};
  std::uint64_t seen = 0;
  for (const Histogram::Bucket& bucket : latency.buckets()) {
    seen += bucket.count;
    const double share = 100.0 * static_cast<double>(seen) / static_cast<double>(latency.count());
    points.emplace_back(x(at_least_1(std::min(bucket.value_us, latency.max()))), y(share));
  }
  return points;
}

void draw_latency(charts::Svg& svg, const Histogram& latency) {
  const Frame& frame = kLatencyFrame;
  charts::draw_titles(svg, frame, kLatencyTitle,
                      "The share of the " + std::to_string(latency.count()) +
                          " successful requests done within each latency; max " +
                          charts::format_us(static_cast<double>(latency.max())) + ".");
  if (latency.count() == 0) {
    svg.text((frame.left + frame.right) / 2, (frame.top + frame.bottom) / 2,
             "no successful requests", {.anchor = charts::Anchor::kMiddle, .fill = charts::kMuted});
    charts::draw_axes(svg, frame);
    return;
  }
  const std::vector<double> decades =
      charts::decade_ticks(at_least_1(latency.min()), at_least_1(latency.max()));
  const charts::LogScale x(decades.front(), decades.back(), frame.left, frame.right);
  const charts::LinearScale y(0, 100, frame.bottom, frame.top);
  std::vector<charts::LegendItem> legend;
  for (const Mark& mark : kMarks) {
    const auto value = static_cast<double>(latency.percentile(mark.percent));
    legend.push_back({std::string(mark.label) + " " + charts::format_us(value), mark.color});
  }
  charts::draw_legend(svg, frame, legend);
  charts::draw_y_ticks(svg, frame, charts::nice_ticks(0, 100, 5), y, percent);
  charts::draw_x_ticks(svg, frame, decades, x, charts::format_us);
  charts::draw_y_title(svg, frame, "requests done within");
  charts::draw_x_title(svg, frame, "latency (log scale)");
  svg.polyline(cumulative(latency, x, y), kOkColor, 2.5);
  for (std::size_t i = 0; i < std::size(kMarks); ++i) {
    const double value = at_least_1(latency.percentile(kMarks[i].percent));
    svg.circle(x(value), y(kMarks[i].percent), 5, kMarks[i].color, legend[i].label);
  }
  charts::draw_axes(svg, frame);
}

// One slice of the timeline as a rate: where it starts and ends (seconds since the start)
// and its requests per second, ok and failed.
struct Rate {
  double from, to;
  double ok, failed;
};

// The timeline's slices as rates. The last one ends with the run, so it is shorter; one
// shorter than half a slice is folded into the one before it, or a few requests that
// finished just before the end would read as a burst.
std::vector<Rate> rates(const Timeline& timeline, double wall_s) {
  const double width = std::chrono::duration<double>(timeline.width()).count();
  const auto start_of = [width](std::size_t slice) { return width * static_cast<double>(slice); };
  std::vector<Timeline::Slice> slices = timeline.slices();
  if (slices.empty()) return {};
  const double end = std::clamp(wall_s, start_of(slices.size() - 1), start_of(slices.size()));
  if (slices.size() >= 2 && end - start_of(slices.size() - 1) < width / 2) {
    slices[slices.size() - 2] += slices.back();
    slices.pop_back();
  }
  std::vector<Rate> out;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const double from = start_of(i);
    const double to = i + 1 == slices.size() ? end : from + width;
    const double span = std::max(to - from, width / 100);  // a run that took no time at all
    out.push_back({from, to, static_cast<double>(slices[i].ok) / span,
                   static_cast<double>(slices[i].failed) / span});
  }
  return out;
}

// A rate per slice as steps: level across its slice, so one slice still shows as a line.
template <class X, class Y, class Of>
std::vector<std::pair<double, double>> steps(const std::vector<Rate>& all, const X& x, const Y& y,
                                             Of of) {
  std::vector<std::pair<double, double>> points;
  for (const Rate& rate : all) {
    points.emplace_back(x(rate.from), y(of(rate)));
    points.emplace_back(x(rate.to), y(of(rate)));
  }
  return points;
}

void draw_rate(charts::Svg& svg, const Timeline& timeline, double wall_s) {
  const Frame& frame = kRateFrame;
  const double width_us = std::chrono::duration<double, std::micro>(timeline.width()).count();
  charts::draw_titles(svg, frame, kRateTitle,
                      "Requests finished in each " + charts::format_us(width_us) +
                          " of the run, ok and failed, as a rate per second.");
  const std::vector<Rate> all = rates(timeline, wall_s);
  double top = 1;
  bool any_failed = false;
  for (const Rate& rate : all) {
    top = std::max({top, rate.ok, rate.failed});
    any_failed = any_failed || rate.failed > 0;
  }
  const std::vector<double> x_ticks =
      charts::nice_ticks(0, all.empty() ? wall_s : all.back().to, 6);
  const std::vector<double> y_ticks = charts::nice_ticks(0, top * 1.12, 5);
  const charts::LinearScale x(0, x_ticks.back(), frame.left, frame.right);
  const charts::LinearScale y(0, y_ticks.back(), frame.bottom, frame.top);
  std::vector<charts::LegendItem> legend = {{"ok", kOkColor}};
  if (any_failed) legend.push_back({"failed", kFailedColor});
  charts::draw_legend(svg, frame, legend);
  charts::draw_y_ticks(svg, frame, y_ticks, y, charts::format_si);
  charts::draw_x_ticks(svg, frame, x_ticks, x,
                       [](double s) { return charts::format_si(s) + " s"; });
  charts::draw_y_title(svg, frame, "requests per second");
  charts::draw_x_title(svg, frame, "time since the start of the run");
  if (!all.empty()) {
    svg.polyline(steps(all, x, y, [](const Rate& r) { return r.ok; }), kOkColor, 2);
    if (any_failed)
      svg.polyline(steps(all, x, y, [](const Rate& r) { return r.failed; }), kFailedColor, 2);
  }
  charts::draw_axes(svg, frame);
}

}  // namespace

std::string run_chart(const RunResult& result) {
  charts::Svg svg(kWidth, 2 * kPanelHeight);
  draw_latency(svg, result.stats.latency);
  draw_rate(svg, result.timeline, result.wall_s);
  return svg.finish();
}

}  // namespace client
