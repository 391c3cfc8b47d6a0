// client: the load generator and its library, run in-process against servers written here
// with the runtime: a conforming oneshot server, a conforming stream echo server, and
// misbehaving ones (wrong greeting, wrong echo, early close, silence, oversized or
// malformed replies, a port nobody listens on). Each failure must land in the right error
// kind and set the right exit status. Everything is on 127.0.0.1 with port 0.
//
// Every test server runs on its own Executor thread and is stopped by closing a channel the
// accept loop races against (no sleeps, no polling); the destructor joins the thread.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "client/connection.hpp"
#include "client/dispenser.hpp"
#include "client/histogram.hpp"
#include "client/options.hpp"
#include "client/reply_buffer.hpp"
#include "client/report.hpp"
#include "client/request_text.hpp"
#include "client/run.hpp"
#include "client/send_data.hpp"
#include "client/sent_frames.hpp"
#include "client/thread_load.hpp"
#include "data_layer/data.hpp"
#include "runtime/channel.hpp"
#include "runtime/event.hpp"
#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/tcp_listener.hpp"
#include "runtime/tcp_receiver.hpp"
#include "runtime/tcp_sender.hpp"
#include "runtime/when_any.hpp"
#include "runtime/with_timeout.hpp"
#include "tests/count_of.hpp"
#include "tests/refused_port.hpp"
#include "tests/watchdog.hpp"

using data_layer::Data;
using runtime::Task;
using test::count_of;

namespace {

enum class Behaviour {
  kGreeting,       // oneshot, conforming: "Hello, client!" then close
  kEcho,           // stream, conforming: every frame echoed, in order
  kWrongGreeting,  // oneshot: a greeting of the right length with the wrong bytes
  kWrongEcho,      // stream: a well-formed reply whose field1 is off by one
  kEarlyClose,     // reads the request, closes without a reply
  kSilent,         // reads requests, never answers
  kOversized,      // oneshot: 2,000 bytes instead of 14
  kBadFrame,       // stream: a reply header announcing a 2 GiB field3
  kSlowFirst,      // stream: echoes, but holds the first reply on a connection kSlowFirstDelay
  kBadUtf8,        // stream: the echo's framing, but field3's first byte made invalid UTF-8
  kCutShort,       // stream: the first half of the echo, then close
  kTrickle,        // stream: the echo one byte at a time, kTrickleGap apart
  kAllAtOnce,      // oneshot: the greeting, but only once Gate::target requests are here
  kHeld,           // oneshot: the greeting, but only once the test calls TestServer::release
};

// For kAllAtOnce: the requests hold their replies until `target` of them have arrived; for
// kHeld, until `released` is set. Either way at most until the watchdog's limit, which
// counts as a failure. Every handler runs on the test server's one thread, so only the
// count the test reads (TestServer's) needs to be atomic.
struct Gate {
  int target = 0;
  int arrived = 0;
  runtime::Channel<int> open{1};  // closed when the last request arrives: wakes every waiter
  runtime::Event* released = nullptr;
  std::atomic<int>* timed_out = nullptr;
};

Task<void> wait_for_all(Gate& gate) {
  if (++gate.arrived == gate.target) gate.open.close();
  auto opened = co_await runtime::with_timeout(gate.open.recv(), test::kWatchdogLimit);
  if (!opened) ++*gate.timed_out;
}

Task<void> wait_for_release(Gate& gate) {
  auto released = co_await runtime::with_timeout(gate.released->wait(), test::kWatchdogLimit);
  if (!released) ++*gate.timed_out;
}

constexpr std::chrono::milliseconds kTrickleGap{40};

constexpr std::chrono::milliseconds kSlowFirstDelay{200};

runtime::SocketAddress loopback(std::uint16_t port) {
  return runtime::SocketAddress::resolve("127.0.0.1", port);
}

Task<void> send_text(runtime::Socket& socket, std::string text) {
  co_await runtime::TcpSender(socket, std::string_view(text));
}

Task<void> send_bytes(runtime::Socket& socket, data_layer::Bytes bytes) {
  co_await runtime::TcpSender(socket, data_layer::ByteView(bytes));
}

// One reply per request; returns false when the connection should close.
Task<bool> answer(runtime::Socket& socket, Data request, Behaviour behaviour) {
  switch (behaviour) {
    case Behaviour::kGreeting:
    case Behaviour::kAllAtOnce:
    case Behaviour::kHeld:
      co_await send_text(socket, "Hello, client!");
      co_return false;
    case Behaviour::kWrongGreeting:
      co_await send_text(socket, "Hello, world!!");
      co_return false;
    case Behaviour::kOversized:
      co_await send_text(socket, std::string(2000, 'x'));
      co_return false;
    case Behaviour::kEcho:
    case Behaviour::kSlowFirst:
      co_await send_bytes(socket, data_layer::serialize(request));
      co_return true;
    case Behaviour::kWrongEcho:
      ++request.field1;
      co_await send_bytes(socket, data_layer::serialize(request));
      co_return true;
    case Behaviour::kBadFrame: {
      // Built before the co_await: GCC cannot keep a braced list's array in a coroutine frame.
      data_layer::Bytes header = {1, 0, 0, 0, 1, 0, 0, 0, 0, 0x80};
      co_await send_bytes(socket, std::move(header));
      co_return false;
    }
    case Behaviour::kBadUtf8: {
      data_layer::Bytes reply = data_layer::serialize(request);
      reply.at(data_layer::kHeaderSize) = 0xFF;  // never valid in UTF-8
      co_await send_bytes(socket, std::move(reply));
      co_return true;
    }
    case Behaviour::kCutShort: {
      data_layer::Bytes reply = data_layer::serialize(request);
      reply.resize(reply.size() / 2);
      co_await send_bytes(socket, std::move(reply));
      co_return false;
    }
    case Behaviour::kTrickle: {
      const data_layer::Bytes reply = data_layer::serialize(request);
      for (const std::uint8_t byte : reply) {
        co_await runtime::Sleep(kTrickleGap);
        co_await send_bytes(socket, data_layer::Bytes(1, byte));
      }
      co_return true;
    }
    case Behaviour::kEarlyClose:
      co_return false;
    case Behaviour::kSilent:
      co_return true;
  }
  co_return false;
}

Task<void> handle(runtime::TcpStream stream, Behaviour behaviour, Gate& gate) {
  runtime::TcpReceiver receiver(stream.socket());
  bool first = true;
  for (;;) {  // ends at end of stream, or when the behaviour closes
    auto request = co_await receiver.read_frame();
    if (!request) co_return;
    if (behaviour == Behaviour::kSlowFirst && std::exchange(first, false)) {
      co_await runtime::Sleep(kSlowFirstDelay);
    }
    if (behaviour == Behaviour::kAllAtOnce) co_await wait_for_all(gate);
    if (behaviour == Behaviour::kHeld) co_await wait_for_release(gate);
    // Awaited into a name: GCC 12 never polls a task awaited in an `if (!...)` condition
    // (docs/RUNTIME.md).
    const bool go_on = co_await answer(stream.socket(), std::move(*request), behaviour);
    if (!go_on) co_return;
  }
}

Task<void> accept_loop(runtime::TcpListener& listener, Behaviour behaviour,
                       std::atomic<int>& accepted, Gate& gate) {
  for (;;) {
    runtime::TcpStream stream = co_await listener.accept();
    ++accepted;
    (void)runtime::spawn(handle(std::move(stream), behaviour, gate));  // detached
  }
}

class TestServer {
 public:
  // `gate_target`: for kAllAtOnce, how many requests must arrive before any is answered.
  explicit TestServer(Behaviour behaviour, int gate_target = 0)
      : listener_(runtime::TcpListener::bind(loopback(0))),
        port_(listener_->local_address().port()),
        gate_target_(gate_target),
        thread_("the test server", [this, behaviour] { serve(behaviour); }) {}
  ~TestServer() {
    stop_.close();
    thread_.join();
  }
  std::string port() const { return std::to_string(port_); }
  int accepted() const { return accepted_.load(); }
  // kAllAtOnce and kHeld: requests that gave up waiting for the others, or for release().
  int gate_timeouts() const { return gate_timeouts_.load(); }
  // kHeld: lets every request held so far, and every later one, have its reply. Any thread.
  void release() { released_.set(); }

