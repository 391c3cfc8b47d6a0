#include "charts/plots.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "charts/frame.hpp"
#include "charts/scale.hpp"
#include "charts/svg.hpp"

namespace charts {
namespace {

constexpr int kWidth = 860;
constexpr int kHeight = 480;

// The plot area of either chart: the whole image but its margins.
constexpr Frame kFrame{.right = kWidth - 24, .bottom = kHeight - 56};

struct Percentile {
  const char* column;
  const char* label;
  const char* color;
};
constexpr Percentile kPercentiles[] = {
    {"p50_us", "p50", "#9ecae1"},
    {"p90_us", "p90", "#4292c6"},
    {"p99_us", "p99", "#2166ac"},
    {"p999_us", "p99.9", "#08306b"},
};

// The rows that have latencies, and the smallest and largest of them.
struct LatencyData {
  std::vector<std::size_t> rows;
  double lo = std::numeric_limits<double>::max();
  double hi = 0;
};

LatencyData collect_latencies(const Table& results) {
  LatencyData data;
  for (std::size_t row = 0; row < results.rows.size(); ++row) {
    bool any = false;
    for (const auto& p : kPercentiles) {
      if (const auto value = results.number(row, p.column)) {
        data.lo = std::min(data.lo, *value);
        data.hi = std::max(data.hi, *value);
        any = true;
      }
    }
    if (any) data.rows.push_back(row);
  }
  if (data.rows.empty()) throw std::runtime_error("no row of the table has latencies");
  data.lo = std::max(data.lo, 1.0);  // the histogram's unit is 1 µs: nothing lies below it
  return data;
}

// One workload's group of bars, each labelled with its value (read bottom to top).
void draw_bar_group(Svg& svg, const Table& results, std::size_t row, double x, double width,
                    const LogScale& y, double floor) {
  const double bar = width / std::size(kPercentiles);
  double left = x;
  for (const auto& p : kPercentiles) {
    if (const auto value = results.number(row, p.column)) {
      const double top = y(std::max(*value, 1.0));
      const std::string label = format_us(*value);
      svg.rect(left + 1, top, bar - 2, floor - top, p.color,
               results.cell(row, "row") + " " + p.label + ": " + label);
      svg.text(left + bar / 2 + 3.5, top - 4, label, {.size = 10, .rotate = -90});
    }
    left += bar;
  }
}

// A sweep point: the kept (median) run's rate, and the range over all of its runs, which
// equals the rate when the file has no rps_min / rps_max columns (one run per point).
struct Point {
  double concurrency;
  double rps;
  double low;
  double high;
  bool operator<(const Point& other) const { return concurrency < other.concurrency; }
};

// The sweep's points, grouped by series in order of first appearance, sorted by x.
struct Series {
  std::string name;
  std::vector<Point> points;
};

Point read_point(const Table& sweep, std::size_t row, double concurrency, double rps) {
  const bool ranged = sweep.has("rps_min") && sweep.has("rps_max");
  const auto low = ranged ? sweep.number(row, "rps_min") : std::nullopt;
  const auto high = ranged ? sweep.number(row, "rps_max") : std::nullopt;
  return {concurrency, rps, low.value_or(rps), high.value_or(rps)};
}

std::vector<Series> collect_series(const Table& sweep) {
  std::vector<Series> all;
  for (std::size_t row = 0; row < sweep.rows.size(); ++row) {
    const auto x = sweep.number(row, "concurrency");
    const auto y = sweep.number(row, "rps");
    if (!x || !y || *x <= 0) continue;
    const std::string& name = sweep.cell(row, "series");
    auto it = std::find_if(all.begin(), all.end(), [&](const Series& s) { return s.name == name; });
    if (it == all.end()) it = all.insert(all.end(), Series{name, {}});
    it->points.push_back(read_point(sweep, row, *x, *y));
  }
  if (all.empty()) throw std::runtime_error("the sweep has no point to draw");
  for (auto& series : all)
    std::sort(series.points.begin(), series.points.end());
  return all;
}

constexpr const char* kSeriesColors[] = {"#2166ac", "#b2182b", "#1b7837", "#762a83"};

// A whisker from the slowest to the fastest run of a point (pixels): how far to trust it.
void draw_range(Svg& svg, double x, double low, double high, const std::string& color) {
  if (std::fabs(high - low) < 1) return;  // one run, or runs that agree to the pixel
  svg.line(x, low, x, high, color, 1.2);
  svg.line(x - 4, low, x + 4, low, color, 1.2);
  svg.line(x - 4, high, x + 4, high, color, 1.2);
}

void draw_series(Svg& svg, const Series& series, const std::string& color, const LogScale& x,
                 const LinearScale& y) {
  std::vector<std::pair<double, double>> pixels;
  for (const Point& point : series.points)
    pixels.emplace_back(x(point.concurrency), y(point.rps));
  svg.polyline(pixels, color, 2.5);
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    const Point& point = series.points[i];
    const auto [px, py] = pixels[i];
    draw_range(svg, px, y(point.low), y(point.high), color);
    svg.circle(px, py, 4.5, color,
               series.name + ", concurrency " + format_si(point.concurrency) + ": " +
                   format_si(point.rps) + " req/s");
    // Beside the point rather than above it, clear of the whisker.
    svg.text(px + 8, py - 6, format_si(point.rps), {.size = 11});
  }
}

}  // namespace

