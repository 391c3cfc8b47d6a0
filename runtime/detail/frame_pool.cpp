#include "runtime/detail/frame_pool.hpp"

#include <new>

namespace runtime::detail {
namespace {

// Sized where the compiler offers it (clang before 19 only with -fsized-deallocation), so
// that AddressSanitizer checks each delete is told the size its new was asked for.
void delete_block(void* block, [[maybe_unused]] std::size_t size) noexcept {
#if defined(__cpp_sized_deallocation)
  ::operator delete(block, size);
#else
  ::operator delete(block);
#endif
}

}  // namespace

FramePool::~FramePool() {
  for (std::size_t klass = 0; klass < kClasses; ++klass) {
    while (FreeBlock* block = lists_[klass].head) {
      lists_[klass].head = block->next;
      delete_block(block, bytes_of(klass));
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
  return ::operator new(block_size(size));
}

void FramePool::free(void* block, std::size_t size) noexcept {
  if (!pooled(size)) {
    delete_block(block, size);
    return;
  }
  const std::size_t klass = class_of(size);
  List& list = lists_[klass];
  if (list.count >= kMaxKeptBytes / bytes_of(klass)) {
    delete_block(block, bytes_of(klass));
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
  // Exact under ASan, so that it reports an overrun of the frame itself.
  if (kFramesBypassPool) return ::operator new(size);
  if (t_pool_gone) return ::operator new(FramePool::block_size(size));
  return t_pool.pool.allocate(size);
}

void free_frame(void* frame, std::size_t size) noexcept {
  if (kFramesBypassPool) {
    delete_block(frame, size);
    return;
  }
  if (t_pool_gone) {
    delete_block(frame, FramePool::block_size(size));
    return;
  }
  t_pool.pool.free(frame, size);
}

}  // namespace runtime::detail
