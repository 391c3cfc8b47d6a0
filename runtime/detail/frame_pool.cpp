#include "runtime/detail/frame_pool.hpp"

#include <new>

namespace runtime::detail {

FramePool::~FramePool() {
  for (List& list : lists_) {
    while (FreeBlock* block = list.head) {
      list.head = block->next;
      ::operator delete(block);
    }
  }
}

void* FramePool::allocate(std::size_t size) {
  if (!pooled(size)) return ::operator new(size);
  List& list = lists_[class_of(size)];
  if (FreeBlock* block = list.head) {
    list.head = block->next;
    --list.count;
    return block;
  }
  // The whole class's size, so that any block of the list fits any frame of the class.
  return ::operator new(bytes_of(class_of(size)));
}

void FramePool::free(void* block, std::size_t size) noexcept {
  if (!pooled(size)) {
    ::operator delete(block);
    return;
  }
  const std::size_t klass = class_of(size);
  List& list = lists_[klass];
  if (list.count >= kMaxKeptBytes / bytes_of(klass)) {
    ::operator delete(block);
    return;
  }
  list.head = new (block) FreeBlock{list.head};
  ++list.count;
}

std::size_t FramePool::kept_bytes() const {
  std::size_t bytes = 0;
  for (std::size_t klass = 0; klass < kClasses; ++klass)
    bytes += lists_[klass].count * bytes_of(klass);
  return bytes;
}

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kBypass = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kBypass = true;
#else
constexpr bool kBypass = false;
#endif
#else
constexpr bool kBypass = false;
#endif

// Trivially destructible, so still readable while the thread's other thread_locals are
// being destroyed: a frame freed then must not reach a pool that is gone.
thread_local bool t_pool_gone = false;

struct ThreadPool {
  FramePool pool;
  ~ThreadPool() { t_pool_gone = true; }
};
thread_local ThreadPool t_pool;

}  // namespace

void* allocate_frame(std::size_t size) {
  if (kBypass || t_pool_gone) return ::operator new(size);
  return t_pool.pool.allocate(size);
}

void free_frame(void* frame, std::size_t size) noexcept {
  if (kBypass || t_pool_gone) {
    ::operator delete(frame);
    return;
  }
  t_pool.pool.free(frame, size);
}

}  // namespace runtime::detail
