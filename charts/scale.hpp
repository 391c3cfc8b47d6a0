// Scales and ticks: where a value lands on an axis, where the axis gets its marks, and how
// those marks are labelled. The pure arithmetic of the charts, kept apart so it is tested.
//
// Latencies span microseconds to seconds, so their axis is logarithmic with a mark per
// decade; request rates start at zero on a linear axis marked in 1-2-5 steps.
#pragma once

#include <string>
#include <vector>

namespace charts {

// Maps [lo, hi] onto [from, to] (pixels; `to` may be smaller, as SVG's y grows downwards).
class LinearScale {
 public:
  LinearScale(double lo, double hi, double from, double to);
  double operator()(double value) const;

 private:
  double lo_, hi_, from_, to_;
};

// The same on log10 of the value. Values at or below zero land on `from`.
class LogScale {
 public:
  LogScale(double lo, double hi, double from, double to);  // 0 < lo < hi
  double operator()(double value) const;

 private:
  double log_lo_, log_hi_, from_, to_;
};

// About `target` evenly spaced round marks (steps of 1, 2 or 5 times a power of ten), the
// first at or below `lo` and the last at or above `hi`.
std::vector<double> nice_ticks(double lo, double hi, int target);

// The powers of ten from the one at or below `lo` to the one at or above `hi` (0 < lo);
// at least two, so an axis always has a span.
std::vector<double> decade_ticks(double lo, double hi);

// 0 -> "0", 950 -> "950", 20000 -> "20k", 26738.8 -> "26.7k", 1.5e6 -> "1.5M".
std::string format_si(double value);

// A duration given in microseconds: 48 -> "48 µs", 1000 -> "1 ms", 1.032e6 -> "1.03 s".
std::string format_us(double us);

}  // namespace charts
