// Reactor: the registry of file descriptors that tasks wait on. Pinned here: it forgets a
// waiter once the read that left it is over (finished or destroyed), closing a Socket
// deregisters it, and an fd number that the kernel hands out again after a close starts
// with no waiter from its previous life.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <system_error>
#include <utility>

#include "data_layer/data.hpp"
#include "runtime/executor.hpp"
#include "runtime/poller.hpp"
#include "runtime/readable.hpp"
#include "runtime/readiness_hint.hpp"
#include "runtime/socket.hpp"
#include "runtime/socket_address.hpp"
#include "runtime/task.hpp"
#include "runtime/tcp_receiver.hpp"
#include "runtime/tcp_sender.hpp"
#include "runtime/tcp_stream.hpp"
#include "runtime/when_any.hpp"
#include "runtime/with_timeout.hpp"
#include "runtime/yield_now.hpp"
#include "tests/test_harness.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using runtime::EventHint;
using runtime::Executor;
using runtime::ReadinessHint;
using runtime::Socket;
using runtime::Task;
using runtime::TcpReceiver;
using runtime::TcpSender;

using test::CountingWaker;
using test::poll_with;

namespace {

// Two connected, nonblocking stream sockets: the reactor treats them like TCP sockets.
std::pair<Socket, Socket> socket_pair() {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
  return {Socket(fds[0]), Socket(fds[1])};
}

Task<> send_after_yield(Socket& socket, std::string_view text) {
  co_await runtime::yield_now();
  co_await TcpSender(socket, text);
}

}  // namespace

TEST_CASE("reactor: a finished read leaves no waiter behind") {
  Executor executor;
  auto [reader, writer] = socket_pair();
  executor.block_on([](Executor& executor, Socket& reader, Socket& writer) -> Task<> {
    auto sending = runtime::spawn(send_after_yield(writer, "ping"));
    TcpReceiver receiver(reader);
    std::array<std::uint8_t, 4> bytes{};
    co_await receiver.read_exact(bytes);  // pending first: the sender has not run yet
    CHECK(std::string_view(reinterpret_cast<const char*>(bytes.data()), 4) == "ping");
    co_await sending;
    CHECK(executor.reactor().fds_waited_on() == 0);
  }(executor, reader, writer));
  CHECK(executor.reactor().fds_waited_on() == 0);
}

TEST_CASE("reactor: a read destroyed while pending leaves no waiter behind") {
  Executor executor;
  auto [reader, writer] = socket_pair();
  CountingWaker counter;
  executor.block_on([](Executor& executor, Socket& reader, CountingWaker& counter) -> Task<> {
    TcpReceiver receiver(reader);
    {
      auto read = receiver.read_frame();
      CHECK(poll_with(read, counter).is_pending());
      CHECK(executor.reactor().fds_waited_on() == 1);
    }
    CHECK(executor.reactor().fds_waited_on() == 0);
    CHECK(counter.refs() == 0);  // the reactor gave the waker back

    // The same through cancellation by a timeout, the way the server drops an idle peer.
    std::array<std::uint8_t, 1> byte{};
    const auto result = co_await runtime::with_timeout(receiver.read_exact(byte), 10ms);
    CHECK_FALSE(result.has_value());
    CHECK(executor.reactor().fds_waited_on() == 0);
  }(executor, reader, counter));
  CHECK(executor.reactor().fds_waited_on() == 0);
  CHECK(counter.woken() == 0);
}

TEST_CASE("reactor: a write destroyed while pending leaves no waiter behind") {
  Executor executor;
  auto [a, b] = socket_pair();
  executor.block_on([](Executor& executor, Socket& a) -> Task<> {
    std::vector<std::uint8_t> big(8 << 20, 0x5a);  // far more than the socket buffers hold
    const auto result = co_await runtime::with_timeout(TcpSender(a, big), 10ms);
    CHECK_FALSE(result.has_value());
    CHECK(executor.reactor().fds_waited_on() == 0);
  }(executor, a));
}

