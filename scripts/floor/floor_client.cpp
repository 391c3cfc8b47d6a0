// floor-client: the least work a load generator of docs/PROTOCOL.md can do on this machine,
// measured in the same benchmark run as bin/client (docs/BENCHMARKS.md, "The floor"). One
// thread, one edge-triggered epoll set, nonblocking sockets, nothing of the project's library.
//
//   floor-client [--host H] [--port P] [--mode oneshot|stream] [--requests N]
//                [--concurrency C] [--pipeline K] [--json]
//
// Request i is Data{i, i mod 65536, "Hello, server! i"}: the bytes bin/client sends by default.
//   oneshot  C connections in flight (default: all N). Each connects, writes its request at
//            once (or when the handshake ends, if connect() left it going), and reads to end
//            of stream; the reply must be exactly "Hello, client!". A connection that ends
//            starts the next request.
//   stream   C connections (default 32), the N requests split between them as evenly as can
//            be, K in flight on each (default 1). Each reply is checked byte for byte against
//            the request it answers (the echo of a Data is byte-identical to it); the requests
//            that replace the replies of one read go out in ONE send. After its last reply a
//            connection shuts down its writing side and reads to end of stream.
//
// One loop iteration:
//   1. epoll_wait, for at most a second. Edge-triggered: a socket is registered once, for
//      reading and, unless its one request went out with the connect, writing; it needs no
//      epoll_ctl as it goes from connecting to writing to reading;
//   2. read the clock once;
//   3. each event: a connect that completed (or failed); bytes owed sent; reads until one
//      comes back short, which for a stream socket means it is drained (epoll(7));
//   4. at most once a second, fail every connection that made no progress for 30 s: a scan
//      of the C connections, O(C) a second, which is nothing beside the load itself.
//
// Counting: a refused connect, a reset, an early close, a bad reply frame or a stall fails
// every request of that connection not answered yet; a reply with the wrong bytes fails its
// own request and the connection carries on. So ok + errors = N always.
//
// Prints one summary line, or with --json exactly one JSON line whose first keys are
// "requests", "ok", "errors", "wall_s" and "rps" (scripts/bench.sh reads them). Exit status:
// 0 if every request succeeded, 1 if any failed, 2 for bad usage.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scripts/floor/floor.hpp"

namespace {

using floor_tool::Bytes;
using floor_tool::ByteSpan;
using floor_tool::UsageError;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view kGreeting = "Hello, client!";
constexpr int kMaxEvents = 256;
// A connection with no event for this long has failed: far beyond a healthy run, even the
// book's 1 s of work on a busy machine.
constexpr auto kStallLimit = 30s;
constexpr auto kStallScanEvery = 1s;
// The answered front of a connection's window is dropped once it is this large (or at once
// when nothing is left in flight), so the window does not grow with the run.
constexpr std::size_t kCompactAt = 64 * 1024;
// fds kept back from the open-file limit for the epoll set and stdio.
constexpr std::uint64_t kSpareFds = 16;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7878;
  bool stream = false;
  std::uint64_t requests = 4000;
  std::uint64_t concurrency = 0;  // 0: the mode's default (every request, or 32 connections)
  std::uint64_t pipeline = 1;
  bool json = false;
};

constexpr const char* kUsage =
    R"(usage: floor-client [options]
The least work a load generator of the protocol can do: one thread, raw epoll.
A benchmark instrument (docs/BENCHMARKS.md, "The floor").

  --host H          server address (default 127.0.0.1)
  --port P          server port (default 7878)
  --mode M          oneshot (a connection per request) or stream (keep-alive, pipelined)
  --requests N      requests to send (default 4000)
  --concurrency C   oneshot: requests in flight at once (default all of N);
                    stream: connections (default 32)
  --pipeline K      stream: requests in flight on each connection (default 1)
  --json            print exactly one JSON line instead of the summary
  --help            this text

Exit status: 0 if every request succeeded, 1 if any failed, 2 for bad usage.
)";

