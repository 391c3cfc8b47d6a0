// floor-server: the least work a server of docs/PROTOCOL.md can do on this machine, measured
// in the same benchmark run as bin/server (docs/BENCHMARKS.md, "The floor"). One thread, one
// level-triggered epoll set, nonblocking sockets, and nothing of the project's library.
//
//   floor-server [--host H] [--port P] [--mode oneshot|stream] [--delay-ms D] [--max-frame M]
//
// One loop iteration:
//   1. epoll_wait, at most until the first reply deadline (or the end of an accept pause);
//   2. read the clock once: every deadline set in this iteration counts from then;
//   3. each event: the signalfd ends the program; the listener accepts until EAGAIN; a
//      connection gets one read (level-triggered: if more is waiting, the next wait says
//      so), or one send of the bytes it is owed;
//   4. send the oneshot replies whose deadline has come; resume accepting after a pause.
//
// What it leaves out, because it is a lower bound and not a server to deploy: field3 is not
// checked for UTF-8 (a conforming server must check it, so the floor does less than any
// conforming server can), a stream reply is the request's bytes sent back as they came (the
// echo of a Data is byte-identical to it), there is no idle timeout and no log, and
// SIGINT/SIGTERM end it at once, whatever replies are owed.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
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
constexpr int kBacklog = 16384;  // as bin/server's; the kernel caps it at net.core.somaxconn
constexpr int kMaxEvents = 256;
// Accepts per listener event: bounds the loop under a flood. The listener is level-triggered,
// so connections still queued are reported again at the next wait.
constexpr int kMaxAcceptsPerEvent = 4096;
// Out of fds, the listener stays readable and epoll_wait would return at once, for ever: so
// it is left unwatched this long instead (closing connections frees fds meanwhile).
constexpr auto kAcceptPause = 100ms;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7878;
  bool stream = false;
  std::optional<std::uint64_t> delay_ms;  // unset: 1000 in oneshot, 0 in stream, as bin/server
  std::uint64_t max_frame = floor_tool::kDefaultMaxFrame;
};

constexpr const char* kUsage =
    R"(usage: floor-server [options]
The least work a server of the protocol can do: one thread, raw epoll, no UTF-8 check.
A benchmark instrument (docs/BENCHMARKS.md, "The floor"), not a server to deploy.

  --host H          address to listen on (default 127.0.0.1)
  --port P          port, 0 for a free one (default 7878)
  --mode M          oneshot (one request, the greeting, close) or stream (echo every frame)
  --delay-ms D      work per request before the reply (default 1000 in oneshot, 0 in stream;
                    stream takes 0 only)
  --max-frame M     largest field3 accepted, in bytes (default 1048576)
  --help            this text

Prints "listening on HOST:PORT" when ready; SIGINT or SIGTERM end it with status 0.
)";

// The options, or nullopt for --help. Throws UsageError.
std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  floor_tool::Args args(argc, argv);
  for (std::string_view flag = args.next_flag(); !flag.empty(); flag = args.next_flag()) {
    if (flag == "--host") {
      options.host = std::string(args.value(flag));
    } else if (flag == "--port") {
      options.port = static_cast<std::uint16_t>(args.number(flag, 0, 65535));
    } else if (flag == "--mode") {
      options.stream = floor_tool::parse_stream_mode(args.value(flag));
    } else if (flag == "--delay-ms") {
      options.delay_ms = args.number(flag, 0, 86'400'000);
    } else if (flag == "--max-frame") {
      options.max_frame = args.number(flag, 0, UINT32_MAX);
    } else if (flag == "--help") {
      args.no_value(flag);
      return std::nullopt;
    } else {
      throw UsageError("unknown option '" + std::string(flag) + "'");
    }
  }
  // A stream reply is the echo, sent as the frames are parsed: there is no queue to wait in.
  if (options.stream && options.delay_ms.value_or(0) != 0) {
    throw UsageError("--delay-ms must be 0 in stream mode");
  }
  return options;
}

