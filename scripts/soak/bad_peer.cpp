// bad-peer: the misbehaving clients of the soak (scripts/soak.sh, docs/SOAK.md). Each
// connection commits one fault the server must survive, then checks the server's answer:
// the connection closed, no reply byte, within a bound. A test tool, so plain blocking POSIX
// sockets; it speaks the wire format of docs/PROTOCOL.md by hand, without the project's
// library, so a codec bug on both sides cannot cancel out. Loopback only, every wait bounded.
//
//   bad-peer --port P --kind KIND [--count N] [--mode oneshot|stream] [--max-frame M]
//            [--idle-timeout-ms T] [--seed S]
//
//   oversized   a header whose len is --max-frame + 1, no body: refused from the header
//   garbage     a header with random fields, then field3 with a 0xFF byte (never UTF-8)
//   silent      connect and say nothing: closed after --idle-timeout-ms, not before
//   reset       half a frame, then close with SO_LINGER 0 (an RST instead of a FIN)
//   truncated   half a frame, then a clean close of our side: refused as truncated
//   never-read  stream mode: pipeline large requests, never read a reply: the server must
//               stop reading us (backpressure) and drop us after its write timeout
//   mix         cycles through the kinds (never-read only with --mode stream)
//
// Prints one line of counts, `bad-peer: oversized=2 garbage=2 ... problems=0`; exits 0 if
// the server did the right thing every time, 1 if not (one line per problem on stderr), 2 on
// bad usage.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

// Beyond the server's own timeout, how long we wait for its close before calling it a
// failure: generous, because the soak shares two cores with sanitizer builds.
constexpr auto kCloseSlack = 10s;
// never-read: the size of each request, and how much we send at most before deciding the
// server buffers without pushing back (the kernel's buffers on both sides hold ~15 MiB).
constexpr std::size_t kNeverReadBody = 16 * 1024;
constexpr std::size_t kNeverReadLimit = 64 * 1024 * 1024;
// never-read: a send that makes no progress this long means the server stopped reading us.
constexpr auto kStallAfter = 200ms;
constexpr std::uint64_t kMaxCount = 100'000;

enum class Kind { kOversized, kGarbage, kSilent, kReset, kTruncated, kNeverRead };
constexpr std::array<std::string_view, 6> kKindNames = {"oversized", "garbage",   "silent",
                                                        "reset",     "truncated", "never-read"};

