// The fault injector's own logic (scripts/faults/fault_plan.hpp), which `make faults` runs
// preloaded into the server and clients: how a plan is read, which call may get which
// fault, that the dice are deterministic and keep to the rate, and the two kernel moves
// the shim's faults lean on to stay true (a reset that is a real one, a re-arm that
// brings the edge a made-up EAGAIN took away).
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>

#include "scripts/faults/fault_plan.hpp"

using faults::Call;
using faults::Kind;

namespace {

constexpr std::size_t index(Kind kind) {
  return static_cast<std::size_t>(kind);
}

// A connected pair of loopback TCP sockets, closed by the destructor.
struct TcpPair {
  int client = -1;
  int server = -1;
  TcpPair() {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), size) == 0);
    REQUIRE(::listen(listener, 1) == 0);
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    client = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&address), size) == 0);
    server = ::accept(listener, nullptr, nullptr);
    REQUIRE(server >= 0);
    ::close(listener);
  }
  ~TcpPair() {
    ::close(client);
    ::close(server);
  }
  TcpPair(const TcpPair&) = delete;
  TcpPair& operator=(const TcpPair&) = delete;
};

// recv's answer and errno, for one CHECK.
std::pair<ssize_t, int> receive(int fd, int flags = 0) {
  char byte;
  errno = 0;
  const ssize_t n = ::recv(fd, &byte, 1, flags);
  return {n, n < 0 ? errno : 0};
}

}  // namespace

TEST_CASE("faults: a plan names kinds with their rates; a bare kind takes the default rate") {
  const auto plan = faults::parse_plan("eintr,reset=200", "5000", "42");
  REQUIRE(plan);
  CHECK(plan->seed == 42);
  CHECK(plan->ppm[index(Kind::kEintr)] == 5000);
  CHECK(plan->ppm[index(Kind::kReset)] == 200);
  CHECK(plan->ppm[index(Kind::kEagain)] == 0);  // not named: off
  CHECK(plan->ppm[index(Kind::kEmfile)] == 0);
}

