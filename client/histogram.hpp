// Histogram: request latencies in microseconds, log-bucketed like HdrHistogram.
//
// Values below 128 microseconds get a bucket each; above that every power of two is split
// into 64 buckets, so any recorded value is known to within 1/64 (two significant digits)
// from zero to hours, in a fixed array of counters (128 + 57 * 64 of them). Recording is
// one shift and an increment: cheap enough for every request. Each executor thread keeps
// its own histogram (no locks, no shared cache lines) and the report merges them at the end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace client {

class Histogram {
 public:
  Histogram();

  void record(std::uint64_t value_us);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  // The value at or below which `percent` of the recorded values lie, reported as the
  // highest value of its bucket (never above max(), which is exact). 0 when empty.
  std::uint64_t percentile(double percent) const;

  // A few lines of text, one per power-of-two range that holds values: the range in
  // microseconds, a bar, the count and its share (docs/CLIENT.md shows one).
  std::string render(int bar_width = 40) const;

 private:
  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t highest_in(std::size_t index);

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace client
