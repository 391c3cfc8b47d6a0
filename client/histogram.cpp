#include "client/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace client {

namespace {
constexpr std::size_t kLinear = 128;     // values below this have a bucket each
constexpr std::size_t kSubBuckets = 64;  // buckets per power of two above it
// Powers of two 2^7 .. 2^63, 64 buckets each, after the 128 linear ones.
constexpr std::size_t kBuckets = kLinear + (64 - 7) * kSubBuckets;
}  // namespace

Histogram::Histogram() : counts_(kBuckets, 0) {}

// For 2^k <= value < 2^(k+1), k >= 7: shifting by k-6 leaves a value in [64, 128), whose low
// six bits pick one of the 64 sub-buckets of that power of two.
std::size_t Histogram::index_of(std::uint64_t value) {
  if (value < kLinear) return static_cast<std::size_t>(value);
  const unsigned shift = static_cast<unsigned>(std::bit_width(value)) - 7;
  const std::uint64_t mantissa = value >> shift;  // 64..127
  return kLinear + (shift - 1) * kSubBuckets + static_cast<std::size_t>(mantissa - kSubBuckets);
}

std::uint64_t Histogram::highest_in(std::size_t index) {
  if (index < kLinear) return index;
  const std::size_t shift = (index - kLinear) / kSubBuckets + 1;
  const std::uint64_t mantissa = (index - kLinear) % kSubBuckets + kSubBuckets;
  return ((mantissa + 1) << shift) - 1;
}

void Histogram::record(std::uint64_t value_us) {
  ++counts_[index_of(value_us)];
  ++count_;
  sum_ += value_us;
  min_ = std::min(min_, value_us);
  max_ = std::max(max_, value_us);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::percentile(double percent) const {
  if (count_ == 0) return 0;
  const double wanted = std::ceil(percent / 100.0 * static_cast<double>(count_));
  const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest_in(i), max_);
  }
  return max_;
}

std::vector<Histogram::Bucket> Histogram::buckets() const {
  std::vector<Bucket> held;
  for (std::size_t i = 0; i < kBuckets; ++i)
    if (counts_[i] > 0) held.push_back({highest_in(i), counts_[i]});
  return held;
}

std::string Histogram::to_json() const {
  std::string text = "[";
  for (const Bucket& bucket : buckets()) {
    if (text.size() > 1) text += ',';
    text += '[' + std::to_string(bucket.value_us) + ',' + std::to_string(bucket.count) + ']';
  }
  return text + ']';
}

Histogram Histogram::from_buckets(const std::vector<Bucket>& buckets, std::uint64_t min,
                                  std::uint64_t max, std::uint64_t sum) {
  Histogram histogram;
  std::size_t previous = 0;
  for (const Bucket& bucket : buckets) {
    const std::size_t index = index_of(bucket.value_us);
    const std::string at = "histogram bucket " + std::to_string(bucket.value_us);
    if (highest_in(index) != bucket.value_us)
      throw std::invalid_argument(at + ": not the highest value of a bucket");
    if (histogram.count_ > 0 && index <= previous)
      throw std::invalid_argument(at + ": buckets must be in ascending order, each once");
    if (bucket.count == 0) throw std::invalid_argument(at + ": a count of 0");
    histogram.counts_[index] = bucket.count;
    histogram.count_ += bucket.count;
    previous = index;
  }
  if (histogram.count_ == 0) {
    if (min != 0 || max != 0 || sum != 0)
      throw std::invalid_argument("min, max and sum must be 0 when the histogram is empty");
    return histogram;
  }
  if (min > max || index_of(min) != index_of(buckets.front().value_us) ||
      index_of(max) != index_of(buckets.back().value_us)) {
    throw std::invalid_argument("min " + std::to_string(min) + " and max " + std::to_string(max) +
                                " do not lie in the histogram's first and last buckets");
  }
  // Divided rather than multiplied: count times max may not fit in 64 bits.
  const std::uint64_t count = histogram.count_;
  if (sum / count < min || sum / count + (sum % count != 0) > max) {
    throw std::invalid_argument("sum " + std::to_string(sum) + " is not between " +
                                std::to_string(count) + " x min " + std::to_string(min) + " and " +
                                std::to_string(count) + " x max " + std::to_string(max));
  }
  histogram.min_ = min;
  histogram.max_ = max;
  histogram.sum_ = sum;
  return histogram;
}

namespace {
// The row a value falls in: 0 for the values 0 and 1, then one row per power of two.
unsigned row_of(std::uint64_t value) {
  return value < 2 ? 0 : static_cast<unsigned>(std::bit_width(value)) - 1;
}
}  // namespace

std::string Histogram::render(int bar_width) const {
  if (count_ == 0) return "  (no successful requests)\n";
  std::vector<std::uint64_t> rows(64, 0);
  for (std::size_t i = 0; i < kBuckets; ++i)
    rows[row_of(highest_in(i))] += counts_[i];
  const unsigned first = row_of(min()), last = row_of(max_);
  const std::uint64_t tallest = *std::max_element(rows.begin() + first, rows.begin() + last + 1);
  std::string text;
  for (unsigned row = first; row <= last; ++row) {
    const std::uint64_t low = row == 0 ? 0 : std::uint64_t{1} << row;
    const std::uint64_t high = (std::uint64_t{1} << (row + 1)) - 1;
    const int filled = static_cast<int>(rows[row] * static_cast<std::uint64_t>(bar_width) /
                                        std::max<std::uint64_t>(tallest, 1));
    char line[160];
    std::snprintf(line, sizeof line, "  %9llu-%-9llu us |%-*s| %8llu %5.1f%%\n",
                  static_cast<unsigned long long>(low), static_cast<unsigned long long>(high),
                  bar_width, std::string(static_cast<std::size_t>(filled), '#').c_str(),
                  static_cast<unsigned long long>(rows[row]), 100.0 * rows[row] / count_);
    text += line;
  }
  return text;
}

}  // namespace client
