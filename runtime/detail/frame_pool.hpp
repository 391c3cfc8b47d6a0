// FramePool: the memory of coroutine frames, recycled on each thread.
//
// Departs from the book: docs/BOOK.md, "Coroutine frames are recycled".
//
// Every Task is a coroutine frame on the heap, several per request, and each would be a
// malloc and a free. Frames come in few sizes, and one dies as the next of its size is born, so a
// freed frame is kept in a free list for its size class, for the next frame of that class:
// a pop to allocate, a push to free.
//
// Lists are per thread, so no lock: a frame made on one thread and freed on another (a
// task spawned from main that ran on a worker) joins the list of the thread that frees it.
// Each list keeps at most kMaxKeptBytes and hands the rest back to the heap, so a burst of
// connections does not leave its frames pinned to a thread.
//
// Under AddressSanitizer, Task frames bypass the pool (allocate_frame): the sanitizer's
// own allocator then reports a use of a freed frame, which recycling would hide. The pool
// itself is tested directly (tests/test_task.cpp), so that build still runs its code.
#pragma once

#include <array>
#include <cstddef>

namespace runtime::detail {

class FramePool {
 public:
  static constexpr std::size_t kGranule = 64;              // class k holds (k+1) granules
  static constexpr std::size_t kClasses = 16;              // larger frames: the heap
  static constexpr std::size_t kMaxKeptBytes = 64 * 1024;  // per class

  FramePool() = default;
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;
  ~FramePool();  // hands every kept block back to the heap

  void* allocate(std::size_t size);
  // `size` is what allocate() was asked for (a coroutine frame's delete is told its size).
  void free(void* block, std::size_t size) noexcept;
  std::size_t kept_bytes() const;

  // The bytes a block for a frame of `size` has: its whole class's size when pooled, so a
  // block fits any frame of its class, whichever list it joins. A frame made from the
  // heap after its thread's pool is gone must have it too: another thread may keep it.
  static std::size_t block_size(std::size_t size) {
    return pooled(size) ? bytes_of(class_of(size)) : size;
  }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  struct List {
    FreeBlock* head = nullptr;
    std::size_t count = 0;
  };
  static bool pooled(std::size_t size) { return size > 0 && size <= kGranule * kClasses; }
  static std::size_t class_of(std::size_t size) { return (size - 1) / kGranule; }
  static std::size_t bytes_of(std::size_t klass) { return (klass + 1) * kGranule; }

  std::array<List, kClasses> lists_{};
};

// Under AddressSanitizer (see above).
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kFramesBypassPool = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kFramesBypassPool = true;
#else
inline constexpr bool kFramesBypassPool = false;
#endif
#else
inline constexpr bool kFramesBypassPool = false;
#endif

// The calling thread's pool, for Task's promise (task.hpp). After the thread's pool is
// gone (a frame made or freed while the thread exits) they fall back to the heap.
void* allocate_frame(std::size_t size);
void free_frame(void* frame, std::size_t size) noexcept;

}  // namespace runtime::detail
