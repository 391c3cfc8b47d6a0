// client patterns: --retries for any failed attempt, the run's circuit breaker (--breaker)
// and the --svg chart, black-box through client::run against servers written here that
// fail on purpose: they reset connections, stall, or refuse until they recover. Each
// server counts what it saw (connections, requests) so that a test can check the client's
// counts against the server's, not against a clock. Everything is on 127.0.0.1, port 0.
//
// A server runs on its own Executor thread and stops when a channel its accept loop races
// against is closed; the Executor's end cancels the handlers still waiting (a stall's).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "client/breaker.hpp"
#include "client/chart.hpp"
#include "client/options.hpp"
#include "client/run.hpp"
#include "client/timeline.hpp"
#include "data_layer/data.hpp"
#include "data_layer/exchange_mode.hpp"
#include "runtime/channel.hpp"
#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/tcp_listener.hpp"
#include "runtime/tcp_receiver.hpp"
#include "runtime/tcp_sender.hpp"
#include "runtime/when_any.hpp"
#include "tests/count_of.hpp"
#include "tests/refused_port.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using runtime::Task;
using test::count_of;

namespace {

enum class Flaw {
  kResetEvery,     // every n-th request (counted over the server) resets its connection
  kStallFirst,     // the first n connections read requests and never answer
  kResetAtAccept,  // every connection is reset as soon as it is accepted
  kResetFirst,     // the first n connections are reset at accept; later ones are served
};

struct Flawed {
  data_layer::Mode mode;  // oneshot: greeting, then close; stream: echo every frame
  Flaw flaw;
  int n = 0;
};

// Closing a socket whose linger time is zero sends a reset instead of a FIN: the client
// sees ECONNRESET, the failure a crashed or overloaded server gives.
void reset(runtime::TcpStream& stream) {
  const linger now{1, 0};
  ::setsockopt(stream.fd(), SOL_SOCKET, SO_LINGER, &now, sizeof now);
}

// What a server counts; the test reads it once the client is done, hence atomics.
struct Counts {
  std::atomic<int> accepted{0};
  std::atomic<int> requests{0};  // frames read, over every connection
};

Task<void> serve_one(runtime::TcpStream stream, Flawed how, int connection, Counts& counts) {
  if (how.flaw == Flaw::kResetAtAccept || (how.flaw == Flaw::kResetFirst && connection < how.n)) {
    reset(stream);
    co_return;
  }
  const bool stall = how.flaw == Flaw::kStallFirst && connection < how.n;
  runtime::TcpReceiver receiver(stream.socket());
  for (;;) {
    auto request = co_await receiver.read_frame();
    if (!request) co_return;
    const int seen = ++counts.requests;
    if (how.flaw == Flaw::kResetEvery && seen % how.n == 0) {
      reset(stream);
      co_return;
    }
    if (stall) continue;  // read, never answered
    if (how.mode == data_layer::Mode::kOneshot) {
      co_await runtime::TcpSender(stream.socket(), std::string_view(data_layer::kGreeting));
      co_return;
    }
    const data_layer::Bytes echo = data_layer::serialize(*request);
    co_await runtime::TcpSender(stream.socket(), data_layer::ByteView(echo));
  }
}

Task<void> accept_loop(runtime::TcpListener& listener, Flawed how, Counts& counts) {
  for (;;) {
    runtime::TcpStream stream = co_await listener.accept();
    const int connection = counts.accepted++;
    (void)runtime::spawn(serve_one(std::move(stream), how, connection, counts));  // detached
  }
}

class FlawedServer {
 public:
  explicit FlawedServer(Flawed how)
      : listener_(runtime::TcpListener::bind(runtime::SocketAddress::resolve("127.0.0.1", 0))),
        port_(listener_->local_address().port()),
        thread_("the flawed server", [this, how] { serve(how); }) {}
  ~FlawedServer() {
    stop_.close();
    thread_.join();
  }
  std::string port() const { return std::to_string(port_); }
  int accepted() const { return counts_.accepted.load(); }
  int requests() const { return counts_.requests.load(); }

