// exact-peer: the stream-mode witness of `make faults` (scripts/faults.sh, docs/SOAK.md,
// "Faults"). bin/client checks each reply it is owed, but stops reading once it has them
// all, so a reply sent twice at the end of a connection would pass it unseen. This peer
// reads to the end: per connection it pipelines K frames, closes its writing side, reads
// until the server closes, and checks that what came is exactly the K echoes, in order,
// and nothing after them. A test tool, so plain blocking POSIX sockets and its own
// encoding of the frame (docs/PROTOCOL.md), as scripts/soak/bad_peer.cpp has; loopback
// only, every wait bounded.
//
//   exact-peer --port P [--connections N] [--frames K] [--seed S] [--timeout-ms T]
//
// Each connection ends one of three ways:
//   exact    every echo, byte for byte, then the server's close;
//   cut      a reset (ECONNRESET or EPIPE, on either side) ended it with a prefix of the
//            echoes: under injected faults that is a request that failed, not a wrong one;
//   problem  anything else: a wrong byte, a byte beyond the last echo (a reply sent twice),
//            a clean close before the last echo (a reply lost), no close within T ms.
// Prints `exact-peer: connections=N exact=E cut=C problems=P`; exits 0 if P is 0, 1 if
// not (one line per problem on stderr), 2 on bad usage.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::uint8_t>;

// A byte beyond the echoes owed is already a failure; this much more is read to say how many.
constexpr std::size_t kExtraShown = 64 * 1024;
// field3 stays short: all of a connection's frames and echoes fit in the socket buffers,
// so the server never waits for us to read while we are still writing.
constexpr std::uint32_t kMaxText = 200;

struct Options {
  std::uint16_t port = 0;
  std::uint32_t connections = 20;
  std::uint32_t frames = 64;
  std::uint32_t seed = 1;
  std::chrono::milliseconds timeout{15'000};
};

enum class Ending { kExact, kCut, kProblem };

// How one connection ended, and for a problem, why.
struct Outcome {
  Ending ending;
  std::string why;
};

// K frames (field1 numbers them across the run, so no two requests are alike), one buffer.
Bytes make_frames(std::uint32_t first, std::uint32_t count, std::mt19937& random) {
  Bytes out;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t field1 = first + i;
    const auto field2 = static_cast<std::uint16_t>(random());
    const std::uint32_t len = random() % (kMaxText + 1);
    for (int b = 0; b < 4; ++b)
      out.push_back(static_cast<std::uint8_t>(field1 >> (8 * b)));
    out.push_back(static_cast<std::uint8_t>(field2));
    out.push_back(static_cast<std::uint8_t>(field2 >> 8));
    for (int b = 0; b < 4; ++b)
      out.push_back(static_cast<std::uint8_t>(len >> (8 * b)));
    for (std::uint32_t c = 0; c < len; ++c)
      out.push_back(static_cast<std::uint8_t>('a' + random() % 26));
  }
  return out;
}

bool is_reset(int error) {
  return error == ECONNRESET || error == EPIPE;
}