// The options, or nullopt for --help. Throws UsageError.
std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  floor_tool::Args args(argc, argv);
  for (std::string_view flag = args.next_flag(); !flag.empty(); flag = args.next_flag()) {
    if (flag == "--host") {
      options.host = std::string(args.value(flag));
    } else if (flag == "--port") {
      options.port = static_cast<std::uint16_t>(args.number(flag, 1, 65535));
    } else if (flag == "--mode") {
      options.stream = floor_tool::parse_stream_mode(args.value(flag));
    } else if (flag == "--requests") {
      options.requests = args.number(flag, 1, UINT32_MAX);
    } else if (flag == "--concurrency") {
      options.concurrency = args.number(flag, 1, 1'000'000);
    } else if (flag == "--pipeline") {
      options.pipeline = args.number(flag, 1, 65536);
    } else if (flag == "--json") {
      args.no_value(flag);
      options.json = true;
    } else if (flag == "--help") {
      args.no_value(flag);
      return std::nullopt;
    } else {
      throw UsageError("unknown option '" + std::string(flag) + "'");
    }
  }
  if (options.concurrency == 0) options.concurrency = options.stream ? 32 : options.requests;
  options.concurrency = std::min(options.concurrency, options.requests);  // none idle
  return options;
}

// Why a request failed; the names are the keys of "errors_by_kind".
enum Failure : std::size_t { kConnect, kWrite, kRead, kClosed, kMismatch, kProtocol, kTimeout };
constexpr std::array<const char*, 7> kFailureNames = {"connect",  "write",    "read",   "closed",
                                                      "mismatch", "protocol", "timeout"};

struct Tally {
  std::uint64_t ok = 0;
  std::array<std::uint64_t, kFailureNames.size()> failed{};
  std::array<std::string, kFailureNames.size()> example;  // the first failure's reason
  // Failures of a stream connection after its last reply (stray bytes, a reset, no close
  // within the stall limit): no request is left to charge them to, yet they are the
  // server's bugs, so they too make the exit status 1.
  std::uint64_t late_errors = 0;

  std::uint64_t errors() const {
    std::uint64_t sum = 0;
    for (const std::uint64_t n : failed)
      sum += n;
    return sum;
  }
};

// Request `index`, serialized per PROTOCOL.md, appended to `out`.
void append_request(Bytes& out, std::uint64_t index) {
  char text[48] = "Hello, server! ";
  constexpr std::size_t kPrefix = 15;
  const auto end = std::to_chars(text + kPrefix, text + sizeof text, index).ptr;
  const auto len = static_cast<std::size_t>(end - text);
  floor_tool::store_le(out, static_cast<std::uint32_t>(index), 4);
  floor_tool::store_le(out, static_cast<std::uint16_t>(index), 2);  // i mod 65536
  floor_tool::store_le(out, len, 4);
  out.insert(out.end(), text, end);
}

// One connection's state. Oneshot connections carry one request; stream ones a share of N.
struct Conn {
  int fd = -1;                   // -1: this slot is free
  std::uint32_t generation = 0;  // tells this connection's events from a closed one's
  bool connected = false;
  bool draining = false;  // stream: every reply in, our side shut down, reading to the end
  Clock::time_point last_progress;
  std::uint64_t next = 0;        // the first request not queued yet
  std::uint64_t end = 0;         // one past this connection's last request
  std::uint64_t unanswered = 0;  // queued (sent or not) and not answered yet
  // The bytes of the queued requests, from the first unanswered one. Replies come in
  // request order and each must equal its request, so the replies, end to end, must equal
  // this buffer from `answered` on. window[sent..] is what the kernel has not taken yet.
  Bytes window;
  std::size_t answered = 0;
  std::size_t sent = 0;
  floor_tool::Inbox inbox;  // stream: the tail of a reply frame split across reads
  // Oneshot: the reply so far. One byte of room beyond the greeting tells a longer reply.
  std::array<std::uint8_t, kGreeting.size() + 1> reply{};
  std::size_t reply_size = 0;

  std::uint64_t remaining() const { return unanswered + (end - next); }
};

class FloorClient {
 public:
  explicit FloorClient(const Options& options);  // resolves the address; exits 1 if it cannot
  ~FloorClient();
  FloorClient(const FloorClient&) = delete;
  FloorClient& operator=(const FloorClient&) = delete;

  // Sends every request; returns the wall time in seconds.
  double run();
  const Tally& tally() const { return tally_; }
  std::uint64_t connections() const { return conns_.size(); }