 private:
  // The listener is moved in after the executor exists, so it closes first: a socket must
  // not outlive the reactor it registered with.
  void serve(Flawed how) {
    runtime::Executor executor;
    runtime::TcpListener listener = std::move(*listener_);
    executor.block_on(runtime::when_any(stop_.recv(), accept_loop(listener, how, counts_)));
  }

  std::optional<runtime::TcpListener> listener_;  // bound here, so port() is known at once
  std::uint16_t port_;
  runtime::Channel<int> stop_{1};
  Counts counts_;
  test::JoinedThread thread_;  // last: it starts once everything above exists
};

struct Ran {
  int status;
  std::string out;
  std::string err;
};

Ran run_client(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int status = test::bounded("the client's run to end", [&] {
    return client::run(args, client::Output{out, err, false});
  });
  return {status, out.str(), err.str()};
}

// One JSON line's value for `key`, looked up inside the object `within` when given (the
// per-kind objects share their keys).
double json_number(const std::string& line, const std::string& key,
                   const std::string& within = "") {
  std::string scope = line;
  if (!within.empty()) {
    const auto open = line.find("\"" + within + "\":{");
    if (open == std::string::npos) return -1;
    scope = line.substr(open, line.find('}', open) - open);
  }
  const std::string marker = "\"" + key + "\":";
  const auto at = scope.find(marker);
  if (at == std::string::npos) return -1;
  return std::stod(scope.substr(at + marker.size()));
}

double retries(const std::string& line, const std::string& kind) {
  return json_number(line, kind, "retries_by_kind");
}

double errors(const std::string& line, const std::string& kind) {
  return json_number(line, kind, "errors_by_kind");
}

// Every kind of failure, as errors_by_kind and retries_by_kind name them.
constexpr const char* kKinds[] = {"connect",  "timeout",  "read",        "write",
                                  "protocol", "mismatch", "circuit_open"};

double all_retries(const std::string& line) {
  double sum = 0;
  for (const char* kind : kKinds)
    sum += retries(line, kind);
  return sum;
}

// The failed requests of a run, summed over the kinds: with ok, they must make up every
// request.
double all_errors(const std::string& line) {
  double sum = 0;
  for (const char* kind : kKinds)
    sum += errors(line, kind);
  return sum;
}

std::string run_json(std::vector<std::string> args, int expected_status) {
  args.push_back("--json");
  const Ran ran = run_client(args);
  CHECK(ran.status == expected_status);
  REQUIRE(!ran.out.empty());
  CHECK(ran.out.find('\n') == ran.out.size() - 1);  // exactly one line
  return ran.out;
}

}  // namespace

TEST_CASE("client patterns: a dead port with --retries counts every connect retry") {
  const test::RefusedPort nobody;
  const auto oneshot = run_json(
      {"--port", nobody.port(), "--requests", "5", "--concurrency", "1", "--retries", "2"}, 1);
  CHECK(errors(oneshot, "connect") == 5);
  CHECK(retries(oneshot, "connect") == 10);
  CHECK(json_number(oneshot, "retried") == 5);
  const auto stream = run_json({"--port", nobody.port(), "--mode", "stream", "--requests", "4",
                                "--concurrency", "1", "--retries", "2"},
                               1);
  CHECK(errors(stream, "connect") == 4);
  CHECK(retries(stream, "connect") == 8);
  const Ran summary = run_client(
      {"--port", nobody.port(), "--requests", "2", "--concurrency", "1", "--retries", "1"});
  CHECK(summary.out.find("retries: connect 2") != std::string::npos);
}

TEST_CASE(
    "client patterns: a server that resets every third request costs read retries, not requests") {
  FlawedServer server({data_layer::Mode::kOneshot, Flaw::kResetEvery, 3});
  const auto line = run_json(
      {"--port", server.port(), "--requests", "20", "--concurrency", "4", "--retries", "3"}, 0);
  CHECK(json_number(line, "ok") == 20);
  CHECK(json_number(line, "requests") == 20);
  // Every connection but the 20 that were answered was reset, and each reset is a retry.
  CHECK(all_retries(line) == server.accepted() - 20);
  CHECK(retries(line, "read") + retries(line, "write") == server.accepted() - 20);
  CHECK(retries(line, "read") > 0);
  // Without retries the same server fails requests instead.
  const auto plain =
      run_json({"--port", server.port(), "--requests", "9", "--concurrency", "1"}, 1);
  CHECK(json_number(plain, "errors") == 3);
  CHECK(all_retries(plain) == 0);
}

