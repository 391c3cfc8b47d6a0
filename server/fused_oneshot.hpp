// FusedOneshot: handle_client's steps, fused by hand into one future to save memory per
// waiting connection. Departs from the book: docs/BOOK.md, "The fused oneshot handler".
//
// It runs only with --handler fused; handle_client (handler.cpp) is the default, and the
// one to read first. The steps are the same ones (read_request, first_byte, the work delay,
// send_greeting), and tests/test_server.cpp ("both oneshot handlers give the same bytes")
// holds the two to the same bytes out for good, bad, split and reset requests. What differs
// is only where the steps live: here one variant holds whichever step is current, inline in
// the spawned task, where a coroutine's frame keeps a slot for every co_await it has.
#pragma once

#include <variant>

#include "runtime/readable.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/with_timeout.hpp"
#include "server/connection.hpp"
#include "server/shutdown.hpp"

namespace server {

struct HandlerContext;
enum class Asked;

class FusedOneshot {
 public:
  using Output = void;
  FusedOneshot(Connection connection, Shutdown::Guard in_flight, HandlerContext& context)
      : connection_(std::move(connection)), in_flight_(std::move(in_flight)), context_(&context) {}
  // Ready when the connection is done with, served or dropped (a drop is reported here).
  runtime::Poll<void> poll(runtime::Context& cx);

 private:
  // The step the connection is in is the future it waits on. The first is made on the
  // first poll, not here: it points into connection_, which moves once more, into the task.
  using ReadRequest = runtime::Task<Asked>;                   // 1. read_request; again after 2.
  using FirstByte = runtime::WithTimeout<runtime::Readable>;  // 2. first_byte, if nothing came
  using Work = runtime::Sleep;                                // 3. the work delay
  using Reply = runtime::Task<void>;                          // 4. send_greeting
  using Step = std::variant<std::monostate, ReadRequest, FirstByte, Work, Reply>;

  runtime::Poll<void> advance(runtime::Context& cx);

  Connection connection_;
  [[maybe_unused]] Shutdown::Guard in_flight_;  // held until the handler is destroyed
  HandlerContext* context_;
  Step step_;
};

}  // namespace server
