#include "charts/scale.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace charts {
namespace {

// Three significant digits, no trailing zeros: 26.7388 -> "26.7", 20 -> "20".
std::string three_digits(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

// Rounded to three significant digits first, so that 999.9 becomes "1k", not "1e+03".
double round_three_digits(double value) {
  if (value == 0) return 0;
  const double unit = std::pow(10.0, std::floor(std::log10(std::fabs(value))) - 2);
  return std::round(value / unit) * unit;
}

// k times a step of `multiple` * 10^exponent. Dividing by 10^-exponent, rather than
// multiplying by 0.1, gives the double nearest the round number (0.6, not 0.6000000000000001),
// so labels and comparisons see exactly the mark.
double mark(long long k, double multiple, int exponent) {
  const double count = static_cast<double>(k) * multiple;
  const double value =
      exponent < 0 ? count / std::pow(10.0, -exponent) : count * std::pow(10.0, exponent);
  return value == 0 ? 0.0 : value;  // never -0
}

}  // namespace

LinearScale::LinearScale(double lo, double hi, double from, double to)
    : lo_(lo), hi_(hi > lo ? hi : lo + 1), from_(from), to_(to) {}

double LinearScale::operator()(double value) const {
  return from_ + (value - lo_) / (hi_ - lo_) * (to_ - from_);
}

LogScale::LogScale(double lo, double hi, double from, double to)
    : log_lo_(std::log10(lo)), log_hi_(std::log10(hi > lo ? hi : lo * 10)), from_(from), to_(to) {}

double LogScale::operator()(double value) const {
  if (value <= 0) return from_;
  return from_ + (std::log10(value) - log_lo_) / (log_hi_ - log_lo_) * (to_ - from_);
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / std::max(target, 1);
  const int exponent = static_cast<int>(std::floor(std::log10(raw)));
  const double fraction = raw / std::pow(10.0, exponent);
  const double multiple = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  const double step = multiple * std::pow(10.0, exponent);
  // The small slack keeps a bound that sits on a mark (60000 / 20000) from gaining one more.
  const auto first = static_cast<long long>(std::floor(lo / step + 1e-9));
  const auto last = static_cast<long long>(std::ceil(hi / step - 1e-9));
  std::vector<double> ticks;
  for (long long k = first; k <= last; ++k)
    ticks.push_back(mark(k, multiple, exponent));
  return ticks;
}

std::vector<double> decade_ticks(double lo, double hi) {
  const int first = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  int last = static_cast<int>(std::ceil(std::log10(std::max(hi, lo)) - 1e-9));
  last = std::max(last, first + 1);
  std::vector<double> ticks;
  for (int exponent = first; exponent <= last; ++exponent)
    ticks.push_back(std::pow(10.0, exponent));
  return ticks;
}

std::string format_si(double value) {
  value = round_three_digits(value);
  const double size = std::fabs(value);
  if (size >= 1e9) return three_digits(value / 1e9) + "G";
  if (size >= 1e6) return three_digits(value / 1e6) + "M";
  if (size >= 1e3) return three_digits(value / 1e3) + "k";
  return three_digits(value);
}

std::string format_us(double us) {
  us = round_three_digits(us);
  if (us >= 1e6) return three_digits(us / 1e6) + " s";
  if (us >= 1e3) return three_digits(us / 1e3) + " ms";
  return three_digits(us) + " µs";
}

}  // namespace charts