TEST_CASE("faults: an empty plan is every kind at the default rate (1 %), seed 1") {
  const auto plan = faults::parse_plan("", "", "");
  REQUIRE(plan);
  CHECK(plan->seed == 1);
  for (const std::uint32_t ppm : plan->ppm)
    CHECK(ppm == 10'000);
}

TEST_CASE("faults: a plan is refused for an unknown kind, a bad number, or rates over a million") {
  CHECK_FALSE(faults::parse_plan("eintr,enomem", "", ""));
  CHECK_FALSE(faults::parse_plan("eintr=12x", "", ""));
  CHECK_FALSE(faults::parse_plan("eintr=", "", ""));
  CHECK_FALSE(faults::parse_plan("eintr", "-1", ""));
  CHECK_FALSE(faults::parse_plan("", "", "seed"));
  CHECK_FALSE(faults::parse_plan("eintr=600000,eagain=600000", "", ""));  // one fault a call
  CHECK(faults::parse_plan("eintr=500000,eagain=500000", "", ""));
}

TEST_CASE("faults: FAULT_CALLS keeps the faults to the calls it names") {
  auto plan = faults::parse_plan("eintr=1000000", "", "");
  REQUIRE(plan);
  CHECK(faults::parse_calls("", *plan));  // empty: every call stays in
  CHECK(faults::choose(*plan, Call::kRecv, 0) == Kind::kEintr);
  REQUIRE(faults::parse_calls("connect,accept4", *plan));
  CHECK(faults::choose(*plan, Call::kConnect, 0) == Kind::kEintr);
  CHECK(faults::choose(*plan, Call::kAccept4, 0) == Kind::kEintr);
  CHECK_FALSE(faults::choose(*plan, Call::kRecv, 0));
  CHECK_FALSE(faults::choose(*plan, Call::kEpollWait, 0));
  CHECK_FALSE(faults::parse_calls("connect,fork", *plan));  // unknown: refused, plan kept
  CHECK(faults::choose(*plan, Call::kConnect, 0) == Kind::kEintr);
}

TEST_CASE("faults: each call gets only the kinds it can really answer with") {
  CHECK(faults::applies(Kind::kEmfile, Call::kAccept4));
  CHECK_FALSE(faults::applies(Kind::kEmfile, Call::kRecv));
  CHECK_FALSE(faults::applies(Kind::kShort, Call::kRead));  // a wake-up fd's 8 bytes are whole
  CHECK_FALSE(faults::applies(Kind::kEagain, Call::kEpollWait));
  CHECK_FALSE(faults::applies(Kind::kReset, Call::kAccept4));
  for (std::size_t call = 0; call < faults::kCalls; ++call)
    CHECK(faults::applies(Kind::kEintr, static_cast<Call>(call)));
  // A kind that does not apply takes no share: every kind at 10 % leaves epoll_wait only
  // EINTR's 10 %.
  const auto plan = faults::parse_plan("", "100000", "");
  REQUIRE(plan);
  CHECK(faults::choose(*plan, Call::kEpollWait, 99'999) == Kind::kEintr);
  CHECK_FALSE(faults::choose(*plan, Call::kEpollWait, 100'000));
  CHECK(faults::choose(*plan, Call::kAccept4, 100'000) == Kind::kEagain);
  CHECK(faults::choose(*plan, Call::kAccept4, 200'000) == Kind::kEmfile);
  CHECK_FALSE(faults::choose(*plan, Call::kAccept4, 300'000));
}

TEST_CASE("faults: the dice are the same for a seed, differ across seeds, and keep to the rate") {
  faults::Dice one(7), again(7), other(8);
  bool differ = false;
  for (int i = 0; i < 1000; ++i) {
    const std::uint32_t roll = one.roll();
    CHECK(roll == again.roll());
    differ |= roll != other.roll();
  }
  CHECK(differ);
  // 1 % of a million rolls: 10,000 expected, and a fair die lands within 5 % of it (the
  // standard deviation is about 100).
  const auto plan = faults::parse_plan("eintr=10000", "", "");
  REQUIRE(plan);
  faults::Dice dice(plan->seed);
  int hits = 0;
  for (int i = 0; i < 1'000'000; ++i)
    hits += faults::choose(*plan, Call::kRecv, dice.roll()) ? 1 : 0;
  CHECK(hits > 9'500);
  CHECK(hits < 10'500);
}

TEST_CASE("faults: a reset is a real one: ECONNRESET on both ends, then 0 and EPIPE") {
  TcpPair pair;
  REQUIRE(::send(pair.client, "x", 1, 0) == 1);
  faults::reset_for_real(pair.server, ::connect, ::shutdown);
  CHECK(receive(pair.server) == std::pair<ssize_t, int>(-1, ECONNRESET));
  CHECK(receive(pair.server) == std::pair<ssize_t, int>(0, 0));  // as after a peer's RST
  CHECK(::send(pair.server, "y", 1, MSG_NOSIGNAL) == -1);
  CHECK(errno == EPIPE);
  // The peer got an RST, not a FIN.
  pollfd peer{pair.client, POLLIN, 0};
  REQUIRE(::poll(&peer, 1, 1000) == 1);
  CHECK(receive(pair.client) == std::pair<ssize_t, int>(-1, ECONNRESET));
}

TEST_CASE("faults: EPOLL_CTL_MOD brings back the edge of a socket with bytes still queued") {
  TcpPair pair;
  const int epoll_fd = ::epoll_create1(0);
  REQUIRE(epoll_fd >= 0);
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  event.data.fd = pair.server;
  REQUIRE(::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pair.server, &event) == 0);
  REQUIRE(::send(pair.client, "abc", 3, 0) == 3);
  epoll_event got[2];
  CHECK(::epoll_wait(epoll_fd, got, 2, 1000) == 1);
  // Edge-triggered: the bytes are still there, but the edge is spent. A reader told EAGAIN
  // by the shim now would wait here for ever...
  CHECK(::epoll_wait(epoll_fd, got, 2, 0) == 0);
  // ...unless the shim re-arms the socket, as it does.
  faults::rearm(epoll_fd, pair.server, event, ::epoll_ctl);
  REQUIRE(::epoll_wait(epoll_fd, got, 2, 0) == 1);
  CHECK((got[0].events & EPOLLIN) != 0);
  ::close(epoll_fd);
}
