#include "runtime/waker.hpp"

namespace runtime {
namespace {

RawWaker noop_clone(const void*);
void noop(const void*) {}

constexpr RawWakerVTable kNoopVTable{&noop_clone, &noop, &noop, &noop};

RawWaker noop_clone(const void*) {
  return RawWaker{nullptr, &kNoopVTable};
}

}  // namespace

Waker Waker::noop() {
  return Waker(RawWaker{nullptr, &kNoopVTable});
}

}  // namespace runtime