 private:
  // Ends when stop_ closes; the Executor's destructor then cancels the handlers still
  // running (a silent server's), which closes their sockets. The listener is moved in here
  // and declared after the executor, so it closes first: a socket must not outlive the
  // reactor it registered with (its destructor deregisters there).
  void serve(Behaviour behaviour) {
    // Not a member: the gate's channel belongs to this thread. Declared before the executor,
    // whose end cancels the handlers still waiting on it.
    Gate gate;
    gate.target = gate_target_;
    runtime::Executor executor;
    runtime::TcpListener listener = std::move(*listener_);
    gate.released = &released_;
    gate.timed_out = &gate_timeouts_;
    executor.block_on(
        runtime::when_any(stop_.recv(), accept_loop(listener, behaviour, accepted_, gate)));
  }

  std::optional<runtime::TcpListener> listener_;  // bound here, so port() is known at once
  std::uint16_t port_;
  runtime::Channel<int> stop_{1};
  std::atomic<int> accepted_{0};
  int gate_target_;
  std::atomic<int> gate_timeouts_{0};
  runtime::Event released_;    // outlives the executor, whose end cancels the waits on it
  test::JoinedThread thread_;  // last: it starts once everything above exists
};

struct Ran {
  int status;
  std::string out;
  std::string err;
};

// client::run, bounded: it waits for its own threads, and they for a server's replies.
int run_bounded(const std::vector<std::string>& args, client::Output output) {
  return test::bounded("the client's run to end", [&] { return client::run(args, output); });
}

Ran run_client(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int status = run_bounded(args, client::Output{out, err, false});
  return {status, out.str(), err.str()};
}

// The client's stderr as a terminal would get it. The client draws its progress line from
// a thread of its own while the test waits in run(), so every write is taken under a lock;
// the time of the first is kept, and `on_progress` runs once, at the first progress line.
// kUnguarded takes no lock, as an std::ostringstream takes none: then only the client's
// own lock orders its writers, and under TSan a write it leaves unordered is reported.
class TerminalErr : public std::streambuf {
 public:
  enum Guard { kLocked, kUnguarded };
  explicit TerminalErr(std::function<void()> on_progress = {}, Guard guard = kLocked)
      : on_progress_(std::move(on_progress)), guard_(guard) {}

  std::string text() const {
    std::lock_guard lock(mutex_);
    return text_;
  }
  std::optional<client::Clock::time_point> first_write() const {
    std::lock_guard lock(mutex_);
    return first_write_;
  }
  // A run with `args` that draws on this as on a terminal (what the binary passes when
  // stderr is one); returns its exit status, and its stdout in `out`.
  int run(const std::vector<std::string>& args, std::ostringstream& out) {
    std::ostream err(this);
    return run_bounded(args, client::Output{out, err, true});
  }

 protected:
  std::streamsize xsputn(const char* bytes, std::streamsize count) override {
    append(std::string_view(bytes, static_cast<std::size_t>(count)));
    return count;
  }
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    const char byte = traits_type::to_char_type(c);
    append(std::string_view(&byte, 1));
    return c;
  }

 private:
  void append(std::string_view bytes) {
    std::function<void()> shown;
    {
      std::unique_lock lock(mutex_, std::defer_lock);
      if (guard_ == kLocked) lock.lock();
      if (!first_write_) first_write_ = client::Clock::now();
      text_.append(bytes);
      if (on_progress_ && text_.find("req/s") != std::string::npos) {
        shown = std::exchange(on_progress_, {});
      }
    }
    if (shown) shown();  // outside the lock: it may wake another thread
  }

