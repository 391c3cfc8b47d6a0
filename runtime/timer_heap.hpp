// TimerHeap: the reactor's timers, so that a Sleep is woken when its deadline passes and
// the reactor knows how long it may block (never by spinning).
//
// A binary min-heap ordered by deadline: insert, cancel and firing are O(log n), the next
// deadline is O(1). Timers live in a slab of slots; the heap holds (deadline, slot) pairs
// and every slot knows its place in the heap, which is what makes cancel O(log n) instead
// of a search. A TimerId carries the slot's generation, so an id whose timer already fired
// or was cancelled is recognised as stale and ignored, even after its slot was reused.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/waker.hpp"

namespace runtime {

struct TimerId {
  std::uint32_t slot = UINT32_MAX;
  std::uint32_t generation = 0;
};

class TimerHeap {
 public:
  using Clock = std::chrono::steady_clock;

  TimerId insert(Clock::time_point deadline, Waker waker);
  // Both ignore a stale id (a timer that fired or was cancelled).
  void set_waker(TimerId id, const Waker& waker);
  void cancel(TimerId id);
  bool contains(TimerId id) const;

  std::optional<Clock::time_point> next_deadline() const;
  // Removes every timer whose deadline is at or before `now` and wakes it. Returns how many.
  std::size_t fire_due(Clock::time_point now);
  std::size_t size() const { return heap_.size(); }

 private:
  struct Slot {
    Waker waker;
    std::uint32_t heap_index = 0;
    std::uint32_t generation = 0;
    bool armed = false;  // in the heap now; a free slot is not
  };
  struct Entry {
    Clock::time_point deadline;
    std::uint32_t slot;
  };

  void remove_at(std::size_t index);  // and frees its slot
  void place(std::size_t index, Entry entry);
  void sift_up(std::size_t index);
  void sift_down(std::size_t index);

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<Entry> heap_;
};

}  // namespace runtime
