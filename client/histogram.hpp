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
  std::uint64_t sum() const { return sum_; }  // exact, so that merged means are too
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  // The value at or below which `percent` of the recorded values lie, reported as the
  // highest value of its bucket (never above max(), which is exact). 0 when empty.
  std::uint64_t percentile(double percent) const;

  // The buckets that hold values, lowest first, each named by the highest value it holds:
  // what the JSON line carries (as to_json()), so that the runs of several clients can be
  // merged into one histogram (merge.hpp) and their percentiles read from it.
  struct Bucket {
    std::uint64_t value_us;  // the highest value of the bucket
    std::uint64_t count;
    bool operator==(const Bucket&) const = default;
  };
  std::vector<Bucket> buckets() const;
  // "[[value_us,count],...]", buckets() in JSON: empty buckets left out, so a run's line
  // grows with the spread of its latencies, not with the range the histogram covers.
  std::string to_json() const;
  // The histogram that buckets() came from, given the exact min, max and sum the buckets
  // cannot carry. Throws std::invalid_argument if the buckets are not ascending, a count is
  // 0, a value is not the highest of its bucket (as from a histogram of another layout),
  // min and max do not lie in the first and last bucket, or the sum is not between count
  // times min and count times max (all three are 0 when there are no buckets): only what
  // buckets() could have produced is taken.
  static Histogram from_buckets(const std::vector<Bucket>& buckets, std::uint64_t min,
                                std::uint64_t max, std::uint64_t sum);

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