TEST_CASE("client patterns: a server that stalls costs timeout retries") {
  FlawedServer oneshot_server({data_layer::Mode::kOneshot, Flaw::kStallFirst, 1});
  const auto oneshot = run_json({"--port", oneshot_server.port(), "--requests", "3",
                                 "--concurrency", "1", "--timeout-ms", "100", "--retries", "1"},
                                0);
  CHECK(json_number(oneshot, "ok") == 3);
  CHECK(retries(oneshot, "timeout") == 1);
  CHECK(json_number(oneshot, "retried") == 1);
  FlawedServer stream_server({data_layer::Mode::kStream, Flaw::kStallFirst, 1});
  const auto stream =
      run_json({"--port", stream_server.port(), "--mode", "stream", "--requests", "6",
                "--concurrency", "1", "--pipeline", "3", "--timeout-ms", "100", "--retries", "1"},
               0);
  CHECK(json_number(stream, "ok") == 6);
  CHECK(retries(stream, "timeout") == 3);  // the first window, owed on the stalled connection
  CHECK(stream_server.accepted() == 2);
}

TEST_CASE("client patterns: stream mode sends the owed requests again, each answered once") {
  FlawedServer server({data_layer::Mode::kStream, Flaw::kResetEvery, 7});
  const auto line = run_json({"--port", server.port(), "--mode", "stream", "--requests", "200",
                              "--concurrency", "2", "--pipeline", "8", "--retries", "5"},
                             0);
  // Every reply was the exact echo of its request (a wrong one is a mismatch), and every
  // request was settled once: a reply the dropped connection still brought is never read.
  CHECK(json_number(line, "ok") == 200);
  CHECK(json_number(line, "requests") == 200);
  CHECK(json_number(line, "mismatches") == 0);
  CHECK(all_retries(line) > 0);
  CHECK(json_number(line, "retried") <= all_retries(line));
  CHECK(server.accepted() > 2);  // the resets made it reconnect
  // The server read every request at least once, and the re-sent ones again.
  CHECK(server.requests() >= 200 + server.accepted() - 2);
}

namespace {

// A cooldown no run of a test outlasts: a circuit that opens stays open to the end.
const std::string kNeverCools = std::to_string(
    std::chrono::duration_cast<std::chrono::milliseconds>(test::kBeyondWatchdog).count());

const client::Breaker::Clock::time_point t0{};

constexpr data_layer::Mode kModes[] = {data_layer::Mode::kOneshot, data_layer::Mode::kStream};

// 30 requests to `server` in `mode` from one lane, so they go one after another and the
// failures come in the order the server made them; the JSON line.
std::string thirty_in_turn(const FlawedServer& server, data_layer::Mode mode,
                           const std::vector<std::string>& more) {
  std::vector<std::string> args = {
      "--port",     server.port(), "--mode",        std::string(data_layer::to_string(mode)),
      "--requests", "30",          "--concurrency", "1"};
  args.insert(args.end(), more.begin(), more.end());
  return run_json(args, 1);
}

// The bad-usage message for `args`, or "<accepted>".
std::string usage_error(const std::vector<std::string>& args) {
  try {
    (void)client::parse_options(args);
  } catch (const client::UsageError& error) {
    return error.what();
  }
  return "<accepted>";
}

}  // namespace