 private:
  void start_oneshot(std::size_t slot);
  bool start(std::size_t slot, std::uint64_t first, std::uint64_t end);
  void queue_requests(Conn& conn, std::uint64_t count);
  bool flush(std::size_t slot);
  void on_event(std::size_t slot, std::uint32_t events);
  void read_until_drained(std::size_t slot, std::uint32_t events);
  ssize_t read_greeting(Conn& conn, bool& full);
  bool take_replies(std::size_t slot);
  bool refill(std::size_t slot, std::uint64_t freed);
  void on_end_of_stream(std::size_t slot);
  void count_failure(Failure why, std::uint64_t requests, const char* reason);
  void fail(std::size_t slot, Failure why, const char* reason);
  void finish(std::size_t slot);
  void expire_stalled();

  Options options_;
  sockaddr_storage address_{};
  socklen_t address_size_ = 0;
  int epoll_ = -1;
  std::vector<Conn> conns_;
  std::uint64_t next_oneshot_ = 0;  // oneshot: the next request to start
  std::size_t open_ = 0;            // connections not finished
  Tally tally_;
  Clock::time_point now_ = Clock::now();  // read once per loop iteration, after the wait
  Clock::time_point last_scan_ = now_;
};

FloorClient::FloorClient(const Options& options) : options_(options) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options.port);
  if (const int error = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found)) {
    std::fprintf(stderr, "floor-client: cannot resolve %s: %s\n", options.host.c_str(),
                 ::gai_strerror(error));
    std::exit(1);
  }
  std::memcpy(&address_, found->ai_addr, found->ai_addrlen);
  address_size_ = found->ai_addrlen;
  ::freeaddrinfo(found);
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) {
    std::perror("floor-client: epoll_create1");
    std::exit(1);
  }
  conns_.resize(options_.concurrency);
}

FloorClient::~FloorClient() {
  for (const Conn& conn : conns_) {
    if (conn.fd >= 0) ::close(conn.fd);
  }
  ::close(epoll_);
}

double FloorClient::run() {
  const Clock::time_point start_time = Clock::now();
  now_ = start_time;
  if (options_.stream) {
    // N over C connections: the first N mod C take one request more than the rest.
    const std::uint64_t count = conns_.size();
    std::uint64_t first = 0;
    for (std::size_t slot = 0; slot < count; ++slot) {
      const std::uint64_t share = options_.requests / count + (slot < options_.requests % count);
      start(slot, first, first + share);
      first += share;
    }
  } else {
    for (std::size_t slot = 0; slot < conns_.size(); ++slot)
      start_oneshot(slot);
  }
  epoll_event events[kMaxEvents];
  while (open_ > 0) {  // bounded: every connection ends, by its replies or by the stall limit
    const int count = ::epoll_wait(epoll_, events, kMaxEvents, 1000);
    if (count < 0 && errno != EINTR) {
      std::perror("floor-client: epoll_wait");
      std::exit(1);
    }
    now_ = Clock::now();
    for (int i = 0; i < count; ++i) {
      const std::uint64_t key = events[i].data.u64;
      const auto slot = static_cast<std::size_t>(key & UINT32_MAX);
      if (conns_[slot].fd >= 0 && conns_[slot].generation == key >> 32) {
        on_event(slot, events[i].events);
      }
    }
    expire_stalled();
  }
  return std::chrono::duration<double>(Clock::now() - start_time).count();
}

// Starts the next oneshot request in `slot`. One that fails at once (no fd, no route) is
// counted, and the next one is tried: bounded by N.
void FloorClient::start_oneshot(std::size_t slot) {
  while (next_oneshot_ < options_.requests) {
    const std::uint64_t request = next_oneshot_++;
    if (start(slot, request, request + 1)) return;
  }
}