class Connection {
 public:
  Connection(const Options& options, Clock::time_point deadline)
      : options_(options), deadline_(deadline) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Our end's port, to find the connection in the server's log.
  unsigned local_port() const {
    sockaddr_in address{};
    socklen_t size = sizeof address;
    if (fd_ < 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) < 0) return 0;
    return ntohs(address.sin_port);
  }

  // One exchange; `expected` is both what is sent and what must come back.
  Outcome run(const Bytes& expected) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return problem(std::string("socket: ") + std::strerror(errno));
    bound_connect();
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(options_.port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int status;
    do {
      status = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    } while (status < 0 && errno == EINTR);
    if (status < 0 && errno != EISCONN)
      return problem(std::string("connect: ") + std::strerror(errno));
    if (const auto error = send_all(expected)) {
      if (is_reset(*error)) return {Ending::kCut, ""};
      return problem(*error == ETIMEDOUT ? "send stalled" : std::strerror(*error));
    }
    ::shutdown(fd_, SHUT_WR);
    return judge(expected, read_to_end(expected.size() + kExtraShown));
  }

 private:
  struct Received {
    Bytes bytes;
    int error = 0;  // 0: the server closed; ETIMEDOUT: it did not by the deadline
  };

  Outcome problem(std::string why) const { return {Ending::kProblem, std::move(why)}; }

  // A blocking connect waits no longer than SO_SNDTIMEO; the sends and reads below do not
  // block at all (MSG_DONTWAIT) and wait in poll, up to the deadline.
  void bound_connect() const {
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - Clock::now());
    timeval limit{};
    limit.tv_sec = static_cast<time_t>(left.count() / 1'000'000);
    limit.tv_usec = static_cast<suseconds_t>(left.count() % 1'000'000);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  }

  // Waits (bounded by the deadline) until the socket is ready for `events`.
  bool ready(short events) const {
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) return false;
      pollfd waiting{fd_, events, 0};
      const int n = ::poll(&waiting, 1, static_cast<int>(left.count()));
      if (n > 0) return true;
      if (n == 0) return false;
      if (errno != EINTR) return false;
    }
  }

  // The errno that stopped it, if anything did.
  std::optional<int> send_all(const Bytes& bytes) const {
    for (std::size_t done = 0; done < bytes.size();) {
      if (!ready(POLLOUT)) return ETIMEDOUT;
      const ssize_t n =
          ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) return errno;
      done += static_cast<std::size_t>(n);
    }
    return std::nullopt;
  }

  Received read_to_end(std::size_t limit) const {
    Received got;
    std::uint8_t buffer[16 * 1024];
    while (got.bytes.size() < limit) {
      if (!ready(POLLIN)) {
        got.error = ETIMEDOUT;
        return got;
      }
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) {
        got.error = errno;
        return got;
      }
      if (n == 0) return got;
      got.bytes.insert(got.bytes.end(), buffer, buffer + n);
    }
    return got;
  }

  Outcome judge(const Bytes& expected, const Received& got) const {
    const std::size_t common = std::min(expected.size(), got.bytes.size());
    const auto differ =
        std::mismatch(expected.begin(), expected.begin() + common, got.bytes.begin());
    if (differ.first != expected.begin() + common) {
      return problem("wrong byte at offset " + std::to_string(differ.first - expected.begin()));
    }
    if (got.bytes.size() > expected.size()) {
      return problem(std::to_string(got.bytes.size() - expected.size()) +
                     " bytes after the last echo owed (a reply sent twice?)");
    }
    if (got.error == ETIMEDOUT) return problem("no close within the timeout");
    if (got.error != 0 && !is_reset(got.error)) return problem(std::strerror(got.error));
    if (got.bytes.size() == expected.size()) return {Ending::kExact, ""};
    if (got.error != 0) return {Ending::kCut, ""};
    return problem("clean close after " + std::to_string(got.bytes.size()) + " of " +
                   std::to_string(expected.size()) + " bytes (replies lost)");
  }

  const Options& options_;
  Clock::time_point deadline_;
  int fd_ = -1;
};

bool parse_number(const char* text, std::uint64_t max, std::uint64_t& value) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long parsed = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || parsed > max) return false;
  value = parsed;
  return true;
}

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    std::uint64_t value = 0;
    if (!parse_number(argv[i + 1], UINT32_MAX, value)) return false;
    if (flag == "--port" && value <= 65535) {
      options.port = static_cast<std::uint16_t>(value);
    } else if (flag == "--connections") {
      options.connections = static_cast<std::uint32_t>(value);
    } else if (flag == "--frames" && value > 0 && value <= 1024) {
      options.frames = static_cast<std::uint32_t>(value);
    } else if (flag == "--seed") {
      options.seed = static_cast<std::uint32_t>(value);
    } else if (flag == "--timeout-ms") {
      options.timeout = std::chrono::milliseconds(value);
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && options.port != 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: exact-peer --port P [--connections N] [--frames K (1..1024)] [--seed S] "
                 "[--timeout-ms T]\n");
    return 2;
  }
  std::mt19937 random(options.seed);
  std::uint64_t counts[3] = {};
  for (std::uint32_t i = 0; i < options.connections; ++i) {
    const Bytes frames = make_frames(i * options.frames, options.frames, random);
    Connection connection(options, Clock::now() + options.timeout);
    const auto start = Clock::now();
    const Outcome outcome = connection.run(frames);
    ++counts[static_cast<int>(outcome.ending)];
    if (outcome.ending == Ending::kProblem) {
      const auto elapsed =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      std::fprintf(stderr, "exact-peer: connection #%u (port %u, %lld ms): %s\n", i,
                   connection.local_port(), static_cast<long long>(elapsed), outcome.why.c_str());
    }
  }
  std::printf("exact-peer: connections=%u exact=%llu cut=%llu problems=%llu\n", options.connections,
              static_cast<unsigned long long>(counts[0]),
              static_cast<unsigned long long>(counts[1]),
              static_cast<unsigned long long>(counts[2]));
  return counts[2] == 0 ? 0 : 1;
}