  mutable std::mutex mutex_;
  std::string text_;
  std::optional<client::Clock::time_point> first_write_;
  std::function<void()> on_progress_;
  const Guard guard_;
};

// Microseconds, as the JSON line gives latencies.
double micros(std::chrono::steady_clock::duration elapsed) {
  return std::chrono::duration<double, std::micro>(elapsed).count();
}

// The value of "key" in a one-line JSON object, as text: enough to check this schema
// without a JSON library (keys are unique across nesting levels here).
std::string json_field(const std::string& line, const std::string& key) {
  const std::string marker = "\"" + key + "\":";
  const auto at = line.find(marker);
  if (at == std::string::npos) return "<missing>";
  const auto begin = at + marker.size();
  const auto end = line.find_first_of(",}", begin);
  return line.substr(begin, end - begin);
}

double json_number(const std::string& line, const std::string& key) {
  return std::stod(json_field(line, key));
}

// Runs the client with --json and checks the line's shape; returns the line.
std::string run_json(std::vector<std::string> args, int expected_status) {
  args.push_back("--json");
  const Ran ran = run_client(args);
  CHECK(ran.status == expected_status);
  REQUIRE(!ran.out.empty());
  CHECK(ran.out.back() == '\n');
  CHECK(ran.out.find('\n') == ran.out.size() - 1);  // exactly one line
  return ran.out;
}

}  // namespace

TEST_CASE("client: histogram percentiles keep two significant digits") {
  client::Histogram a, b;
  for (std::uint64_t v = 1; v <= 5000; ++v)
    a.record(v);
  for (std::uint64_t v = 5001; v <= 10000; ++v)
    b.record(v);
  a.merge(b);
  CHECK(a.count() == 10000);
  CHECK(a.min() == 1);
  CHECK(a.max() == 10000);
  auto near = [](std::uint64_t got, double want) {
    return got >= want && static_cast<double>(got) <= want * 1.016 + 1;
  };
  CHECK(near(a.percentile(50), 5000));
  CHECK(near(a.percentile(90), 9000));
  CHECK(near(a.percentile(99), 9900));
  CHECK(a.percentile(100) == 10000);
  CHECK(a.render().find('#') != std::string::npos);
  client::Histogram small;
  small.record(7);
  CHECK(small.percentile(50) == 7);  // below 128 us every value is exact
  CHECK(client::Histogram().percentile(99) == 0);
}

