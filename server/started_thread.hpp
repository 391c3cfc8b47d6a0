// start_thread(): a server thread that has built its runtime before start() goes on.
//
// A worker or the dispatcher can fail before it serves anything: its executor needs an
// epoll fd and a wake-up fd, and under a low `ulimit -n` there may be none left. Such a
// thread must make Server::start() fail with a message, not die alone (an exception out
// of a thread's function ends the process) or leave the others waiting for it. So the
// thread's body is handed a promise: it keeps it once its runtime is up, or breaks it with
// the exception that stopped it, and start_thread() waits for that answer.
// (tests/test_server_process.cpp, "a server without descriptors for its threads ...")
#pragma once

#include <future>
#include <thread>
#include <utility>

namespace server {

// `body(std::promise<void>& started)` runs on the new thread and must settle `started`
// exactly once, before it serves. Rethrows what the thread broke the promise with (the
// thread has ended by then).
template <class Body>
std::thread start_thread(Body body) {
  std::promise<void> started;
  std::future<void> answer = started.get_future();
  // The promise moves to the thread: it may still be inside set_value() when get() returns.
  std::thread thread(
      [body = std::move(body), started = std::move(started)]() mutable { body(started); });
  try {
    answer.get();
  } catch (...) {
    thread.join();
    throw;
  }
  return thread;
}

}  // namespace server
