#include "runtime/timer_heap.hpp"

#include <utility>

namespace runtime {

TimerId TimerHeap::insert(Clock::time_point deadline, Waker waker) {
  std::uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  slots_[slot].waker = std::move(waker);
  slots_[slot].armed = true;
  heap_.push_back(Entry{deadline, slot});
  slots_[slot].heap_index = static_cast<std::uint32_t>(heap_.size() - 1);
  sift_up(heap_.size() - 1);
  return TimerId{slot, slots_[slot].generation};
}

bool TimerHeap::contains(TimerId id) const {
  return id.slot < slots_.size() && slots_[id.slot].generation == id.generation &&
         slots_[id.slot].armed;
}

void TimerHeap::set_waker(TimerId id, const Waker& waker) {
  if (contains(id)) slots_[id.slot].waker = waker;
}

void TimerHeap::cancel(TimerId id) {
  if (contains(id)) remove_at(slots_[id.slot].heap_index);
}

std::optional<TimerHeap::Clock::time_point> TimerHeap::next_deadline() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().deadline;
}

std::size_t TimerHeap::fire_due(Clock::time_point now) {
  std::size_t fired = 0;
  while (!heap_.empty() && heap_.front().deadline <= now) {
    Waker waker = std::move(slots_[heap_.front().slot].waker);
    remove_at(0);
    std::move(waker).wake();  // only queues the task: it cannot re-enter this heap
    ++fired;
  }
  return fired;
}

void TimerHeap::remove_at(std::size_t index) {
  const std::uint32_t slot = heap_[index].slot;
  slots_[slot].waker = Waker();
  slots_[slot].armed = false;
  ++slots_[slot].generation;  // every id naming this timer is stale from now on
  free_slots_.push_back(slot);

  const Entry last = heap_.back();
  heap_.pop_back();
  if (index == heap_.size()) return;  // it was the last entry
  place(index, last);
  // The moved entry may belong above or below its new place; one of these does nothing.
  sift_up(index);
  sift_down(slots_[last.slot].heap_index);
}

void TimerHeap::place(std::size_t index, Entry entry) {
  heap_[index] = entry;
  slots_[entry.slot].heap_index = static_cast<std::uint32_t>(index);
}

void TimerHeap::sift_up(std::size_t index) {
  const Entry entry = heap_[index];
  while (index > 0) {
    const std::size_t parent = (index - 1) / 2;
    if (heap_[parent].deadline <= entry.deadline) break;
    place(index, heap_[parent]);
    index = parent;
  }
  place(index, entry);
}

void TimerHeap::sift_down(std::size_t index) {
  const Entry entry = heap_[index];
  const std::size_t count = heap_.size();
  for (;;) {
    std::size_t child = 2 * index + 1;
    if (child >= count) break;
    if (child + 1 < count && heap_[child + 1].deadline < heap_[child].deadline) ++child;
    if (entry.deadline <= heap_[child].deadline) break;
    place(index, heap_[child]);
    index = child;
  }
  place(index, entry);
}

}  // namespace runtime