TEST_CASE("client breaker: --breaker and --breaker-cooldown-ms, and what is bad usage") {
  const client::Options defaults = client::resolve(client::parse_options({}));
  CHECK(defaults.breaker == 0);  // off
  CHECK(defaults.breaker_cooldown == 1000ms);
  const std::vector<std::string> both = {"--breaker", "5", "--breaker-cooldown-ms=20"};
  const client::Options given = client::resolve(client::parse_options(both));
  CHECK(given.breaker == 5);
  CHECK(given.breaker_cooldown == 20ms);
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--breaker", "0"},
                                              {"--breaker", "five"},
                                              {"--breaker", "-1"},
                                              {"--breaker"},
                                              {"--breaker", "2", "--breaker-cooldown-ms", "0"},
                                              {"--breaker", "2", "--breaker-cooldown-ms", "1s"}}) {
    CHECK_MESSAGE(usage_error(bad).find(bad[bad.size() > 2 ? 2 : 0]) != std::string::npos,
                  usage_error(bad));
  }
  CHECK(usage_error({"--breaker-cooldown-ms", "20"}).find("needs --breaker") != std::string::npos);
  // The binary's answer: exit 2, with the reason, and nothing sent.
  const Ran ran = run_client({"--breaker", "0"});
  CHECK(ran.status == 2);
  CHECK(ran.err.find("--breaker wants a whole number from 1") != std::string::npos);
  CHECK(ran.out.empty());
}

TEST_CASE("client patterns: --help lists --retries, --breaker, --breaker-cooldown-ms and --svg") {
  const Ran help = run_client({"--help"});
  CHECK(help.status == 0);
  for (const char* flag : {"--retries R", "--breaker N", "--breaker-cooldown-ms T", "--svg FILE"})
    CHECK_MESSAGE(help.out.find(std::string("\n  ") + flag + " ") != std::string::npos, flag);
  CHECK(help.out.find("circuit_open") != std::string::npos);
}

TEST_CASE("client breaker: admits all while closed, nothing while open, then one probe") {
  client::Breaker breaker(2, 100ms);
  CHECK(breaker.admit(t0, 16) == 16);
  breaker.failed(t0);
  breaker.failed(t0);  // the second in a row: open
  CHECK(breaker.opened() == 1);
  CHECK(breaker.admit(t0 + 99ms, 16) == 0);
  CHECK(breaker.ask_again_at(t0 + 50ms) == t0 + 100ms);   // the end of the cooldown
  CHECK(breaker.admit(t0 + 100ms, 16) == 1);              // the probe alone
  CHECK(breaker.admit(t0 + 100ms, 16) == 0);              // while it is out
  CHECK(breaker.ask_again_at(t0 + 100ms) == t0 + 200ms);  // a cooldown from then
  breaker.failed(t0 + 150ms);                             // the probe failed: open again
  CHECK(breaker.opened() == 2);
  CHECK(breaker.admit(t0 + 249ms, 1) == 0);
  CHECK(breaker.admit(t0 + 250ms, 4) == 1);
  breaker.succeeded();  // the probe came back: closed
  CHECK(breaker.admit(t0 + 250ms, 4) == 4);
  CHECK(breaker.ask_again_at(t0 + 250ms) == t0 + 250ms);
  CHECK(breaker.opened() == 2);
}

TEST_CASE("client breaker: a failure that comes in while the circuit is open is no new opening") {
  // Attempts admitted before it opened still report, and may restart the cooldown
  // (runtime::CircuitBreaker's rule), but they open nothing.
  client::Breaker breaker(2, 100ms);
  CHECK(breaker.admit(t0, 4) == 4);
  for (int i = 0; i < 4; ++i)
    breaker.failed(t0 + std::chrono::milliseconds(i));
  CHECK(breaker.opened() == 1);
  CHECK(breaker.admit(t0 + 50ms, 1) == 0);
}

TEST_CASE("client breaker: a dead port ends the run early, the rest counted circuit_open") {
  const test::RefusedPort nobody;
  for (const char* mode : {"oneshot", "stream"}) {
    CAPTURE(mode);
    const auto line = run_json({"--port", nobody.port(), "--mode", mode, "--requests", "100000",
                                "--concurrency", "8", "--breaker", "5"},
                               1);
    CHECK(json_number(line, "requests") == 100000);
    CHECK(json_number(line, "ok") + all_errors(line) == 100000);
    CHECK(errors(line, "connect") >= 5);  // the failures that opened it, and any in flight then
    CHECK(errors(line, "circuit_open") > 0);
    CHECK(json_number(line, "breaker_opens") >= 1);
  }
  // The summary says why the requests were not sent.
  const Ran summary = run_client({"--port", nobody.port(), "--requests", "50", "--concurrency", "1",
                                  "--breaker", "5", "--breaker-cooldown-ms", kNeverCools});
  CHECK(summary.status == 1);
  CHECK(summary.out.find("  connect errors: 5 ") != std::string::npos);
  CHECK(summary.out.find("circuit open: 45 requests not sent after 5 consecutive failures") !=
        std::string::npos);
}