TEST_CASE("reactor: closing a Socket deregisters it") {
  Executor executor;
  auto [reader, writer] = socket_pair();
  CountingWaker counter;
  executor.block_on([](Executor& executor, Socket& reader, CountingWaker& counter) -> Task<> {
    TcpReceiver receiver(reader);
    auto read = receiver.read_frame();
    CHECK(poll_with(read, counter).is_pending());
    CHECK(executor.reactor().fds_waited_on() == 1);
    reader.close();
    CHECK(executor.reactor().fds_waited_on() == 0);
    CHECK(counter.refs() == 0);
    co_return;
  }(executor, reader, counter));
  CHECK(counter.woken() == 0);
}

TEST_CASE("reactor: an fd number reused after close does not inherit a stale waiter") {
  Executor executor;
  CountingWaker stale;
  executor.block_on([](CountingWaker& stale) -> Task<> {
    auto [old_reader, old_writer] = socket_pair();
    const int number = old_reader.fd();
    {
      TcpReceiver receiver(old_reader);
      auto read = receiver.read_frame();
      CHECK(poll_with(read, stale).is_pending());
      old_reader.close();  // while the read is still pending
    }

    auto [reader, writer] = socket_pair();
    if (reader.fd() != number) {  // put the new socket on the old number for certain
      REQUIRE(dup2(reader.fd(), number) == number);
      reader = Socket(number);
    }
    REQUIRE(reader.fd() == number);

    // A read on the new socket must be woken by its own data (a stale registration in the
    // poller would swallow the wake-up), and the old waker must stay silent.
    auto sending = runtime::spawn(send_after_yield(writer, "new!"));
    TcpReceiver receiver(reader);
    std::array<std::uint8_t, 4> bytes{};
    co_await receiver.read_exact(bytes);
    co_await sending;
    CHECK(std::string_view(reinterpret_cast<const char*>(bytes.data()), 4) == "new!");
  }(stale));
  CHECK(stale.woken() == 0);
  CHECK(stale.refs() == 0);
}

TEST_CASE("reactor: a reader and a writer wait on one socket independently") {
  Executor executor;
  auto [a, b] = socket_pair();
  executor.block_on([](Executor& executor, Socket& a, Socket& b) -> Task<> {
    // `a` reads while it also writes more than the buffers hold; `b` drains, then answers.
    std::vector<std::uint8_t> big(4 << 20, 0x33);
    auto writing = runtime::spawn([](Socket& a, std::vector<std::uint8_t>& big) -> Task<> {
      co_await TcpSender(a, big);
    }(a, big));
    auto reading = runtime::spawn([](Socket& a) -> Task<int> {
      TcpReceiver receiver(a);
      std::array<std::uint8_t, 2> reply{};
      co_await receiver.read_exact(reply);
      co_return reply[0] + reply[1];
    }(a));
    TcpReceiver drain(b);
    std::vector<std::uint8_t> got(big.size());
    co_await drain.read_exact(got);
    co_await writing;
    co_await TcpSender(b, "\x01\x02");
    const int sum = co_await reading;
    CHECK(sum == 3);
    CHECK(got == big);
    CHECK(executor.reactor().fds_waited_on() == 0);
  }(executor, a, b));
}

TEST_CASE("reactor: a socket that outlives the executor it waited on closes safely") {
  auto [left, right] = socket_pair();
  {
    Executor executor;
    // A read that waits, then is cancelled: `left` is now registered with this reactor.
    auto result = executor.block_on(
        runtime::with_timeout(TcpReceiver(left).read_to_end(16), std::chrono::milliseconds(1)));
    CHECK(!result);
  }
  left.close();  // the reactor is gone: closing must not reach into it (ASan would tell)
  CHECK(!left);
}

TEST_CASE("reactor: a timer further away than an int of milliseconds still blocks, not spins") {
  using Clock = runtime::Reactor::Clock;
  const auto now = Clock::now();
  CHECK(runtime::Reactor::wait_timeout_ms(std::nullopt, now) == -1);
  CHECK(runtime::Reactor::wait_timeout_ms(now - 1ms, now) == 0);
  CHECK(runtime::Reactor::wait_timeout_ms(now + 1500us, now) == 2);  // rounded up
  const int far = runtime::Reactor::wait_timeout_ms(now + std::chrono::hours(24 * 60), now);
  CHECK(far > 0);  // 60 days: clamped, not wrapped to a negative "wait for ever"
}

