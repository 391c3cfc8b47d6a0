// Circuit breaker (the book's chapter 9) against a flaky local server: the server drops its
// first connections unanswered; after 3 failures in a row the breaker opens and the client
// stops calling, waits out a cooldown, sends one probe, and closes again once it succeeds.
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "runtime/circuit_breaker.hpp"
#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/socket_address.hpp"
#include "runtime/task.hpp"
#include "runtime/tcp_listener.hpp"
#include "runtime/tcp_receiver.hpp"
#include "runtime/tcp_sender.hpp"
#include "runtime/tcp_stream.hpp"

using namespace std::chrono_literals;
using State = runtime::CircuitBreaker::State;

// Closes the first `drops` connections without a word, then answers "ok" to each.
runtime::Task<> flaky_server(runtime::TcpListener& listener, int drops) {
  for (int served = 0;; ++served) {
    runtime::TcpStream stream = co_await listener.accept();
    if (served >= drops) co_await runtime::TcpSender(stream.socket(), "ok");
  }
}

runtime::Task<> request(runtime::SocketAddress address) {
  runtime::TcpStream stream = co_await runtime::TcpStream::connect(address);
  auto reply = co_await runtime::TcpReceiver(stream.socket()).read_to_end(16);
  if (reply.empty()) throw std::runtime_error("dropped");
}

runtime::Task<int> client(runtime::SocketAddress address) {
  runtime::CircuitBreaker breaker(3, 40ms);
  const char* names[] = {"", "closed", "open", "half-open"};
  int refused = 0, ok = 0;
  for (int i = 1; i <= 14; ++i) {
    const char* outcome = "ok";
    try {
      co_await runtime::guarded(breaker, [&] { return request(address); });
      ++ok;
    } catch (const runtime::CircuitOpen&) {
      outcome = "refused, not sent";
      ++refused;
    } catch (const std::exception& e) {
      outcome = e.what();
    }
    std::printf("  request %2d: %-17s breaker %s\n", i, outcome,
                names[static_cast<int>(breaker.state())]);
    co_await runtime::Sleep(10ms);
  }
  std::printf("circuit breaker: %d ok, %d refused while open\n", ok, refused);
  co_return breaker.state() == State::kClosed&& refused > 0 ? 0 : 1;
}

int main() {
  // Before the executor: the server task waits on it until the executor cancels the task.
  auto listener = runtime::TcpListener::bind(runtime::SocketAddress::resolve("127.0.0.1", 0));
  runtime::Executor executor;
  auto server = executor.spawn(flaky_server(listener, 4));
  return executor.block_on(client(listener.local_address()));
}