// Opens a connection in `slot` for requests [first, end) and queues the first of them. False
// if it failed at once (counted).
bool FloorClient::start(std::size_t slot, std::uint64_t first, std::uint64_t end) {
  Conn& conn = conns_[slot];
  const std::uint32_t generation = conn.generation + 1;
  conn = Conn{};
  conn.generation = generation;
  conn.next = first;
  conn.end = end;
  conn.last_progress = now_;
  // A failure here is counted without fail(): that would start the next request in this
  // slot from inside this one's start.
  const int fd = ::socket(address_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    count_failure(kConnect, end - first, std::strerror(errno));
    return false;
  }
  if (options_.stream) {
    // Each batch of requests is the last thing sent until replies come: no Nagle delay.
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address_), address_size_) < 0 &&
      errno != EINPROGRESS) {
    count_failure(kConnect, end - first, std::strerror(errno));
    ::close(fd);
    return false;
  }
  conn.fd = fd;
  queue_requests(conn, std::min<std::uint64_t>(options_.pipeline, end - first));
  // The requests go out at once: on loopback the handshake is over by the time connect()
  // answers EINPROGRESS, and while it is not, send() answers EAGAIN and the EPOLLOUT edge
  // of the handshake's end sends them. So a burst's requests reach the server before it
  // accepts them, and none waits for a loop iteration.
  const ssize_t sent = ::send(fd, conn.window.data(), conn.window.size(), MSG_NOSIGNAL);
  if (sent < 0 && errno != EAGAIN && errno != EINTR) {
    count_failure(kConnect, end - first, std::strerror(errno));  // refused, most likely
    ::close(fd);
    conn.fd = -1;
    return false;
  }
  if (sent > 0) {
    conn.connected = true;
    conn.sent = static_cast<std::size_t>(sent);
  }
  ++open_;
  // Registered once for everything it will wait for (see the loop's step 1). A oneshot
  // request sent whole has nothing more to write: its writable edges would be events for
  // nothing.
  const bool writes_left = options_.stream || conn.sent < conn.window.size();
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (writes_left ? EPOLLOUT : 0u);
  event.data.u64 = static_cast<std::uint64_t>(generation) << 32 | slot;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) < 0) {
    std::perror("floor-client: epoll_ctl");
    std::exit(1);
  }
  return true;
}

void FloorClient::queue_requests(Conn& conn, std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i)
    append_request(conn.window, conn.next + i);
  conn.next += count;
  conn.unanswered += count;
}

// One send of everything queued and not yet taken. What the kernel leaves is sent at the
// next EPOLLOUT edge, which a short write guarantees. False if the connection failed.
bool FloorClient::flush(std::size_t slot) {
  Conn& conn = conns_[slot];
  if (conn.sent == conn.window.size()) return true;
  const ssize_t n =
      ::send(conn.fd, conn.window.data() + conn.sent, conn.window.size() - conn.sent, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return true;
    fail(slot, kWrite, std::strerror(errno));
    return false;
  }
  conn.sent += static_cast<std::size_t>(n);
  return true;
}

void FloorClient::on_event(std::size_t slot, std::uint32_t events) {
  Conn& conn = conns_[slot];
  conn.last_progress = now_;
  if (!conn.connected) {
    if (events & (EPOLLERR | EPOLLHUP)) {
      int error = 0;
      socklen_t size = sizeof error;
      ::getsockopt(conn.fd, SOL_SOCKET, SO_ERROR, &error, &size);
      fail(slot, kConnect, std::strerror(error != 0 ? error : ECONNREFUSED));
      return;
    }
    if (!(events & EPOLLOUT)) return;
    conn.connected = true;
  }
  if ((events & EPOLLOUT) && !flush(slot)) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_until_drained(slot, events);
}

// Edge-triggered: reads until a read comes back short (drained), EAGAIN, or end of stream.
// With the peer's FIN already in (RDHUP), a short read does not mean "wait for the next
// edge": no edge would come. With a clean FIN (no error, no hang-up) it means the end: TCP
// queues every byte before the FIN, so the recv that would answer 0 is skipped. After an
// error or a hang-up, reads go on until recv says 0 or fails.
void FloorClient::read_until_drained(std::size_t slot, std::uint32_t events) {
  const bool clean_end = (events & EPOLLRDHUP) && !(events & (EPOLLHUP | EPOLLERR));
  const bool peer_closed = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  // Bounded: each turn takes bytes the server sent for our requests (more than those fails
  // the connection), or ends the loop.
  for (;;) {
    Conn& conn = conns_[slot];
    bool full = false;
    const ssize_t n = options_.stream ? conn.inbox.read(conn.fd, full) : read_greeting(conn, full);
    if (n < 0) {
      if (options_.stream) conn.inbox.consume(0);
      if (errno == EAGAIN || errno == EINTR) return;
      fail(slot, kRead, std::strerror(errno));
      return;
    }
    if (n == 0) {
      on_end_of_stream(slot);
      return;
    }
    if (!options_.stream && conn.reply_size > kGreeting.size()) {
      fail(slot, kProtocol, "a reply longer than the greeting");
      return;
    }
    if (options_.stream && !take_replies(slot)) return;
    if (!full && clean_end) {
      on_end_of_stream(slot);
      return;
    }
    if (!full && !peer_closed) return;
  }
}

