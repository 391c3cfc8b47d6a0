// Timeline: how many requests finished in each slice of the run, ok or failed, for the
// requests-per-second panel of --svg (chart.hpp). Each executor thread keeps its own, as it
// keeps its Stats (no locks, no shared cache lines), and run_load merges them at the end.
//
// How long a run lasts is not known at its start (a count, a --duration, a server that
// stalls), so the slices start kFirstSlice wide and double in width, neighbours merged in
// pairs, whenever the run outgrows kMaxSlices of them: the memory stays bounded, and
// recording a request stays a division and an increment.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace client {

class Timeline {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kFirstSlice = std::chrono::milliseconds(10);
  static constexpr std::size_t kMaxSlices = 512;

  struct Slice {
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;
    Slice& operator+=(const Slice& other) {
      ok += other.ok;
      failed += other.failed;
      return *this;
    }
  };

  explicit Timeline(Clock::time_point start = {}) : start_(start) {}

  // A request that finished at `at` (not before the start).
  void record(Clock::time_point at, bool ok);
  // Adds another thread's timeline of the same run (the same start), in the wider slices
  // of the two.
  void merge(const Timeline& other);

  Clock::duration width() const { return width_; }
  // From the start, one slice after another; the last one is the one still running.
  const std::vector<Slice>& slices() const { return slices_; }

 private:
  void widen();  // doubles the width: slices 2i and 2i+1 become slice i

  Clock::time_point start_;
  Clock::duration width_ = kFirstSlice;
  std::vector<Slice> slices_;
};

}  // namespace client