// A system call failed where the program cannot go on.
[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "floor-server: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

// An accepted connection. The table of them is indexed by fd.
struct Conn {
  std::uint64_t id = 0;     // 0: no connection. Tells a reply deadline from a reused fd.
  floor_tool::Inbox inbox;  // the tail of a request frame split across reads
  Bytes owed;               // reply bytes the kernel did not take; sent when writable
  std::size_t owed_sent = 0;
  bool close_when_flushed = false;  // oneshot: the greeting is the last thing we send
  bool waiting = false;             // oneshot: the request is read, its reply is due later
};

// A oneshot reply waiting for its deadline.
struct Due {
  Clock::time_point at;
  int fd;
  std::uint64_t id;  // the connection's, in case it closed and its fd was reused
};

class FloorServer {
 public:
  // Binds and listens; exits with status 1 if it cannot.
  explicit FloorServer(const Options& options);
  ~FloorServer();
  FloorServer(const FloorServer&) = delete;
  FloorServer& operator=(const FloorServer&) = delete;

  std::uint16_t port() const { return port_; }
  // Serves until SIGINT or SIGTERM.
  void run();

 private:
  int wait_timeout_ms() const;
  void accept_all();
  void pause_accepting();
  void resume_accepting_if_due();
  void on_connection(int fd, std::uint32_t events);
  void on_readable(int fd);
  void echo_frames(int fd);
  void take_request(int fd);
  void send_greeting(int fd);
  bool send_or_owe(int fd, ByteSpan bytes);
  void on_writable(int fd);
  void send_due_replies();
  void watch(int fd, std::uint32_t events, int op = EPOLL_CTL_MOD);
  void close_connection(int fd);

  Options options_;
  std::chrono::milliseconds delay_;
  int epoll_ = -1;
  int listener_ = -1;
  int signals_ = -1;  // a signalfd: SIGINT and SIGTERM arrive as an event like any other
  std::uint16_t port_ = 0;
  std::vector<Conn> conns_;
  std::uint64_t next_id_ = 1;
  // Oneshot replies by deadline. Every request waits the same delay, so the order they
  // arrive in is the order they are due in: a FIFO queue, O(1) each way, no heap.
  std::deque<Due> due_;
  std::optional<Clock::time_point> accept_paused_until_;
  Clock::time_point now_ = Clock::now();  // read once per loop iteration, after the wait
};

// Resolves --host (numeric or a name) and opens a nonblocking listener on it.
int open_listener(const Options& options) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options.port);
  if (const int error = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found)) {
    std::fprintf(stderr, "floor-server: cannot resolve %s: %s\n", options.host.c_str(),
                 ::gai_strerror(error));
    std::exit(1);
  }
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // restart over TIME_WAITs
  if (::bind(fd, found->ai_addr, found->ai_addrlen) < 0) die("bind");
  ::freeaddrinfo(found);
  if (::listen(fd, kBacklog) < 0) die("listen");
  return fd;
}

std::uint16_t local_port(int fd) {
  sockaddr_storage address{};
  socklen_t size = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) < 0) die("getsockname");
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

FloorServer::FloorServer(const Options& options)
    : options_(options),
      delay_(options.delay_ms.value_or(options.stream ? 0 : 1000)),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (epoll_ < 0) die("epoll_create1");
  // Blocked signals are queued even where the parent set them to be ignored (as bash does
  // for SIGINT in background jobs), so the signalfd sees them either way.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  if (::sigprocmask(SIG_BLOCK, &stop, nullptr) < 0) die("sigprocmask");
  signals_ = ::signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signals_ < 0) die("signalfd");
  listener_ = open_listener(options_);
  port_ = local_port(listener_);
  watch(signals_, EPOLLIN, EPOLL_CTL_ADD);
  watch(listener_, EPOLLIN, EPOLL_CTL_ADD);
}

FloorServer::~FloorServer() {
  for (std::size_t fd = 0; fd < conns_.size(); ++fd) {
    if (conns_[fd].id != 0) ::close(static_cast<int>(fd));
  }
  for (const int fd : {listener_, signals_, epoll_}) {
    if (fd >= 0) ::close(fd);
  }
}