// Oneshot: appends to the reply so far, at most one byte beyond the greeting's length.
ssize_t FloorClient::read_greeting(Conn& conn, bool& full) {
  const std::size_t room = conn.reply.size() - conn.reply_size;
  const ssize_t n = ::recv(conn.fd, conn.reply.data() + conn.reply_size, room, 0);
  if (n > 0) conn.reply_size += static_cast<std::size_t>(n);
  full = n > 0 && static_cast<std::size_t>(n) == room;
  return n;
}

// Stream: checks every complete reply of this read against the request it answers, then
// refills the window by as many requests as replies came. False if the connection failed.
bool FloorClient::take_replies(std::size_t slot) {
  Conn& conn = conns_[slot];
  const ByteSpan bytes = conn.inbox.view();
  std::size_t done = 0;
  std::uint64_t replies = 0;
  while (done < bytes.size()) {  // bounded: each turn passes one whole reply frame
    const floor_tool::FrameScan frame =
        floor_tool::scan_frame(bytes.subspan(done), floor_tool::kDefaultMaxFrame);
    if (frame.oversized) {
      conn.inbox.consume(0);
      fail(slot, kProtocol, "a reply frame longer than 1 MiB");
      return false;
    }
    if (!frame.complete) break;
    const ByteSpan expected = ByteSpan(conn.window).subspan(conn.answered);
    const std::size_t request_size = floor_tool::scan_frame(expected, UINT32_MAX).size;
    if (conn.unanswered == 0 || conn.answered + request_size > conn.sent) {
      conn.inbox.consume(0);
      fail(slot, kProtocol, "a reply to a request not sent");
      return false;
    }
    const ByteSpan reply = bytes.subspan(done, frame.size);
    if (reply.size() == request_size &&
        std::memcmp(reply.data(), expected.data(), request_size) == 0) {
      ++tally_.ok;
    } else {
      ++tally_.failed[kMismatch];
      if (tally_.example[kMismatch].empty()) {
        tally_.example[kMismatch] = "a reply that is not the echo of its request";
      }
    }
    conn.answered += request_size;
    --conn.unanswered;
    ++replies;
    done += frame.size;
  }
  conn.inbox.consume(done);
  return refill(slot, replies);
}

// As many new requests as replies came (`freed`), in ONE send; after the last reply, our
// side is shut down. False if the connection failed.
bool FloorClient::refill(std::size_t slot, std::uint64_t freed) {
  Conn& conn = conns_[slot];
  if (conn.answered == conn.window.size()) {
    conn.window.clear();
    conn.answered = conn.sent = 0;
  } else if (conn.answered >= kCompactAt) {
    conn.window.erase(conn.window.begin(),
                      conn.window.begin() + static_cast<std::ptrdiff_t>(conn.answered));
    conn.sent -= conn.answered;
    conn.answered = 0;
  }
  const std::uint64_t more = std::min(freed, conn.end - conn.next);
  if (more > 0) {
    queue_requests(conn, more);
    if (!flush(slot)) return false;
  }
  if (conn.remaining() == 0 && !conn.draining) {
    conn.draining = true;
    ::shutdown(conn.fd, SHUT_WR);  // the server closes once it has nothing more to answer
  }
  return true;
}

void FloorClient::on_end_of_stream(std::size_t slot) {
  Conn& conn = conns_[slot];
  if (options_.stream) {
    if (conn.draining) {
      finish(slot);
    } else {
      conn.inbox.consume(0);
      fail(slot, kClosed, "the server closed before every reply");
    }
    return;
  }
  const std::string_view reply(reinterpret_cast<const char*>(conn.reply.data()), conn.reply_size);
  if (reply == kGreeting) {
    ++tally_.ok;
    conn.unanswered = 0;
    finish(slot);
  } else if (reply.empty()) {
    fail(slot, kClosed, "the server closed without a reply");
  } else {
    fail(slot, kMismatch, "a reply that is not the greeting");
  }
}

void FloorClient::count_failure(Failure why, std::uint64_t requests, const char* reason) {
  tally_.failed[why] += requests;
  if (requests == 0) ++tally_.late_errors;
  if (tally_.example[why].empty()) tally_.example[why] = reason;
}

// Counts every request of the connection not answered yet as failed, for `why`, and ends it.
// A stream connection past its last reply has none left: that is a late error.
void FloorClient::fail(std::size_t slot, Failure why, const char* reason) {
  Conn& conn = conns_[slot];
  count_failure(why, conn.remaining(), reason);
  conn.unanswered = 0;
  conn.next = conn.end;
  finish(slot);
}