std::string latency_chart(const Table& results) {
  const LatencyData data = collect_latencies(results);
  const Frame& frame = kFrame;
  // The floor at least half a decade below the shortest bar, so that it still shows.
  const std::vector<double> ticks = decade_ticks(data.lo / 3, data.hi);
  // Six times the largest value (three quarters of a decade) leaves room above the tallest
  // bar for its label; the top of the axis need not be a decade.
  const LogScale y(ticks.front(), std::max(ticks.back(), data.hi * 6), frame.bottom, frame.top);

  Svg svg(kWidth, kHeight);
  draw_titles(svg, frame, "Latency percentiles by workload",
              "scripts/bench.sh over loopback, log scale. Each row's median run (by req/s).");
  std::vector<LegendItem> legend;
  for (const auto& p : kPercentiles)
    legend.push_back({p.label, p.color});
  draw_legend(svg, frame, legend);
  draw_y_ticks(svg, frame, ticks, y, format_us);
  draw_y_title(svg, frame, "latency");

  const double slot = (frame.right - frame.left) / static_cast<double>(data.rows.size());
  for (std::size_t i = 0; i < data.rows.size(); ++i) {
    const double x = frame.left + slot * static_cast<double>(i);
    draw_bar_group(svg, results, data.rows[i], x + slot * 0.1, slot * 0.8, y, frame.bottom);
    svg.text(x + slot / 2, frame.bottom + 20, results.cell(data.rows[i], "row"),
             {.anchor = Anchor::kMiddle, .size = 12, .bold = true});
  }
  draw_x_title(svg, frame, "workload: a row of the benchmark table (bars start at the axis floor)");
  draw_axes(svg, frame);
  return svg.finish();
}

std::string throughput_chart(const Table& sweep) {
  const std::vector<Series> all = collect_series(sweep);
  std::vector<double> concurrencies;
  double top_rps = 0;
  for (const auto& series : all) {
    for (const Point& point : series.points) {
      concurrencies.push_back(point.concurrency);
      top_rps = std::max(top_rps, point.high);
    }
  }
  std::sort(concurrencies.begin(), concurrencies.end());
  concurrencies.erase(std::unique(concurrencies.begin(), concurrencies.end()), concurrencies.end());

  const Frame& frame = kFrame;
  // Half a step of margin on each side, so the first and last points clear the axes.
  const LogScale x(concurrencies.front() / 1.5, concurrencies.back() * 1.5, frame.left,
                   frame.right);
  const std::vector<double> ticks = nice_ticks(0, top_rps * 1.12, 5);
  const LinearScale y(ticks.front(), ticks.back(), frame.bottom, frame.top);

  Svg svg(kWidth, kHeight);
  draw_titles(svg, frame, "Throughput against concurrency",
              "scripts/bench.sh over loopback, stream mode. Point: the median run; whisker: "
              "slowest to fastest run.");
  std::vector<LegendItem> legend;
  for (std::size_t i = 0; i < all.size(); ++i)
    legend.push_back({all[i].name, kSeriesColors[i % std::size(kSeriesColors)]});
  draw_legend(svg, frame, legend);
  draw_y_ticks(svg, frame, ticks, y, format_si);
  draw_y_title(svg, frame, "requests per second");
  draw_x_ticks(svg, frame, concurrencies, x, format_si);
  draw_x_title(svg, frame,
               "concurrency: connections, each with its requests in flight (log scale)");
  for (std::size_t i = 0; i < all.size(); ++i)
    draw_series(svg, all[i], legend[i].color, x, y);
  draw_axes(svg, frame);
  return svg.finish();
}

}  // namespace charts