TEST_CASE("readable: pending until the peer writes, then ready without consuming anything") {
  auto [left, right] = socket_pair();
  Executor executor;
  const auto outcome = executor.block_on([](Socket& l, Socket& r) -> Task<std::size_t> {
    // Nothing sent yet: a yield (listed second) wins, so Readable was pending.
    auto quiet = co_await runtime::when_any(runtime::Readable(l), runtime::yield_now());
    // Then the peer writes, and the reactor wakes the Readable.
    auto writer = runtime::spawn(send_after_yield(r, "x"));
    co_await runtime::Readable(l);
    co_await writer;
    co_return quiet.index();
  }(left, right));
  CHECK(outcome == 1);
  CHECK(executor.reactor().fds_waited_on() == 0);
  char byte = 0;
  CHECK(::recv(left.fd(), &byte, 1, 0) == 1);  // the byte is still there to read
  CHECK(byte == 'x');
  right.close();
  executor.block_on(runtime::Readable(left));  // end of stream counts as readable
}

namespace {
Task<> send_and_close(Socket& socket, std::string_view text) {
  co_await runtime::yield_now();  // after the reader has left its waiter in the reactor
  co_await TcpSender(socket, text);
  socket.close();
}
}  // namespace

// The readiness hint (runtime/readiness_hint.hpp): a short read says the socket is drained
// and the next read waits for the reactor. Here the data and the end of stream arrive before
// one reactor turn, so a single event reports both: the read that takes the data must not
// then wait for an edge that already came. The Sleep bounds the test if it would.
TEST_CASE("reactor: a read that drains the data still sees the end of stream that came with it") {
  Executor executor;
  auto [reader, writer] = socket_pair();
  executor.block_on([](Socket& reader, Socket& writer) -> Task<> {
    auto sending = runtime::spawn(send_and_close(writer, "abc"));
    co_await runtime::Readable(reader);  // parks once: the event carries the data and the close
    TcpReceiver receiver(reader);
    auto bytes = co_await runtime::with_timeout(receiver.read_to_end(1024), test::kWatchdogLimit);
    REQUIRE(bytes.has_value());
    CHECK(bytes->size() == 3);
    co_await sending;
  }(reader, writer));
}

Task<> send_frame_after_yield(Socket& socket, data_layer::Data data) {
  co_await runtime::yield_now();
  const data_layer::Bytes bytes = data_layer::serialize(data);
  co_await TcpSender(socket, data_layer::ByteView(bytes));
}

TEST_CASE("reactor: a read that drained the socket waits, and wakes for the next bytes") {
  Executor executor;
  auto [reader, writer] = socket_pair();
  executor.block_on([](Socket& reader, Socket& writer) -> Task<> {
    TcpReceiver receiver(reader);
    auto sending = runtime::spawn(send_frame_after_yield(writer, data_layer::Data{1, 2, "ab"}));
    auto first = co_await receiver.read_frame();
    co_await sending;
    REQUIRE(first.has_value());
    CHECK(first->field3 == "ab");
    // The recv asked for a whole scratch buffer and got one frame: drained.
    CHECK(reader.hint().next_read() == ReadinessHint::Next::kWait);
    auto more = runtime::spawn(send_frame_after_yield(writer, data_layer::Data{3, 4, "cd"}));
    const auto second = co_await runtime::with_timeout(receiver.read_frame(), test::kWatchdogLimit);
    REQUIRE(second.has_value());
    REQUIRE(second->has_value());
    CHECK((*second)->field3 == "cd");
    co_await more;
  }(reader, writer));
}