// Closes the connection; in oneshot mode, its slot starts the next request.
void FloorClient::finish(std::size_t slot) {
  ::close(conns_[slot].fd);
  conns_[slot].fd = -1;
  --open_;
  if (!options_.stream) start_oneshot(slot);
}

void FloorClient::expire_stalled() {
  if (now_ - last_scan_ < kStallScanEvery) return;
  last_scan_ = now_;
  for (std::size_t slot = 0; slot < conns_.size(); ++slot) {
    const Conn& conn = conns_[slot];
    if (conn.fd >= 0 && now_ - conn.last_progress > kStallLimit) {
      fail(slot, kTimeout, "no progress for 30 s");
    }
  }
}

void print_json(const Options& options, std::uint64_t connections, const Tally& tally,
                double wall_s) {
  const double rps = wall_s > 0 ? static_cast<double>(tally.ok) / wall_s : 0.0;
  std::printf("{\"requests\":%llu,\"ok\":%llu,\"errors\":%llu,\"wall_s\":%.6f,\"rps\":%.1f",
              static_cast<unsigned long long>(options.requests),
              static_cast<unsigned long long>(tally.ok),
              static_cast<unsigned long long>(tally.errors()), wall_s, rps);
  std::printf(",\"mode\":\"%s\",\"concurrency\":%llu,\"pipeline\":%llu,\"errors_by_kind\":{",
              options.stream ? "stream" : "oneshot", static_cast<unsigned long long>(connections),
              static_cast<unsigned long long>(options.stream ? options.pipeline : 1));
  for (std::size_t kind = 0; kind < kFailureNames.size(); ++kind) {
    std::printf("%s\"%s\":%llu", kind == 0 ? "" : ",", kFailureNames[kind],
                static_cast<unsigned long long>(tally.failed[kind]));
  }
  std::printf("},\"late_errors\":%llu}\n", static_cast<unsigned long long>(tally.late_errors));
}

void print_summary(const Options& options, std::uint64_t connections, const Tally& tally,
                   double wall_s) {
  const double rps = wall_s > 0 ? static_cast<double>(tally.ok) / wall_s : 0.0;
  std::printf("floor-client: %s, %llu %s", options.stream ? "stream" : "oneshot",
              static_cast<unsigned long long>(connections),
              options.stream ? "connections" : "in flight");
  if (options.stream)
    std::printf(", pipeline %llu", static_cast<unsigned long long>(options.pipeline));
  std::printf(", %s:%u: %llu requests, %llu ok, %llu errors, %.3f s, %.1f ok requests/s\n",
              options.host.c_str(), static_cast<unsigned>(options.port),
              static_cast<unsigned long long>(options.requests),
              static_cast<unsigned long long>(tally.ok),
              static_cast<unsigned long long>(tally.errors()), wall_s, rps);
}

// What failed, on stderr, whatever the output format: one line per kind, with an example.
void print_failures(const Tally& tally) {
  for (std::size_t kind = 0; kind < kFailureNames.size(); ++kind) {
    if (tally.failed[kind] == 0) continue;
    std::fprintf(stderr, "floor-client: %llu %s errors (e.g. %s)\n",
                 static_cast<unsigned long long>(tally.failed[kind]), kFailureNames[kind],
                 tally.example[kind].c_str());
  }
  if (tally.late_errors > 0) {
    std::fprintf(stderr, "floor-client: %llu connection(s) failed after their last reply\n",
                 static_cast<unsigned long long>(tally.late_errors));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> options;
  try {
    options = parse_options(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "floor-client: %s\nTry 'floor-client --help' for more information.\n",
                 e.what());
    return 2;
  }
  if (!options) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::uint64_t fd_limit = floor_tool::raise_fd_limit();
  if (options->concurrency + kSpareFds > fd_limit) {
    options->concurrency = fd_limit > 2 * kSpareFds ? fd_limit - kSpareFds : kSpareFds;
    std::fprintf(stderr, "floor-client: concurrency lowered to %llu by the open-file limit\n",
                 static_cast<unsigned long long>(options->concurrency));
  }
  FloorClient client(*options);
  const double wall_s = client.run();
  const Tally& tally = client.tally();
  if (options->json) {
    print_json(*options, client.connections(), tally, wall_s);
  } else {
    print_summary(*options, client.connections(), tally, wall_s);
  }
  print_failures(tally);
  return tally.errors() == 0 && tally.late_errors == 0 ? 0 : 1;
}