TEST_CASE("client: ReplyBuffer hands out whole frames however the reads split them") {
  // Small frames around one larger than any read, so the buffer must slide and grow.
  data_layer::Bytes stream;
  std::vector<data_layer::Bytes> frames;
  for (std::uint32_t i = 0; i < 40; ++i) {
    const std::string text = i == 20 ? std::string(100'000, 'x') : "reply " + std::to_string(i);
    frames.push_back(data_layer::serialize(Data{i, 7, text}));
    stream.insert(stream.end(), frames.back().begin(), frames.back().end());
  }
  for (const std::size_t chunk :
       {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{70'000}}) {
    CAPTURE(chunk);
    client::ReplyBuffer buffer;
    std::size_t fed = 0, taken = 0;
    for (int reads = 0; fed < stream.size() && reads < 1'000'000; ++reads) {
      const auto room = buffer.space();
      REQUIRE(!room.empty());
      const std::size_t count = std::min({chunk, room.size(), stream.size() - fed});
      std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(fed), count, room.begin());
      buffer.commit(count);
      fed += count;
      while (auto frame = buffer.next_frame()) {
        REQUIRE(taken < frames.size());
        CHECK(std::ranges::equal(*frame, frames[taken]));
        ++taken;
      }
    }
    CHECK(taken == frames.size());
    CHECK(!buffer.holds_bytes());
  }
}

TEST_CASE("client: ReplyBuffer refuses a len above its maximum from the header alone") {
  client::ReplyBuffer buffer(16);
  const data_layer::Bytes frame = data_layer::serialize(Data{1, 2, std::string(17, 'x')});
  const auto room = buffer.space();
  std::copy_n(frame.begin(), data_layer::kHeaderSize, room.begin());
  buffer.commit(data_layer::kHeaderSize);
  bool refused = false;
  try {
    (void)buffer.next_frame();
  } catch (const client::ClientError& error) {
    refused = error.kind() == client::ErrorKind::kProtocol;
  }
  CHECK(refused);
}

TEST_CASE("client: ReplyBuffer takes an exact echo by its bytes, and leaves anything else") {
  const data_layer::Bytes request = data_layer::serialize(Data{3, 4, "Hello, server! 3"});
  // Longer than the request: a len read while the request was incomplete must not outlive it.
  const data_layer::Bytes other = data_layer::serialize(Data{3, 4, "Hello, server! 42"});
  client::ReplyBuffer buffer;
  auto feed = [&](data_layer::ByteView bytes) {
    const auto room = buffer.space();
    REQUIRE(room.size() >= bytes.size());
    std::ranges::copy(bytes, room.begin());
    buffer.commit(bytes.size());
  };
  const data_layer::ByteView whole(request);

  // Only part of it yet, its header read by next_frame: nothing is taken until the rest
  // arrives, and then the echo is, header and all.
  feed(whole.first(12));
  CHECK(!buffer.take_echo(whole));
  CHECK(!buffer.next_frame());
  feed(whole.subspan(12));
  CHECK(buffer.take_echo(whole));
  CHECK(!buffer.holds_bytes());

  // A different reply is left whole for next_frame, and the frame after it still parses
  // by its own header.
  feed(other);
  feed(request);
  CHECK(!buffer.take_echo(whole));
  const auto frame = buffer.next_frame();
  REQUIRE(frame);
  CHECK(std::ranges::equal(*frame, other));
  CHECK(buffer.take_echo(whole));
  CHECK(!buffer.holds_bytes());
}

TEST_CASE("client: the dispenser hands every number out once, one or a window at a time") {
  const client::Options options =
      client::resolve(client::parse_options(std::vector<std::string>{"--requests", "40"}));
  client::Dispenser dispenser(options, client::Clock::now());
  std::vector<client::Dispenser::Claim> taken;
  for (int turn = 0; turn < 100; ++turn) {  // bounded: 40 numbers in all
    const std::size_t before = taken.size();
    if (turn % 2 == 0) {
      dispenser.claim_up_to(16, taken);
    } else if (auto claim = dispenser.claim()) {
      taken.push_back(*claim);
    }
    if (taken.size() == before) break;
  }
  std::vector<int> seen(40, 0);
  for (const auto& claim : taken) {
    REQUIRE(claim.index < 40);
    ++seen[claim.index];
  }
  CHECK(std::ranges::all_of(seen, [](int count) { return count == 1; }));
  CHECK(taken.size() == 40);
  CHECK(taken[0].index == 0);
  CHECK(taken[15].index == 15);  // a window is consecutive numbers
  CHECK(!dispenser.claim());
  dispenser.claim_up_to(16, taken);
  CHECK(taken.size() == 40);
}

TEST_CASE("client: RequestText writes the book's text for any order of numbers") {
  // Consecutive numbers are incremented in place; the digits carry (199 -> 200), gain a
  // digit (999 -> 1000), and any other order formats afresh. Each must read as to_string.
  client::RequestText text;
  const auto expect = [](std::uint64_t i) { return "Hello, server! " + std::to_string(i); };
  for (std::uint64_t i = 0; i < 20'000; ++i)
    REQUIRE(text.of(i) == expect(i));
  for (const std::uint64_t i : std::vector<std::uint64_t>{7, 99, 100, 5, 6, 999'999, 1'000'000, 3})
    CHECK(text.of(i) == expect(i));
  for (const std::uint64_t i : std::vector<std::uint64_t>{UINT64_MAX - 1, UINT64_MAX, 0, 1})
    CHECK(text.of(i) == expect(i));  // 0 after UINT64_MAX is not its successor
}

TEST_CASE("client: SentFrames hands back requests in order and keeps only what is owed") {
  // 16 large requests always in flight for 10,000 rounds: the queue never empties, so only
  // dropping the answered front keeps it from holding every request ever sent (80 MB here;
  // found by review).
  client::SentFrames sent;
  constexpr std::size_t kWindow = 16;
  const std::string text(5000, 'x');
  std::uint32_t next = 0, oldest = 0;
  std::size_t most_held = 0;
  for (int round = 0; round < 10'000; ++round) {
    sent.start_batch();
    const std::size_t owed = next - oldest;
    for (std::size_t i = owed; i < kWindow; ++i)
      sent.add(next++, 0, text);
    CHECK(sent.batch().size() == (kWindow - owed) * (data_layer::kHeaderSize + text.size()));
    most_held = std::max(most_held, sent.held_bytes());
    // Answer 1 to 3 requests a round, so the front and the batch boundaries drift.
    for (int answered = 0; answered < 1 + round % 3; ++answered) {
      const auto frame = data_layer::deserialize(sent.oldest());
      REQUIRE(std::holds_alternative<Data>(frame));
      CHECK(std::get<Data>(frame).field1 == oldest++);
      sent.pop_oldest();
    }
  }
  CHECK(most_held <= 2 * (kWindow * (data_layer::kHeaderSize + text.size()) + 64 * 1024));
  sent.clear();
  CHECK(sent.held_bytes() == 0);
}

TEST_CASE("client: options take the book's defaults and reject bad usage") {
  const auto defaults = client::resolve(client::parse_options({}));
  CHECK(defaults.port == 7878);
  CHECK(defaults.mode == client::Mode::kOneshot);
  CHECK(defaults.requests == 4000);
  CHECK(defaults.concurrency == 4000);  // oneshot: all in flight at once
  CHECK(defaults.threads == std::max(1u, std::thread::hardware_concurrency()));  // one per core
  const std::vector<std::string> one = {"--requests", "1"};
  CHECK(client::resolve(client::parse_options(one)).threads == 1);  // no more than the lanes
  const std::vector<std::string> stream = {"--mode=stream", "--requests", "100", "--pipeline", "4"};
  const auto parsed = client::resolve(client::parse_options(stream));
  CHECK(parsed.concurrency == 32);
  CHECK(parsed.pipeline == 4);
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--mode", "udp"},
                                              {"--requests", "ten"},
                                              {"--requests", "0"},
                                              {"--port", "70000"},
                                              {"--bogus"},
                                              {"--rate", "-1"},
                                              {"--timeout-ms"}}) {
    CHECK_THROWS_AS(client::parse_options(bad), client::UsageError);
  }
}

TEST_CASE("client: the library works from synchronous code with block_on") {
  TestServer echo(Behaviour::kEcho);
  TestServer greeter(Behaviour::kGreeting);
  const auto echo_address = loopback(static_cast<std::uint16_t>(std::stoi(echo.port())));
  const auto greeter_address = loopback(static_cast<std::uint16_t>(std::stoi(greeter.port())));
  runtime::Executor executor;
  auto session = [&]() -> Task<std::vector<Data>> {
    auto connection = co_await client::Connection::open(echo_address, test::kWatchdogLimit);
    std::vector<Data> replies;
    // Named, not a braced temporary: GCC 12 miscompiles `co_await f(Data{...})` (bad free).
    Data first{1, 2, "one"};
    replies.push_back(co_await connection.request(std::move(first), test::kWatchdogLimit));
    std::vector<Data> batch = {Data{3, 4, "two"}, Data{5, 6, "three"}};
    auto more = co_await connection.pipeline(std::move(batch), test::kWatchdogLimit);
    replies.insert(replies.end(), more.begin(), more.end());
    co_return replies;
  };
  const auto replies =
      test::bounded("the test servers' replies", [&] { return executor.block_on(session()); });
  REQUIRE(replies.size() == 3);
  CHECK(replies[0] == Data{1, 2, "one"});
  CHECK(replies[2] == Data{5, 6, "three"});
  const std::string reply = test::bounded("the greeting", [&] {
    return executor.block_on(client::send_data(greeter_address, Data{7, 7, "Hello, server! 7"}));
  });
  CHECK(reply == "Hello, client!");
}

namespace {

// send_data on an executor of the test's own, against `port`: the reply, or the error.
struct Sent {
  std::string reply;
  std::optional<client::ClientError> error;
  unsigned retries = 0;
};

Sent run_send_data(const std::string& port, client::Timeouts timeouts = {},
                   client::RetryPolicy retry = {}) {
  const auto address = loopback(static_cast<std::uint16_t>(std::stoi(port)));
  runtime::Executor executor;
  Sent sent;
  auto request = [&]() -> Task<void> {
    // Named, not a braced temporary: GCC 12 miscompiles `co_await f(Data{...})` (bad free).
    Data data{17, 17, "Hello, server! 17"};
    try {
      sent.reply =
          co_await client::send_data(address, std::move(data), timeouts, retry, sent.retries);
    } catch (const client::ClientError& error) {
      sent.error = error;
    }
  };
  test::bounded("send_data to end", [&] { executor.block_on(request()); });
  return sent;
}

}  // namespace

TEST_CASE("client: send_data connects, sends the Data and returns the reply read to its end") {
  TestServer greeter(Behaviour::kGreeting);
  const Sent ok = run_send_data(greeter.port());
  CHECK(!ok.error);
  CHECK(ok.reply == "Hello, client!");
  CHECK(ok.retries == 0);
  CHECK(greeter.accepted() == 1);
  // It returns what came, and check_greeting judges it.
  TestServer wrong(Behaviour::kWrongGreeting);
  const Sent other = run_send_data(wrong.port());
  CHECK(other.reply == "Hello, world!!");
  CHECK_THROWS_AS(client::check_greeting(other.reply), client::ClientError);
  TestServer early(Behaviour::kEarlyClose);
  CHECK(run_send_data(early.port()).reply.empty());
}

TEST_CASE("client: send_data's failures are ClientErrors named for their step") {
  TestServer oversized(Behaviour::kOversized);
  const Sent big = run_send_data(oversized.port());
  REQUIRE(big.error);
  CHECK(big.error->kind() == client::ErrorKind::kProtocol);
  TestServer silent(Behaviour::kSilent);
  const client::Timeouts quick{.connect = test::kWatchdogLimit,
                               .request = std::chrono::milliseconds(100)};
  const Sent late = run_send_data(silent.port(), quick);
  REQUIRE(late.error);
  CHECK(late.error->kind() == client::ErrorKind::kTimeout);
  CHECK(std::string(late.error->what()) == "no complete reply within 100 ms");
  // Refused: retried as the policy says, and the retries are counted though it fails.
  const test::RefusedPort nobody;
  const Sent refused = run_send_data(nobody.port(), {}, client::RetryPolicy{.retries = 2});
  REQUIRE(refused.error);
  CHECK(refused.error->kind() == client::ErrorKind::kConnect);
  CHECK(refused.retries == 2);
}

TEST_CASE("client: oneshot against a conforming server succeeds, all in flight") {
  TestServer server(Behaviour::kGreeting);
  const auto line = run_json({"--port", server.port(), "--requests", "200"}, 0);
  CHECK(json_number(line, "requests") == 200);
  CHECK(json_number(line, "ok") == 200);
  CHECK(json_number(line, "errors") == 0);
  CHECK(json_field(line, "concurrency") == "200");
  CHECK(server.accepted() == 200);
}

TEST_CASE("client: with --concurrency at --requests, every request is in flight at once") {
  // On two threads. Found by the 10k benchmark row (2.3 s instead of 1.5, with 1 s replies)
  // when request numbers went to threads 16 at a time: a thread whose lanes all had one
  // held the rest of its block until one of its requests was done.
  constexpr int kRequests = 40;
  TestServer server(Behaviour::kAllAtOnce, kRequests);
  const auto line = run_json({"--port", server.port(), "--requests", std::to_string(kRequests),
                              "--concurrency", std::to_string(kRequests), "--threads", "2"},
                             0);
  CHECK(json_number(line, "ok") == kRequests);
  CHECK(server.gate_timeouts() == 0);
}

TEST_CASE("client: a stream lane claims only what it sends, so no request waits in a busy one") {
  // 17 requests, two lanes, a window of 16 on one thread: the first lane takes 0..15,
  // the second takes 16. (Found by review: a lane that also claimed the next number
  // ahead held 16 until its first reply, and the second lane never connected.)
  TestServer server(Behaviour::kEcho);
  const auto line = run_json({"--port", server.port(), "--mode", "stream", "--requests", "17",
                              "--concurrency", "2", "--pipeline", "16", "--threads", "1"},
                             0);
  CHECK(json_number(line, "ok") == 17);
  CHECK(server.accepted() == 2);
}

TEST_CASE("client: stream mode with pipelining on several threads echoes every request") {
  TestServer server(Behaviour::kEcho);
  const auto line = run_json({"--port", server.port(), "--mode", "stream", "--requests", "300",
                              "--concurrency", "4", "--pipeline", "8", "--threads", "2"},
                             0);
  CHECK(json_number(line, "ok") == 300);
  CHECK(json_field(line, "pipeline") == "8");
  CHECK(json_field(line, "threads") == "2");
  // Keep-alive: at most one connection per lane, however many requests. (Not exactly
  // one: a lane whose batch-claiming siblings took every request first never connects.)
  CHECK(server.accepted() >= 1);
  CHECK(server.accepted() <= 4);
}

TEST_CASE("client: stream latency runs from the write, not from when the lane took the number") {
  // The rule: from the moment the request goes out in closed loop, from its schedule with
  // --rate (so that a stalled server cannot hide its stall).
  const std::vector<runtime::SocketAddress> targets = {loopback(7878)};
  const client::PrintLine no_lines = [](const std::string&) {};
  const client::Dispenser::Claim claim{0, client::Clock::now() - std::chrono::hours(1)};
  const auto written = client::Clock::now();
  for (const bool paced : {false, true}) {
    CAPTURE(paced);
    std::vector<std::string> args = {"--mode", "stream"};
    if (paced) args.insert(args.end(), {"--rate", "100"});
    const client::Options options = client::resolve(client::parse_options(args));
    client::Dispenser dispenser(options, claim.scheduled);
    const client::ThreadLoad load(options, targets, dispenser, no_lines, 0, 1);
    CHECK(load.start_of(claim, written) == (paced ? claim.scheduled : written));
  }
  // And in a run. Closed loop, one connection, one request in flight: request 1 goes out
  // only once request 0's reply is in, which the server held kSlowFirstDelay, so request 1's
  // whole latency falls in what is left of the run after that delay. A latency counted from
  // the run's start, or from a number taken before request 0's wait, includes the delay
  // and does not fit, unless the run's start and end alone took longer than the delay.
  TestServer server(Behaviour::kSlowFirst);
  const auto started = client::Clock::now();
  const auto line = run_json({"--port", server.port(), "--mode", "stream", "--requests", "2",
                              "--concurrency", "1", "--pipeline", "1", "--threads", "1"},
                             0);
  const double run_us = micros(client::Clock::now() - started);
  CHECK(json_number(line, "ok") == 2);
  const double slow_us = micros(kSlowFirstDelay);
  CHECK(json_number(line, "max_us") >= slow_us);           // request 0 did wait
  CHECK(json_number(line, "min_us") + slow_us <= run_us);  // request 1 did not
}

TEST_CASE("client: stream mode carries a large field3 with --size") {
  TestServer server(Behaviour::kEcho);
  const auto line = run_json({"--port", server.port(), "--mode", "stream", "--requests", "20",
                              "--concurrency", "2", "--size", "100000"},
                             0);
  CHECK(json_number(line, "ok") == 20);
  CHECK(json_field(line, "size") == "100000");
}

TEST_CASE("client: a wrong greeting is counted as a mismatch") {
  TestServer server(Behaviour::kWrongGreeting);
  const auto line = run_json({"--port", server.port(), "--requests", "20"}, 1);
  CHECK(json_number(line, "ok") == 0);
  CHECK(json_number(line, "errors") == 20);
  CHECK(json_number(line, "mismatches") == 20);
}

TEST_CASE("client: a wrong echo is counted as a mismatch and the connection carries on") {
  TestServer server(Behaviour::kWrongEcho);
  const auto line = run_json(
      {"--port", server.port(), "--mode", "stream", "--requests", "20", "--concurrency", "2"}, 1);
  CHECK(json_number(line, "mismatches") == 20);
  // Carries on: no new connection after a mismatch, so at most one per lane (20 if each
  // mismatch dropped it). Not exactly two: a lane whose sibling took every request before
  // its thread started never connects.
  CHECK(server.accepted() >= 1);
  CHECK(server.accepted() <= 2);
}

TEST_CASE("client: an early close is counted as a read error in both modes") {
  TestServer server(Behaviour::kEarlyClose);
  const auto oneshot = run_json({"--port", server.port(), "--requests", "10"}, 1);
  CHECK(json_number(oneshot, "read") == 10);
  const auto stream = run_json(
      {"--port", server.port(), "--mode", "stream", "--requests", "10", "--concurrency", "2"}, 1);
  CHECK(json_number(stream, "read") == 10);
  CHECK(json_number(stream, "ok") == 0);
}

TEST_CASE("client: a silent server is counted as timeouts in both modes") {
  TestServer server(Behaviour::kSilent);
  const auto oneshot =
      run_json({"--port", server.port(), "--requests", "5", "--timeout-ms", "100"}, 1);
  CHECK(json_number(oneshot, "timeout") == 5);
  const auto stream = run_json({"--port", server.port(), "--mode", "stream", "--requests", "6",
                                "--concurrency", "2", "--pipeline", "3", "--timeout-ms", "100"},
                               1);
  CHECK(json_number(stream, "timeout") == 6);
}

TEST_CASE("client: --timeout-ms bounds a stream reply from its write, however it trickles in") {
  // A byte every 40 ms: each read is quick, the whole reply (about 1 s) is not.
  TestServer server(Behaviour::kTrickle);
  const auto stream = run_json({"--port", server.port(), "--mode", "stream", "--requests", "1",
                                "--concurrency", "1", "--timeout-ms", "300"},
                               1);
  CHECK(json_number(stream, "timeout") == 1);
}

TEST_CASE("client: malformed replies are counted as protocol errors") {
  TestServer oversized(Behaviour::kOversized);
  const auto oneshot = run_json({"--port", oversized.port(), "--requests", "5"}, 1);
  CHECK(json_number(oneshot, "protocol") == 5);
  TestServer bad_frame(Behaviour::kBadFrame);
  const auto stream = run_json(
      {"--port", bad_frame.port(), "--mode", "stream", "--requests", "5", "--concurrency", "1"}, 1);
  CHECK(json_number(stream, "protocol") == 5);
  // Framed like the echo, so only decoding it finds what is wrong: protocol, not mismatch.
  TestServer bad_utf8(Behaviour::kBadUtf8);
  const auto utf8 = run_json(
      {"--port", bad_utf8.port(), "--mode", "stream", "--requests", "5", "--concurrency", "1"}, 1);
  CHECK(json_number(utf8, "protocol") == 5);
  CHECK(json_number(utf8, "mismatches") == 0);
  TestServer cut_short(Behaviour::kCutShort);
  const auto cut = run_json(
      {"--port", cut_short.port(), "--mode", "stream", "--requests", "5", "--concurrency", "1"}, 1);
  CHECK(json_number(cut, "protocol") == 5);
}

TEST_CASE("client: a refused connection is a connect error, retried when asked") {
  const test::RefusedPort nobody;
  const std::string port = nobody.port();
  const auto plain = run_json({"--port", port, "--requests", "5"}, 1);
  CHECK(json_number(plain, "connect") == 5);
  CHECK(json_number(plain, "retried") == 0);
  const auto retried = run_json({"--port", port, "--requests", "5", "--retries", "2"}, 1);
  CHECK(json_number(retried, "connect") == 5);
  CHECK(json_number(retried, "retried") == 5);
  const auto stream = run_json({"--port", port, "--mode", "stream", "--requests", "4"}, 1);
  CHECK(json_number(stream, "connect") == 4);
}

TEST_CASE("client: the JSON line has every documented key") {
  TestServer server(Behaviour::kGreeting);
  const auto line = run_json({"--port", server.port(), "--requests", "10"}, 0);
  CHECK(line.front() == '{');
  for (const char* key :
       {"requests", "ok",          "errors",     "mismatches", "retried",    "errors_by_kind",
        "wall_s",   "rps",         "p50_us",     "p90_us",     "p99_us",     "p999_us",
        "max_us",   "min_us",      "mean_us",    "settings",   "host",       "port",
        "mode",     "concurrency", "pipeline",   "size",       "timeout_ms", "connect_timeout_ms",
        "retries",  "rate",        "duration_s", "threads",    "connect",    "timeout",
        "read",     "write",       "protocol",   "mismatch"}) {
    CHECK_MESSAGE(json_field(line, key) != "<missing>", key);
  }
  // --breaker's: its kind of failure, how often a circuit opened, and its settings.
  for (const char* key : {"circuit_open", "breaker_opens", "breaker", "breaker_cooldown_ms"})
    CHECK_MESSAGE(json_field(line, key) != "<missing>", key);
  CHECK(json_field(line, "host") == "\"127.0.0.1\"");
  CHECK(json_field(line, "mode") == "\"oneshot\"");
  CHECK(json_number(line, "p50_us") <= json_number(line, "p99_us"));
  CHECK(json_number(line, "p99_us") <= json_number(line, "max_us"));
  CHECK(json_number(line, "max_us") > 0);
  CHECK(json_number(line, "wall_s") > 0);
}

TEST_CASE("client: exit status is 2 for bad usage, 0 for --help, and the summary is readable") {
  const Ran bad = run_client({"--mode", "udp"});
  CHECK(bad.status == 2);
  CHECK(bad.err.find("--mode") != std::string::npos);
  CHECK(bad.out.empty());
  CHECK(run_client({"--requests"}).status == 2);
  const Ran help = run_client({"--help"});
  CHECK(help.status == 0);
  CHECK(help.out.find("--pipeline") != std::string::npos);
  TestServer server(Behaviour::kGreeting);
  const Ran summary = run_client({"--port", server.port(), "--requests", "10"});
  CHECK(summary.status == 0);
  CHECK(summary.out.find("ok 10") != std::string::npos);
  CHECK(summary.out.find("p99.9") != std::string::npos);
  CHECK(run_client({"--port", server.port(), "--requests", "3", "--quiet"}).out.empty());
}

TEST_CASE("client: -v prints the book's line per request, then the time elapsed") {
  TestServer server(Behaviour::kGreeting);
  const Ran ran = run_client({"--port", server.port(), "--requests", "5", "-v", "--quiet"});
  CHECK(ran.status == 0);
  CHECK(count_of(ran.out, "Result: Hello, client!\n") == 5);
  const auto last = ran.out.rfind("Time elapsed in expensive_function() is: ");
  REQUIRE(last != std::string::npos);
  CHECK(ran.out.find('\n', last) == ran.out.size() - 1);  // the last line
  CHECK(ran.out.substr(ran.out.size() - 2) == "s\n");     // a unit: 1.052s or 12.300ms
}

TEST_CASE("client: -v prints the book's Error line for a failed request, with its kind") {
  const test::RefusedPort nobody;
  const std::string port = nobody.port();
  const Ran ran = run_client({"--port", port, "--requests", "2", "-v", "--quiet"});
  CHECK(ran.status == 1);
  CHECK(count_of(ran.out, "Error: connect to 127.0.0.1:" + port) == 2);
  CHECK(count_of(ran.out, " (connect)\n") == 2);
  CHECK(count_of(ran.out, "Time elapsed in expensive_function() is: ") == 1);
}

TEST_CASE("client: with --json, -v lines go to stderr and stdout keeps its one line") {
  TestServer server(Behaviour::kGreeting);
  const Ran ran = run_client({"--port", server.port(), "--requests", "4", "-v", "--json"});
  CHECK(ran.status == 0);
  REQUIRE(!ran.out.empty());
  CHECK(ran.out.front() == '{');
  CHECK(ran.out.find('\n') == ran.out.size() - 1);  // exactly one line
  CHECK(count_of(ran.err, "Result: Hello, client!\n") == 4);
  CHECK(count_of(ran.err, "Time elapsed in expensive_function() is: ") == 1);
}

TEST_CASE("client: the book's elapsed line reads like Rust's Duration") {
  CHECK(client::book_elapsed_line(1.0524) == "Time elapsed in expensive_function() is: 1.052s");
  CHECK(client::book_elapsed_line(0.0123) == "Time elapsed in expensive_function() is: 12.300ms");
  CHECK(client::book_result_line("Hello, client!") == "Result: Hello, client!");
  const client::ClientError late(client::ErrorKind::kTimeout, "no reply within 5 ms");
  CHECK(client::book_error_line(late) == "Error: no reply within 5 ms (timeout)");
}

TEST_CASE("client: --rate spaces the starts and --duration ends the run by time") {
  TestServer server(Behaviour::kEcho);
  // 10 requests at 100/s: the last is scheduled 90 ms after the start.
  const auto paced = run_json({"--port", server.port(), "--mode", "stream", "--requests", "10",
                               "--concurrency", "1", "--rate", "100"},
                              0);
  CHECK(json_number(paced, "ok") == 10);
  CHECK(json_number(paced, "wall_s") >= 0.09);
  // 0.2 s at 50/s: exactly 10 requests, scheduled at 0, 20, ..., 180 ms.
  const auto timed = run_json({"--port", server.port(), "--mode", "stream", "--duration", "0.2",
                               "--rate", "50", "--concurrency", "2"},
                              0);
  CHECK(json_number(timed, "requests") == 10);
  // By time alone: it stops, whatever the count.
  const auto open = run_json(
      {"--port", server.port(), "--mode", "stream", "--duration", "0.1", "--concurrency", "1"}, 0);
  CHECK(json_number(open, "wall_s") >= 0.1);
  // What a closed-loop lane sees of it: numbers past any count (the default --requests is
  // 4,000) until the deadline, in ones or in windows, and none once it has passed. Asked
  // of the dispenser directly: in a run of 0.1 s, how many go out depends on the machine.
  const client::Options by_time = client::resolve(
      client::parse_options(std::vector<std::string>{"--mode", "stream", "--duration", "3600"}));
  client::Dispenser ongoing(by_time, client::Clock::now());
  std::vector<client::Dispenser::Claim> claims;
  for (int i = 0; i < 1000; ++i) {
    ongoing.claim_up_to(8, claims);
    if (const auto one = ongoing.claim()) claims.push_back(*one);
  }
  CHECK(claims.size() == 9000);
  client::Dispenser over(by_time, client::Clock::now() - std::chrono::hours(2));
  CHECK(!over.claim());
  over.claim_up_to(8, claims);
  CHECK(claims.size() == 9000);
}

// The progress line is redrawn in place ("\r ... \033[K") every 250 ms once a run has
// lasted a second, and wiped before the summary. The server holds every reply until the
// line has been drawn, so the run lasts as long as that takes, however slow the machine.
TEST_CASE("client: a run longer than a second on a terminal shows a progress line, then wipes it") {
  TestServer server(Behaviour::kHeld);
  TerminalErr err([&server] { server.release(); });
  std::ostringstream out;
  const auto started = client::Clock::now();
  CHECK(err.run({"--port", server.port(), "--requests", "4"}, out) == 0);
  CHECK(server.gate_timeouts() == 0);  // released by the line, not by the watchdog's limit
  const std::string text = err.text();
  CHECK(text.find("\r") != std::string::npos);
  CHECK(text.find("req/s") != std::string::npos);
  CHECK(text.ends_with("\r\033[K"));  // wiped: the summary starts clean
  REQUIRE(err.first_write());
  CHECK(*err.first_write() - started >= std::chrono::seconds(1));  // not in the first second
  CHECK(out.str().find("requests") != std::string::npos);          // the summary, on stdout
}

// With --json the -v lines go to stderr, where the progress line is drawn from a thread of
// its own: two writers of one stream, which must take one lock. The stream here takes none
// (TerminalErr::kUnguarded), so under TSan (make test SANITIZE=thread) a write the client
// leaves unordered is a reported race. One target answers at once, so the lines of its
// requests are written near the start; the other holds its replies until the progress line
// is drawn, so the run lasts until both writers have written, however slow the machine.
TEST_CASE("client: with --json -v the progress line and the -v lines take turns on stderr") {
  TestServer prompt(Behaviour::kGreeting);
  TestServer held(Behaviour::kHeld);
  TerminalErr err([&held] { held.release(); }, TerminalErr::kUnguarded);
  std::ostringstream out;
  const std::string targets = "127.0.0.1:" + prompt.port() + ",127.0.0.1:" + held.port();
  CHECK(err.run({"--target", targets, "--requests", "4", "-v", "--json"}, out) == 0);
  CHECK(held.gate_timeouts() == 0);  // released by the line, not by the watchdog's limit
  const std::string text = err.text();
  CHECK(text.find("req/s") != std::string::npos);
  CHECK(count_of(text, "Result: Hello, client!\n") == 4);  // whole lines, none torn
  // The progress line wiped when the load is done, then the book's last line.
  CHECK(count_of(text, "\r\033[KTime elapsed in expensive_function() is: ") == 1);
  CHECK(out.str().find('\n') == out.str().size() - 1);  // stdout keeps its one JSON line
}

TEST_CASE("client: no progress line off a terminal, nor for a run under a second") {
  TestServer server(Behaviour::kGreeting);
  const Ran piped = run_client({"--port", server.port(), "--duration", "1.5", "--rate", "40"});
  CHECK(piped.status == 0);
  CHECK(piped.err.empty());
  // On a terminal nothing is drawn in a run's first second, so a run that ends within it
  // shows no line at all; one that a slow machine drew out past it is wiped at the end.
  TerminalErr err;
  std::ostringstream out;
  const auto started = client::Clock::now();
  CHECK(err.run({"--port", server.port(), "--requests", "5"}, out) == 0);
  const auto first = err.first_write();
  CHECK((!first || *first - started >= std::chrono::seconds(1)));
  const std::string text = err.text();
  CHECK((text.empty() || text.ends_with("\r\033[K")));
}