void FloorServer::run() {
  epoll_event events[kMaxEvents];
  for (;;) {
    const int count = ::epoll_wait(epoll_, events, kMaxEvents, wait_timeout_ms());
    if (count < 0 && errno != EINTR) die("epoll_wait");
    now_ = Clock::now();
    for (int i = 0; i < count; ++i) {
      const int fd = events[i].data.fd;
      if (fd == signals_) return;
      if (fd == listener_) {
        accept_all();
      } else {
        on_connection(fd, events[i].events);
      }
    }
    send_due_replies();
    resume_accepting_if_due();
  }
}

// Until the first deadline, or for ever (-1) when nothing is due. Rounded up: a reply may go
// out up to a millisecond late, never early.
int FloorServer::wait_timeout_ms() const {
  std::optional<Clock::time_point> next;
  if (!due_.empty()) next = due_.front().at;
  if (accept_paused_until_)
    next = std::min(next.value_or(*accept_paused_until_), *accept_paused_until_);
  if (!next) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, INT_MAX));
}

void FloorServer::accept_all() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;  // a peer that gave up queued
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      std::fprintf(stderr, "floor-server: accept: %s; pausing %lld ms\n", std::strerror(errno),
                   static_cast<long long>(kAcceptPause.count()));
      pause_accepting();  // EMFILE, ENFILE, ENOBUFS, ENOMEM: retrying at once would spin
      return;
    }
    // Stream replies must not wait behind an unacknowledged one (Nagle). A oneshot greeting
    // is the only segment its connection sends, which Nagle never holds: no system call.
    if (options_.stream) {
      const int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    if (static_cast<std::size_t>(fd) >= conns_.size())
      conns_.resize(2 * static_cast<std::size_t>(fd) + 1);
    conns_[fd].id = next_id_++;
    watch(fd, EPOLLIN, EPOLL_CTL_ADD);
  }
}

void FloorServer::pause_accepting() {
  if (::epoll_ctl(epoll_, EPOLL_CTL_DEL, listener_, nullptr) < 0) die("epoll_ctl");
  accept_paused_until_ = now_ + kAcceptPause;
}

void FloorServer::resume_accepting_if_due() {
  if (!accept_paused_until_ || now_ < *accept_paused_until_) return;
  accept_paused_until_.reset();
  watch(listener_, EPOLLIN, EPOLL_CTL_ADD);
}

// A connection is watched for one thing at a time: EPOLLIN while it owes nothing, EPOLLOUT
// while it owes bytes (so a peer that does not read stops being read: backpressure), nothing
// while a oneshot reply waits for its deadline.
void FloorServer::on_connection(int fd, std::uint32_t events) {
  if (conns_[fd].id == 0) return;  // closed earlier in this batch of events
  // A reset, or a peer gone while its reply waited: no one is left to answer.
  if (events & (EPOLLERR | EPOLLHUP)) {
    close_connection(fd);
  } else if (events & EPOLLOUT) {
    on_writable(fd);
  } else if (events & EPOLLIN) {
    on_readable(fd);
  }
}

