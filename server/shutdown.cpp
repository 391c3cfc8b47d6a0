#include "server/shutdown.hpp"

#include "runtime/sleep.hpp"
#include "runtime/when_any.hpp"

namespace server {

// Ready once the in-flight count is zero; the last Guard to leave wakes it.
class Shutdown::AllDone {
 public:
  using Output = void;
  explicit AllDone(Shutdown& owner) : owner_(&owner) {}
  runtime::Poll<void> poll(runtime::Context& cx) {
    if (owner_->in_flight_ == 0) return runtime::Ready{};
    owner_->all_done_waiter_ = cx.waker();
    return runtime::Pending{};
  }

 private:
  Shutdown* owner_;
};

runtime::Task<void> Shutdown::drained() {
  // cut_ first: when the second signal and the last handler arrive together, it wins.
  co_await runtime::when_any(cut_.wait(), AllDone(*this), runtime::Sleep(grace_));
}

}  // namespace server
