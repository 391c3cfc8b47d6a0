#include "server/fused_oneshot.hpp"

#include <exception>

#include "server/drop.hpp"
#include "server/handler.hpp"

namespace server {

runtime::Poll<void> FusedOneshot::poll(runtime::Context& cx) {
  try {
    return advance(cx);
  } catch (...) {
    step_ = std::monostate();  // the failed step's future goes first, as a coroutine's would
    report_drop(std::current_exception(), connection_, context_->stats);
    return runtime::Ready{};
  }
}

// Each step polls its future; when it is ready, the next step's future takes its place
// and is polled at once, in the same call, as a coroutine would carry on.
runtime::Poll<void> FusedOneshot::advance(runtime::Context& cx) {
  const Config& config = context_->config;
  if (std::holds_alternative<std::monostate>(step_)) {
    step_.emplace<ReadRequest>(read_request(connection_.socket, config, Look::kFirst));
  }
  if (auto* read = std::get_if<ReadRequest>(&step_)) {
    auto asked = read->poll(cx);
    if (asked.is_pending()) return runtime::Pending{};
    switch (asked.value()) {
      case Asked::kClosed:
        return runtime::Ready{};  // closed without asking: nothing owed
      case Asked::kNothingYet:
        step_.emplace<FirstByte>(first_byte(connection_.socket, config));
        break;
      case Asked::kRequest:
        step_.emplace<Work>(config.work_delay());
        break;
    }
  }
  if (auto* waiting = std::get_if<FirstByte>(&step_)) {
    auto arrived = waiting->poll(cx);
    if (arrived.is_pending()) return runtime::Pending{};
    if (!arrived.value()) throw idle_timeout(config);
    step_.emplace<ReadRequest>(read_request(connection_.socket, config, Look::kWait));
    return advance(cx);  // read what came (once: this read waits, it does not come back here)
  }
  if (auto* work = std::get_if<Work>(&step_)) {
    if (work->poll(cx).is_pending()) return runtime::Pending{};
    step_.emplace<Reply>(send_greeting(connection_.socket, config));
  }
  return std::get<Reply>(step_).poll(cx);
}

}  // namespace server