void FloorServer::on_readable(int fd) {
  Conn& conn = conns_[fd];
  bool full = false;
  const ssize_t n = conn.inbox.read(fd, full);
  if (n <= 0) {
    conn.inbox.consume(0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    // End of stream or an error. We read only while we owe nothing, so there is nothing
    // left to send; a partial frame still kept is a truncated request, dropped.
    close_connection(fd);
    return;
  }
  if (options_.stream) {
    echo_frames(fd);
  } else {
    take_request(fd);
  }
}

// Stream: every complete frame of this read goes back in ONE send, as it came.
void FloorServer::echo_frames(int fd) {
  Conn& conn = conns_[fd];
  const ByteSpan bytes = conn.inbox.view();
  std::size_t complete = 0;
  while (complete < bytes.size()) {  // bounded: each turn passes one whole frame
    const floor_tool::FrameScan frame =
        floor_tool::scan_frame(bytes.subspan(complete), options_.max_frame);
    if (frame.oversized) {
      close_connection(fd);  // refused from its header, before buffering any of it
      return;
    }
    if (!frame.complete) break;
    complete += frame.size;
  }
  // Sent before consume(): the bytes may live in the connection's own buffer.
  if (complete > 0 && !send_or_owe(fd, bytes.first(complete))) return;
  conn.inbox.consume(complete);
}

// Oneshot: once the one request frame is in, reply now or queue the reply for its deadline.
void FloorServer::take_request(int fd) {
  Conn& conn = conns_[fd];
  const ByteSpan bytes = conn.inbox.view();
  const floor_tool::FrameScan frame = floor_tool::scan_frame(bytes, options_.max_frame);
  if (frame.oversized) {
    close_connection(fd);
    return;
  }
  if (!frame.complete) {
    conn.inbox.consume(0);  // keep the partial frame for the next read
    return;
  }
  conn.inbox.consume(bytes.size());  // one request per connection: anything after it is ignored
  if (delay_ == 0ms) {
    send_greeting(fd);
    return;
  }
  conn.waiting = true;
  // Not even EPOLLIN while it waits: a peer that shuts down its side would otherwise be
  // reported readable at every wait (level-triggered). A reset still comes as EPOLLERR.
  watch(fd, 0);
  due_.push_back({now_ + delay_, fd, conn.id});
}

void FloorServer::send_greeting(int fd) {
  conns_[fd].close_when_flushed = true;
  const auto* text = reinterpret_cast<const std::uint8_t*>(kGreeting.data());
  if (!send_or_owe(fd, ByteSpan(text, kGreeting.size()))) return;
  if (conns_[fd].owed.empty()) close_connection(fd);
}

// One send; what the kernel does not take is owed, and sent when the socket is writable.
// False if the connection failed (it is closed).
bool FloorServer::send_or_owe(int fd, ByteSpan bytes) {
  const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EINTR) {
    close_connection(fd);
    return false;
  }
  const std::size_t sent = n > 0 ? static_cast<std::size_t>(n) : 0;
  if (sent < bytes.size()) {
    Conn& conn = conns_[fd];
    conn.owed.assign(bytes.begin() + static_cast<std::ptrdiff_t>(sent), bytes.end());
    conn.owed_sent = 0;
    watch(fd, EPOLLOUT);
  }
  return true;
}

void FloorServer::on_writable(int fd) {
  Conn& conn = conns_[fd];
  const ssize_t n = ::send(fd, conn.owed.data() + conn.owed_sent, conn.owed.size() - conn.owed_sent,
                           MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) close_connection(fd);
    return;
  }
  conn.owed_sent += static_cast<std::size_t>(n);
  if (conn.owed_sent < conn.owed.size()) return;
  conn.owed.clear();
  conn.owed_sent = 0;
  if (conn.close_when_flushed) {
    close_connection(fd);
  } else {
    watch(fd, EPOLLIN);
  }
}

// Bounded by the queue: each turn pops one entry.
void FloorServer::send_due_replies() {
  while (!due_.empty() && due_.front().at <= now_) {
    const Due due = due_.front();
    due_.pop_front();
    Conn& conn = conns_[due.fd];
    if (conn.id != due.id || !conn.waiting) continue;  // closed (and maybe reused) meanwhile
    conn.waiting = false;
    send_greeting(due.fd);
  }
}

void FloorServer::watch(int fd, std::uint32_t events, int op) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_, op, fd, &event) < 0) die("epoll_ctl");
}

// close() also takes the fd out of the epoll set: nothing else holds it.
void FloorServer::close_connection(int fd) {
  ::close(fd);
  conns_[fd] = Conn{};
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> options;
  try {
    options = parse_options(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "floor-server: %s\nTry 'floor-server --help' for more information.\n",
                 e.what());
    return 2;
  }
  if (!options) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  floor_tool::raise_fd_limit();  // thousands of connections at once in the book's rows
  FloorServer server(*options);
  std::printf("listening on %s:%u\n", options->host.c_str(), static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  server.run();
  return 0;
}