TEST_CASE("client breaker: a retry counts toward the circuit, and a refused one is not sent") {
  // One lane, so the attempts come one after another: the first attempt and its first retry
  // fail and open the circuit; the second retry is refused, so request 0 ends as
  // circuit_open too, and every later one is refused at once.
  const test::RefusedPort nobody;
  const auto line =
      run_json({"--port", nobody.port(), "--requests", "10", "--concurrency", "1", "--retries", "3",
                "--breaker", "2", "--breaker-cooldown-ms", kNeverCools},
               1);
  CHECK(retries(line, "connect") == 2);
  CHECK(errors(line, "connect") == 0);
  CHECK(errors(line, "circuit_open") == 10);
  CHECK(json_number(line, "retried") == 1);
  CHECK(json_number(line, "breaker_opens") == 1);
}

TEST_CASE("client breaker: failures that never come two in a row never open a circuit of 2") {
  // Every third request is reset, and they go one after another.
  for (const auto mode : kModes) {
    CAPTURE(data_layer::to_string(mode));
    FlawedServer server({mode, Flaw::kResetEvery, 3});
    const auto line = thirty_in_turn(server, mode, {"--breaker", "2"});
    CHECK(json_number(line, "ok") == 20);
    CHECK(json_number(line, "errors") == 10);
    CHECK(errors(line, "circuit_open") == 0);
    CHECK(json_number(line, "breaker_opens") == 0);
    CHECK(server.requests() == 30);  // every request was sent
  }
}

TEST_CASE("client breaker: a server that recovers: the circuit opens, a probe closes it") {
  // The first three connections are reset: three failures in a row open the circuit. The
  // requests are paced (--rate), so the last ones are due long after the cooldown of 20 ms
  // (the last 0.7 s after the start: a machine would have to stall that long in the first
  // three requests for none to come after the cooldown): one of them is the probe, which
  // the recovered server answers, and from then on every request goes out and succeeds.
  // What the circuit refused in between never connected.
  for (const auto mode : kModes) {
    CAPTURE(data_layer::to_string(mode));
    FlawedServer server({mode, Flaw::kResetFirst, 3});
    const auto line = thirty_in_turn(
        server, mode, {"--rate", "40", "--breaker", "3", "--breaker-cooldown-ms", "20"});
    const double ok = json_number(line, "ok");
    const double refused = errors(line, "circuit_open");
    CHECK(json_number(line, "breaker_opens") == 1);
    CHECK(ok > 0);                                      // closed again, after the probe
    CHECK(json_number(line, "errors") == 3 + refused);  // no failure after the probe
    CHECK(ok + 3 + refused == 30);
    // Oneshot: a connection per request sent; stream: one that stays up after the probe's.
    CHECK(server.accepted() == (mode == data_layer::Mode::kOneshot ? 3 + ok : 4));
  }
}

TEST_CASE("client breaker: in a run that only time ends, a refused lane waits, not spins") {
  // Closed loop with --duration and no count: a lane the circuit refuses waits until the
  // circuit may admit again, so over 0.4 s with a cooldown of 100 ms each of the two lanes
  // is refused a few times. A lane that spun would be refused millions of times, and keep
  // its thread's other lane (a probe, say) from ever running.
  const test::RefusedPort nobody;
  const auto line = run_json({"--port", nobody.port(), "--duration", "0.4", "--concurrency", "2",
                              "--threads", "1", "--breaker", "2", "--breaker-cooldown-ms", "100"},
                             1);
  CHECK(json_number(line, "ok") + all_errors(line) == json_number(line, "requests"));
  CHECK(errors(line, "circuit_open") > 0);
  CHECK(errors(line, "circuit_open") < 100);
  CHECK(json_number(line, "breaker_opens") >= 1);
}