struct Options {
  std::uint16_t port = 0;
  std::string kind = "mix";
  std::uint64_t count = 1;
  bool stream = false;
  std::uint32_t max_frame = 1024 * 1024;
  std::chrono::milliseconds idle_timeout{30'000};
  std::uint32_t seed = 0;
};

class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One connection's socket; closing is the destructor's job so no path leaks it.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

void set_timeval(int fd, int option, std::chrono::milliseconds limit) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(limit.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((limit.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

// Connects to 127.0.0.1:port. A receive buffer, if asked, is set before connect so that the
// window we advertise is small from the first byte.
Fd connect_loopback(std::uint16_t port, int receive_buffer = 0) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (receive_buffer > 0) {
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  set_timeval(fd.get(), SO_SNDTIMEO, 5000ms);  // connect is bounded by this too
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  }
  return fd;
}

// Whole buffer, or false: the connection failed, or (with SO_SNDTIMEO) a send stalled.
bool send_all(int fd, const Bytes& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void put_le(Bytes& out, std::uint64_t value, int size) {
  for (int i = 0; i < size; ++i)
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

// A frame header (PROTOCOL.md: field1 u32, field2 u16, len u32, all little-endian).
Bytes header(std::uint32_t field1, std::uint16_t field2, std::uint32_t len) {
  Bytes out;
  put_le(out, field1, 4);
  put_le(out, field2, 2);
  put_le(out, len, 4);
  return out;
}

// What became of a connection we expect the server to close without replying.
struct Ending {
  bool closed = false;          // end of stream or reset; false: still open at the deadline
  std::size_t reply_bytes = 0;  // anything the server sent us (it should send nothing)
  Clock::duration elapsed{};    // from `since` to the close
};

// Reads until the server closes or `deadline` passes, counting what it sent.
Ending wait_for_close(int fd, Clock::time_point since, Clock::time_point deadline) {
  Ending ending;
  std::array<std::uint8_t, 4096> buffer{};
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return ending;
    pollfd waiting{fd, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return ending;
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      ending.reply_bytes += static_cast<std::size_t>(n);
      continue;
    }
    ending.closed = true;  // 0: end of stream; < 0: reset or another error, closed all the same
    ending.elapsed = Clock::now() - since;
    return ending;
  }
}

// never-read: waits for the close without reading a byte (POLLRDHUP: a FIN came; POLLHUP or
// POLLERR: a reset). True if it came before `deadline`.
bool wait_for_hangup(int fd, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd waiting{fd, POLLRDHUP, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    if (waiting.revents & (POLLRDHUP | POLLHUP | POLLERR)) return true;
  }
}

long long millis(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

class BadPeer {
 public:
  explicit BadPeer(const Options& options)
      : options_(options),
        random_(options.seed),
        close_bound_(options.idle_timeout + kCloseSlack) {}

  // One connection of `kind`; an empty string if the server did the right thing.
  std::string run(Kind kind) {
    switch (kind) {
      case Kind::kOversized:
        return oversized();
      case Kind::kGarbage:
        return garbage();
      case Kind::kSilent:
        return silent();
      case Kind::kReset:
        return reset();
      case Kind::kTruncated:
        return truncated();
      case Kind::kNeverRead:
        return never_read();
    }
    return "unknown kind";
  }

 private:
  std::uint32_t random_below(std::uint32_t bound) {
    return std::uniform_int_distribution<std::uint32_t>(0, bound - 1)(random_);
  }

  // The start of a well-formed frame with a 32-byte field3: its header and half its body.
  Bytes half_frame() {
    Bytes out = header(random_below(1u << 31), 7, 32);
    out.insert(out.end(), 16, 'h');
    return out;
  }

  // Sends `bytes` (then closes our side if asked) and expects a close with no reply.
  std::string expect_refused(const Bytes& bytes, bool close_write) {
    const auto start = Clock::now();
    Fd fd = connect_loopback(options_.port);
    // A send may fail if the server refused us already: what counts is how it ended.
    send_all(fd.get(), bytes);
    if (close_write) ::shutdown(fd.get(), SHUT_WR);
    return check_closed_unanswered(wait_for_close(fd.get(), start, start + close_bound_));
  }

  std::string check_closed_unanswered(const Ending& ending) const {
    if (!ending.closed) return "still open " + std::to_string(millis(close_bound_)) + " ms later";
    if (ending.reply_bytes > 0) return "got " + std::to_string(ending.reply_bytes) + " reply bytes";
    return "";
  }

  std::string oversized() { return expect_refused(header(1, 1, options_.max_frame + 1), false); }

  // Random fields, a length within --max-frame, random bytes with one 0xFF among them.
  std::string garbage() {
    const std::uint32_t len = 1 + random_below(std::min<std::uint32_t>(256, options_.max_frame));
    Bytes bytes =
        header(random_below(UINT32_MAX), static_cast<std::uint16_t>(random_below(65536)), len);
    for (std::uint32_t i = 0; i < len; ++i)
      bytes.push_back(static_cast<std::uint8_t>(random_below(256)));
    bytes[10 + random_below(len)] = 0xFF;
    return expect_refused(bytes, false);
  }

  std::string truncated() { return expect_refused(half_frame(), true); }

  // The clock starts before connect, so the server's idle timer (started after its accept)
  // cannot end before `start + idle`: a close earlier than that is a server bug.
  std::string silent() {
    const auto start = Clock::now();
    Fd fd = connect_loopback(options_.port);
    const Ending ending = wait_for_close(fd.get(), start, start + close_bound_);
    std::string problem = check_closed_unanswered(ending);
    if (problem.empty() && ending.elapsed < options_.idle_timeout) {
      problem =
          "closed after " + std::to_string(millis(ending.elapsed)) + " ms, before the idle timeout";
    }
    return problem;
  }

  std::string reset() {
    Fd fd = connect_loopback(options_.port);
    send_all(fd.get(), half_frame());
    const linger hard{1, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(fd.release());  // with linger 0: an RST, no FIN
    return "";
  }

  // Sends requests until a send stalls, then waits (reading nothing) for the server to drop
  // us. Reaching the limit unstalled means the server kept reading us: no backpressure.
  std::string never_read() {
    Fd fd = connect_loopback(options_.port, 4096);
    set_timeval(fd.get(), SO_SNDTIMEO, kStallAfter);
    Bytes request = header(1, 1, kNeverReadBody);
    request.insert(request.end(), kNeverReadBody, 'n');
    std::size_t sent = 0;
    bool stalled = false;
    while (!stalled && sent < kNeverReadLimit) {
      stalled = !send_all(fd.get(), request);
      sent += request.size();
    }
    if (!stalled) return "sent " + std::to_string(sent) + " bytes without the server pushing back";
    if (!wait_for_hangup(fd.get(), Clock::now() + close_bound_)) {
      return "not dropped within " + std::to_string(millis(close_bound_)) + " ms of stalling";
    }
    return "";
  }

  Options options_;
  std::mt19937 random_;
  std::chrono::milliseconds close_bound_;
};

std::uint64_t parse_number(const std::string& flag, const std::string& text, std::uint64_t max) {
  try {
    std::size_t used = 0;
    const unsigned long long value = std::stoull(text, &used);
    if (used == text.size() && value <= max && text[0] != '-') return value;
  } catch (const std::exception&) {
  }
  throw UsageError(flag + " wants a number up to " + std::to_string(max) + ", not '" + text + "'");
}

void apply(Options& options, const std::string& flag, const std::string& value) {
  if (flag == "--port") {
    options.port = static_cast<std::uint16_t>(parse_number(flag, value, 65535));
  } else if (flag == "--kind") {
    options.kind = value;
  } else if (flag == "--count") {
    options.count = parse_number(flag, value, kMaxCount);
  } else if (flag == "--mode") {
    if (value != "oneshot" && value != "stream") throw UsageError("--mode: oneshot or stream");
    options.stream = value == "stream";
  } else if (flag == "--max-frame") {
    options.max_frame = static_cast<std::uint32_t>(parse_number(flag, value, UINT32_MAX - 1));
  } else if (flag == "--idle-timeout-ms") {
    options.idle_timeout = std::chrono::milliseconds(parse_number(flag, value, 3'600'000));
  } else if (flag == "--seed") {
    options.seed = static_cast<std::uint32_t>(parse_number(flag, value, UINT32_MAX));
  } else {
    throw UsageError("unknown flag " + flag);
  }
}

Options parse(int argc, char** argv) {
  Options options;
  options.seed = static_cast<std::uint32_t>(::getpid()) ^
                 static_cast<std::uint32_t>(Clock::now().time_since_epoch().count());
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) throw UsageError(std::string(argv[i]) + " wants a value");
    apply(options, argv[i], argv[i + 1]);
  }
  if (options.port == 0) throw UsageError("--port is required");
  return options;
}

// The kinds a run cycles through: one named kind, or every kind that fits the mode.
std::vector<Kind> kinds_for(const Options& options) {
  std::vector<Kind> kinds;
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    const auto kind = static_cast<Kind>(i);
    const bool wanted = options.kind == "mix" ? (kind != Kind::kNeverRead || options.stream)
                                              : options.kind == kKindNames[i];
    if (wanted) kinds.push_back(kind);
  }
  if (kinds.empty()) throw UsageError("unknown --kind '" + options.kind + "'");
  if (kinds.back() == Kind::kNeverRead && !options.stream) {
    throw UsageError("--kind never-read needs --mode stream");
  }
  return kinds;
}

int run(const Options& options) {
  const std::vector<Kind> kinds = kinds_for(options);
  BadPeer peer(options);
  std::array<std::uint64_t, kKindNames.size()> done{};
  std::uint64_t problems = 0;
  for (std::uint64_t i = 0; i < options.count; ++i) {
    const Kind kind = kinds[i % kinds.size()];
    std::string problem;
    try {
      problem = peer.run(kind);
    } catch (const std::exception& e) {
      problem = e.what();
    }
    ++done[static_cast<std::size_t>(kind)];
    if (!problem.empty()) {
      ++problems;
      std::fprintf(stderr, "bad-peer: %s #%llu: %s\n",
                   kKindNames[static_cast<std::size_t>(kind)].data(),
                   static_cast<unsigned long long>(i), problem.c_str());
    }
  }
  std::string line = "bad-peer:";
  for (std::size_t i = 0; i < kKindNames.size(); ++i)
    line += " " + std::string(kKindNames[i]) + "=" + std::to_string(done[i]);
  std::printf("%s problems=%llu\n", line.c_str(), static_cast<unsigned long long>(problems));
  return problems == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "bad-peer: %s\n", e.what());
    return 2;
  }
}