namespace {

// A connected loopback TCP pair: our nonblocking Socket, and a blocking fd for the peer.
// Urgent data exists only on TCP, so the socketpair above will not do here.
std::pair<Socket, int> tcp_pair() {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  socklen_t length = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
  const int peer = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(::connect(peer, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const int ours = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  REQUIRE(ours >= 0);
  ::close(listener);
  return {Socket(ours), peer};
}

Task<> send_urgent_then_normal(int peer) {
  co_await runtime::yield_now();  // after the reader has left its waiter in the reactor
  REQUIRE(::send(peer, "abc", 3, MSG_OOB) == 3);  // "ab" in line, 'c' urgent
  REQUIRE(::send(peer, "def", 3, 0) == 3);
}

}  // namespace

// A read stops short at TCP's urgent mark with more data queued behind it, so there a short
// read does not mean drained: once the reactor has seen urgent data, the hint stays set.
// (Found by review: the stream handler stalled on such a peer until its idle timeout.)
TEST_CASE("reactor: a short read that stops at the TCP urgent mark is not taken as drained") {
  Executor executor;
  auto [reader, peer] = tcp_pair();
  executor.block_on([](Socket& reader, int peer) -> Task<> {
    auto sending = runtime::spawn(send_urgent_then_normal(peer));
    TcpReceiver receiver(reader);
    std::array<std::uint8_t, 4> bytes{};
    const auto got =
        co_await runtime::with_timeout(receiver.read_exact(bytes), test::kWatchdogLimit);
    co_await sending;
    CHECK(got.has_value());
  }(reader, peer));
  ::close(peer);
}

// The readiness hint's states and moves, one test each, from made-up events: the rules are
// pinned whichever backend the build uses. The tests above and below feed it real events.
namespace {
using State = ReadinessHint::State;
using Next = ReadinessHint::Next;

// An event about reading, as the backends make one: readable, unless it knows there is
// nothing to read.
void report(ReadinessHint& hint, EventHint what) {
  hint.on_event(/*readable=*/what != EventHint::kNothingToRead, /*writable=*/false, what);
}
}  // namespace

TEST_CASE(
    "readiness hint: 1) and 2): a short read or EAGAIN drains it; a readable event undoes it") {
  ReadinessHint hint;
  CHECK(hint.state() == State::kMaybeReadable);  // unknown counts as ready
  CHECK(hint.next_read() == Next::kRecv);
  hint.on_read(8, 8);  // a full read: more may be queued
  CHECK(hint.state() == State::kMaybeReadable);
  // The end of stream is no proof of drained: the reactor reported it once already, and a
  // Readable that then waited would wait for ever.
  hint.on_read(0, 8);
  CHECK(hint.state() == State::kMaybeReadable);
  hint.on_read(3, 8);
  CHECK(hint.state() == State::kDrained);
  CHECK(hint.next_read() == Next::kWait);
  hint.on_event(/*readable=*/false, /*writable=*/true, EventHint::kNoError);
  CHECK(hint.state() == State::kDrained);  // an event about writing says nothing of reading
  report(hint, EventHint::kNoError);
  CHECK(hint.state() == State::kMaybeReadable);
  hint.on_would_block();
  CHECK(hint.state() == State::kDrained);
  report(hint, EventHint::kNone);  // a backend that can tell nothing more
  CHECK(hint.state() == State::kMaybeReadable);
}

TEST_CASE("readiness hint: an event that knows there is nothing to read drains it") {
  ReadinessHint hint;
  CHECK(hint.next_read() == Next::kRecv);  // unknown counts as ready
  hint.on_event(/*readable=*/false, /*writable=*/true, EventHint::kNothingToRead);
  CHECK(hint.next_read() == Next::kWait);  // a connect's writable event, before any reply
  report(hint, EventHint::kNoError);
  CHECK(hint.next_read() == Next::kRecv);
  // In 3) too: the event shows none of the urgent data, error or hang-up that put it there.
  report(hint, EventHint::kUrgent);
  REQUIRE(hint.state() == State::kStopsShort);
  hint.on_event(/*readable=*/false, /*writable=*/true, EventHint::kNothingToRead);
  CHECK(hint.state() == State::kDrained);
}

TEST_CASE("readiness hint: 3) after a hang-up or urgent data, a short read proves nothing") {
  for (const EventHint reason : {EventHint::kBroken, EventHint::kUrgent}) {
    for (const bool drained_first : {false, true}) {
      CAPTURE(static_cast<int>(reason));
      CAPTURE(drained_first);
      ReadinessHint hint;
      if (drained_first) hint.on_would_block();
      report(hint, reason);
      CHECK(hint.state() == State::kStopsShort);
      hint.on_read(3, 8);  // stopped at the urgent mark, or took the last bytes before the end
      CHECK(hint.state() == State::kStopsShort);
      CHECK(hint.next_read() == Next::kRecv);
      hint.on_would_block();
      CHECK(hint.state() == State::kStopsShort);
      report(hint, EventHint::kNoError);
      CHECK(hint.state() == State::kStopsShort);
      report(hint, reason == EventHint::kBroken ? EventHint::kUrgent : EventHint::kBroken);
      CHECK(hint.state() == State::kStopsShort);
    }
  }
}

TEST_CASE(
    "readiness hint: 4) and 5): a clean end of stream ends reads once they drain, and stays") {
  ReadinessHint drained;
  drained.on_would_block();
  ReadinessHint stops_short;
  report(stops_short, EventHint::kBroken);
  for (ReadinessHint before : {ReadinessHint(), drained, stops_short}) {  // 1), 2), 3)
    CAPTURE(static_cast<int>(before.state()));
    report(before, EventHint::kCleanEnd);
    CHECK(before.state() == State::kEndQueued);
  }
  ReadinessHint hint;
  report(hint, EventHint::kCleanEnd);
  CHECK(hint.next_read() == Next::kRecv);  // bytes may still be queued before the end
  hint.on_read(8, 8);
  CHECK(hint.state() == State::kEndQueued);  // a full read: more may be queued still
  // Nothing the reactor says next moves 4): a reset after the FIN included.
  for (const EventHint later : {EventHint::kNoError, EventHint::kNothingToRead, EventHint::kUrgent,
                                EventHint::kBroken, EventHint::kCleanEnd}) {
    report(hint, later);
    CHECK(hint.state() == State::kEndQueued);
  }
  ReadinessHint by_eagain = hint;
  by_eagain.on_would_block();
  CHECK(by_eagain.state() == State::kAtEnd);
  hint.on_read(3, 8);  // a short read took the last bytes
  CHECK(hint.state() == State::kAtEnd);
  CHECK(hint.next_read() == Next::kEnd);  // the end is there to read, without a recv of 0
  for (const EventHint later : {EventHint::kNoError, EventHint::kNothingToRead, EventHint::kUrgent,
                                EventHint::kBroken, EventHint::kCleanEnd}) {
    report(hint, later);
    hint.on_read(3, 8);
    hint.on_would_block();
    CHECK(hint.state() == State::kAtEnd);
  }
}

TEST_CASE("readiness hint: a connect over before any wait starts drained") {
  ReadinessHint fresh;
  fresh.on_connected_unattached();
  CHECK(fresh.state() == State::kDrained);
  CHECK(fresh.next_read() == Next::kWait);  // its first wait attaches it, which reports
  report(fresh, EventHint::kNoError);       // what is queued
  CHECK(fresh.next_read() == Next::kRecv);
  // Only 1) moves: what a reactor already said is kept.
  ReadinessHint stops_short;
  report(stops_short, EventHint::kBroken);
  ReadinessHint end_queued;
  report(end_queued, EventHint::kCleanEnd);
  for (ReadinessHint hint : {stops_short, end_queued}) {
    const State before = hint.state();
    hint.on_connected_unattached();
    CHECK(hint.state() == before);
  }
}

TEST_CASE("readiness hint: writability proves a connect only when the event had no error") {
  ReadinessHint hint;
  CHECK_FALSE(hint.connect_proved());
  for (const EventHint sound :
       {EventHint::kNoError, EventHint::kNothingToRead, EventHint::kUrgent, EventHint::kCleanEnd}) {
    CAPTURE(static_cast<int>(sound));
    hint.on_event(/*readable=*/false, /*writable=*/true, sound);
    CHECK(hint.connect_proved());
    hint.on_event(/*readable=*/false, /*writable=*/true, EventHint::kBroken);
    CHECK_FALSE(hint.connect_proved());  // writable, but with an error or hang-up
  }
  hint.on_event(/*readable=*/false, /*writable=*/true, EventHint::kNone);
  CHECK_FALSE(hint.connect_proved());  // the backend cannot tell an error from none
  report(hint, EventHint::kNoError);
  CHECK_FALSE(hint.connect_proved());  // an event about reading says nothing of writing
  hint.on_event(/*readable=*/false, /*writable=*/true, EventHint::kNoError);
  report(hint, EventHint::kNoError);
  CHECK(hint.connect_proved());  // either way
}

TEST_CASE("socket: leaving its reactor forgets the hint (moved from, closed, released)") {
  auto at_end = [](Socket& socket) {
    socket.on_ready(runtime::PollEvent{
        .fd = socket.fd(), .readable = true, .writable = true, .hint = EventHint::kCleanEnd});
    socket.hint().on_read(3, 8);
    REQUIRE(socket.hint().state() == State::kAtEnd);
    REQUIRE(socket.hint().connect_proved());
  };
  auto forgot = [](const Socket& socket) {
    return socket.hint().state() == State::kMaybeReadable && !socket.hint().connect_proved();
  };
  auto [socket, peer] = socket_pair();
  at_end(socket);
  Socket moved(std::move(socket));
  CHECK(moved.hint().state() == State::kAtEnd);
  CHECK(forgot(socket));  // NOLINT(bugprone-use-after-move): the shell knows nothing
  Socket assigned;
  assigned = std::move(moved);
  CHECK(assigned.hint().state() == State::kAtEnd);
  CHECK(forgot(moved));  // NOLINT(bugprone-use-after-move)
  assigned.close();
  CHECK(forgot(assigned));
  at_end(peer);
  const int fd = peer.release();
  CHECK(forgot(peer));
  ::close(fd);
}

namespace {
// A TCP connect to a listener on an ephemeral port. On loopback its handshake is over
// inside connect(), and Connect finds that out at once ("tcp: a loopback connect is ready
// at its first poll ..."); elsewhere its writable event proves it.
Task<runtime::TcpStream> connect_to(const runtime::SocketAddress& address) {
  co_return co_await runtime::TcpStream::connect(address, test::kWatchdogLimit);
}
}  // namespace

// With either backend: a connected stream reads what the peer sends and the end after it,
// and a peer that resets instead of closing is an error, never taken for a clean end.
TEST_CASE("tcp: a connected stream reads to a clean end; a reset is not one") {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const auto any = runtime::SocketAddress::resolve("127.0.0.1", 0);
  REQUIRE(::bind(listener, any.get(), any.size()) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  const auto address = runtime::SocketAddress::local_of(listener);
  Executor executor;
  for (const bool reset : {false, true}) {
    CAPTURE(reset);
    runtime::TcpStream stream = executor.block_on(connect_to(address));
    const int peer = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(peer >= 0);
    REQUIRE(::send(peer, "abc", 3, 0) == 3);
    if (reset) {
      const linger abort{.l_onoff = 1, .l_linger = 0};  // close() now sends RST, not FIN
      REQUIRE(::setsockopt(peer, SOL_SOCKET, SO_LINGER, &abort, sizeof abort) == 0);
    }
    ::close(peer);
    int code = 0;
    std::size_t got = 0;
    try {
      executor.block_on([](runtime::TcpStream& stream, std::size_t& got) -> Task<> {
        TcpReceiver receiver(stream.socket());
        auto bytes =
            co_await runtime::with_timeout(receiver.read_to_end(1024), test::kWatchdogLimit);
        REQUIRE(bytes.has_value());
        got = bytes->size();
      }(stream, got));
    } catch (const std::system_error& error) {
      code = error.code().value();
    }
    if (reset) {
      CHECK(code == ECONNRESET);  // "abc" is read, then the reset ends it: no clean end
      CHECK(stream.socket().hint().next_read() != ReadinessHint::Next::kEnd);
    } else {
      CHECK(code == 0);
      CHECK(got == 3);
      // epoll saw the FIN (EPOLLRDHUP), so the end came without a recv of 0; poll(2) has no
      // such event, and its reader asks.
      if (std::string_view(runtime::Poller::backend()) == "epoll")
        CHECK(stream.socket().hint().next_read() == ReadinessHint::Next::kEnd);
    }
  }
  ::close(listener);
}