namespace {

// A file of the test's own under the system's temporary folder, removed when done.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {}
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }
  std::string text() const {
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace

TEST_CASE("client svg: the timeline counts each slice, and widens its slices as the run goes on") {
  using client::Timeline;
  const Timeline::Clock::time_point start{};
  Timeline timeline(start);
  timeline.record(start + 5ms, true);
  timeline.record(start + 15ms, true);
  timeline.record(start + 15ms, false);
  REQUIRE(timeline.slices().size() == 2);
  CHECK(timeline.slices()[1].ok == 1);
  CHECK(timeline.slices()[1].failed == 1);
  // Past kMaxSlices slices the width doubles, neighbours merged, and nothing is lost.
  timeline.record(start + Timeline::kFirstSlice * Timeline::kMaxSlices, true);
  CHECK(timeline.width() == 2 * Timeline::kFirstSlice);
  CHECK(timeline.slices().size() == Timeline::kMaxSlices / 2 + 1);
  CHECK(timeline.slices()[0].ok == 2);
  CHECK(timeline.slices()[0].failed == 1);
  CHECK(timeline.slices().back().ok == 1);
  // Another thread's, in finer slices: merged in the wider ones, whichever side merges.
  Timeline other(start);
  other.record(start + 25ms, false);
  Timeline copy = other;
  copy.merge(timeline);
  timeline.merge(other);
  for (const Timeline* merged : {&timeline, &copy}) {
    CHECK(merged->width() == 2 * Timeline::kFirstSlice);
    CHECK(merged->slices()[1].failed == 1);
    CHECK(merged->slices()[0].ok == 2);
  }
  // However long the run, the slices stay bounded.
  Timeline hour(start);
  hour.record(start + std::chrono::hours(1), true);
  CHECK(hour.slices().size() <= Timeline::kMaxSlices);
  CHECK(hour.slices().back().ok == 1);
}

TEST_CASE("client svg: --svg draws the run's latency and requests per second in one SVG file") {
  // Every fifth request is reset, so the chart has failures to draw as well.
  FlawedServer server({data_layer::Mode::kOneshot, Flaw::kResetEvery, 5});
  const TempFile file("client-svg-test.svg");
  const auto line = run_json(
      {"--port", server.port(), "--requests", "40", "--concurrency", "2", "--svg", file.path()}, 1);
  CHECK(json_number(line, "errors") == 8);
  const std::string svg = file.text();
  CHECK(svg.starts_with("<?xml"));
  CHECK(svg.substr(svg.find('\n') + 1).starts_with("<svg "));
  CHECK(svg.ends_with("</svg>\n"));
  CHECK(count_of(svg, client::kLatencyTitle) == 1);
  CHECK(count_of(svg, client::kRateTitle) == 1);
  // Well formed as far as its elements go: every text and tooltip closed, nothing left open.
  CHECK(count_of(svg, "<text") == count_of(svg, "</text>"));
  CHECK(count_of(svg, "<title>") == count_of(svg, "</title>"));
  CHECK(count_of(svg, "<svg") == 1);
  // The latency curve, then the ok and the failed requests per second.
  CHECK(count_of(svg, "<polyline") == 3);
}

TEST_CASE("client svg: an --svg file that cannot be written is bad usage, found before the run") {
  FlawedServer server({data_layer::Mode::kOneshot, Flaw::kResetEvery, 1000});
  for (const std::string& path : {std::string("/nonexistent-folder/chart.svg"),
                                  std::filesystem::temp_directory_path().string()}) {
    CAPTURE(path);
    const Ran ran = run_client({"--port", server.port(), "--requests", "5", "--svg", path});
    CHECK(ran.status == 2);
    CHECK(ran.err.find("--svg " + path + ": cannot write it") != std::string::npos);
    CHECK(ran.out.empty());
  }
  CHECK(server.accepted() == 0);  // nothing was sent
}
