// TCP: the listener, the stream and its sender and receiver futures, over real loopback
// sockets (listeners on port 0). Pinned here: frames are parsed by their length fields
// whatever the read boundaries, every rejection of the protocol surfaces as a FrameError
// of the right kind, a large send survives partial writes byte for byte, and every failure
// of the connection (refused, reset, timed out) is a std::system_error with its errno.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "data_layer/data.hpp"
#include "data_layer/decode_error.hpp"
#include "runtime/executor.hpp"
#include "runtime/poll_now.hpp"
#include "runtime/sleep.hpp"
#include "runtime/socket_address.hpp"
#include "runtime/task.hpp"
#include "runtime/tcp_listener.hpp"
#include "runtime/tcp_receiver.hpp"
#include "runtime/tcp_sender.hpp"
#include "runtime/tcp_stream.hpp"
#include "runtime/when_any.hpp"
#include "runtime/with_timeout.hpp"
#include "runtime/yield_now.hpp"
#include "tests/refused_port.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using data_layer::Bytes;
using data_layer::Data;
using data_layer::DecodeError;
using runtime::Executor;
using runtime::FrameError;
using runtime::SocketAddress;
using runtime::Task;
using runtime::TcpListener;
using runtime::TcpReceiver;
using runtime::TcpSender;
using runtime::TcpStream;

namespace {

TcpListener listen_on(const char* host, int backlog = TcpListener::kDefaultBacklog) {
  return TcpListener::bind(SocketAddress::resolve(host, 0), backlog);
}

// True if this machine can bind a socket to ::1 (containers often have no IPv6 loopback).
bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// A frame written byte by byte here, so that tests can make `len` lie or field3 be invalid.
Bytes raw_frame(std::uint32_t field1, std::uint16_t field2, std::uint32_t len,
                const std::string& body) {
  Bytes out;
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<std::uint8_t>(field1 >> (8 * i)));
  for (int i = 0; i < 2; ++i)
    out.push_back(static_cast<std::uint8_t>(field2 >> (8 * i)));
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<std::uint8_t>(len >> (8 * i)));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Data sample(std::uint32_t i) {
  return Data{i, static_cast<std::uint16_t>(i * 3), "frame " + std::to_string(i) + " héllo"};
}

// The peer's side of most tests: connect, write `bytes` in one send, then close.
Task<> send_and_close(SocketAddress address, Bytes bytes) {
  TcpStream stream = co_await TcpStream::connect(address);
  co_await TcpSender(stream.socket(), bytes);
}

// Accepts one connection and reads frames from it until end of stream (or an error).
Task<std::vector<Data>> read_all_frames(TcpListener& listener,
                                        std::size_t max_frame = data_layer::kDefaultMaxLen) {
  TcpStream stream = co_await listener.accept();
  TcpReceiver receiver(stream.socket(), max_frame);
  std::vector<Data> frames;
  for (;;) {  // ends at end of stream, or at the error read_frame throws
    auto frame = co_await receiver.read_frame();
    if (!frame) break;
    frames.push_back(std::move(*frame));
  }
  co_return frames;
}

// Runs read_all_frames against a peer that sends `bytes` and closes; returns the frames.
std::vector<Data> frames_from(Bytes bytes, std::size_t max_frame = data_layer::kDefaultMaxLen) {
  Executor executor;
  return executor.block_on([](Bytes bytes, std::size_t max_frame) -> Task<std::vector<Data>> {
    TcpListener listener = listen_on("127.0.0.1");
    auto peer = runtime::spawn(send_and_close(listener.local_address(), std::move(bytes)));
    auto frames = co_await read_all_frames(listener, max_frame);
    co_await peer;
    co_return frames;
  }(std::move(bytes), max_frame));
}

// The FrameError a peer sending `bytes` provokes (fails the test if there is none).
std::optional<DecodeError> frame_error_from(Bytes bytes,
                                            std::size_t max_frame = data_layer::kDefaultMaxLen) {
  try {
    frames_from(std::move(bytes), max_frame);
  } catch (const FrameError& error) {
    return error.error();
  }
  FAIL("no FrameError");
  return std::nullopt;
}

// A byte pattern with no short period, so a skipped or repeated chunk cannot go unnoticed.
std::uint8_t pattern_at(std::size_t i) {
  return static_cast<std::uint8_t>((i * 131) ^ (i >> 11) ^ (i >> 19));
}

}  // namespace

TEST_CASE("tcp: accept + connect + TcpSender + read_frame round trip") {
  Executor executor;
  const Data request{7878, 42, "hello, server"};
  const auto reply = executor.block_on([](Data request) -> Task<std::optional<Data>> {
    TcpListener listener = listen_on("127.0.0.1");
    CHECK(listener.local_address().port() != 0);
    // The server: echo one frame back, then see the client's clean close.
    auto server = runtime::spawn([](TcpListener& listener) -> Task<bool> {
      TcpStream stream = co_await listener.accept();
      TcpReceiver receiver(stream.socket());
      auto frame = co_await receiver.read_frame();
      REQUIRE(frame.has_value());
      const Bytes reply = data_layer::serialize(*frame);
      co_await TcpSender(stream.socket(), reply);
      co_return !(co_await receiver.read_frame()).has_value();
    }(listener));

    TcpStream stream = co_await TcpStream::connect(listener.local_address());
    CHECK(SocketAddress::peer_of(stream.fd()).to_string() == listener.local_address().to_string());
    const Bytes bytes = data_layer::serialize(request);
    TcpSender sender(stream.socket(), bytes);
    co_await sender;
    CHECK(sender.written() == bytes.size());
    TcpReceiver receiver(stream.socket());
    auto reply = co_await receiver.read_frame();
    stream.socket().close();
    const bool clean_end = co_await server;
    CHECK(clean_end);  // the server read end of stream after the echo
    co_return reply;
  }(request));
  REQUIRE(reply.has_value());
  CHECK(*reply == request);
}

TEST_CASE("tcp: read_frame reassembles frames that arrive one byte at a time") {
  Executor executor;
  const auto frames = executor.block_on([]() -> Task<std::vector<Data>> {
    TcpListener listener = listen_on("127.0.0.1");
    auto peer = runtime::spawn([](SocketAddress address) -> Task<> {
      TcpStream stream = co_await TcpStream::connect(address);
      stream.socket().set_nodelay();  // each byte its own segment, as far as TCP allows
      Bytes bytes = data_layer::serialize(sample(1));
      data_layer::serialize_into(sample(2), bytes);
      for (std::uint8_t& byte : bytes) {
        co_await TcpSender(stream.socket(), std::span<const std::uint8_t>(&byte, 1));
        co_await runtime::yield_now();  // let the reader see this byte alone
      }
    }(listener.local_address()));
    auto frames = co_await read_all_frames(listener);
    co_await peer;
    co_return frames;
  }());
  REQUIRE(frames.size() == 2);
  CHECK(frames[0] == sample(1));
  CHECK(frames[1] == sample(2));
}

TEST_CASE("tcp: several frames in one write all come out, in order (pipelining)") {
  Bytes bytes;
  for (std::uint32_t i = 0; i < 200; ++i)
    data_layer::serialize_into(sample(i), bytes);
  const auto frames = frames_from(std::move(bytes));
  REQUIRE(frames.size() == 200);
  for (std::uint32_t i = 0; i < 200; ++i)
    CHECK(frames[i] == sample(i));
}

TEST_CASE("tcp: read_frame_bytes gives each frame's checked bytes, then throws at a bad one") {
  // Two good frames, the second split from the first, then a bad one: the good ones come out
  // as their exact bytes, and the bad one is a FrameError as with read_frame.
  Bytes good = data_layer::serialize(sample(1));
  data_layer::serialize_into(sample(2), good);
  const Bytes bad = raw_frame(9, 9, 1, "\xff");
  Executor executor;
  const auto outcome = executor.block_on([](Bytes good, Bytes bad) -> Task<std::vector<Bytes>> {
    TcpListener listener = listen_on("127.0.0.1");
    auto peer = runtime::spawn([](SocketAddress address, Bytes good, Bytes bad) -> Task<> {
      TcpStream stream = co_await TcpStream::connect(address);
      stream.socket().set_nodelay();
      const std::size_t cut = good.size() - 3;  // inside the second frame's text
      co_await TcpSender(stream.socket(), data_layer::ByteView(good).first(cut));
      co_await runtime::yield_now();
      co_await TcpSender(stream.socket(), data_layer::ByteView(good).subspan(cut));
      co_await TcpSender(stream.socket(), bad);
    }(listener.local_address(), good, bad));
    TcpStream stream = co_await listener.accept();
    TcpReceiver receiver(stream.socket());
    std::vector<Bytes> frames;
    try {
      for (int i = 0; i < 10; ++i) {
        auto frame = co_await receiver.read_frame_bytes();
        if (!frame) break;
        frames.emplace_back(frame->begin(), frame->end());  // the view ends at the next read
      }
    } catch (const FrameError& error) {
      CHECK(error.error().kind == DecodeError::Kind::kInvalidUtf8);
      frames.push_back({});  // marks the error
    }
    co_await peer;
    co_return frames;
  }(good, bad));
  REQUIRE(outcome.size() == 3);
  CHECK(outcome[0] == data_layer::serialize(sample(1)));
  CHECK(outcome[1] == data_layer::serialize(sample(2)));
  CHECK(outcome[2].empty());
}

TEST_CASE("tcp: read_all_frame_bytes gives the frames that arrived back to back, then throws") {
  // Three good frames and a bad one, all here before the first read (the peer has sent them
  // and closed: on loopback a finished send is received): one call gives the three good
  // ones together, the next throws for the bad one.
  Bytes good;
  for (std::uint32_t i = 1; i <= 3; ++i)
    data_layer::serialize_into(sample(i), good);
  Bytes with_bad = good;
  const Bytes bad = raw_frame(9, 9, 1, "\xff");
  with_bad.insert(with_bad.end(), bad.begin(), bad.end());
  Executor executor;
  const auto outcome = executor.block_on([](Bytes sent) -> Task<std::pair<Bytes, bool>> {
    TcpListener listener = listen_on("127.0.0.1");
    auto peer = runtime::spawn([](SocketAddress address, Bytes sent) -> Task<> {
      TcpStream stream = co_await TcpStream::connect(address);
      co_await TcpSender(stream.socket(), sent);
    }(listener.local_address(), sent));
    TcpStream stream = co_await listener.accept();
    co_await peer;
    TcpReceiver receiver(stream.socket());
    Bytes first;
    const auto frames = co_await receiver.read_all_frame_bytes();
    if (frames) first.assign(frames->begin(), frames->end());
    bool threw = false;
    try {
      (void)co_await receiver.read_all_frame_bytes();
    } catch (const FrameError& error) {
      threw = error.error().kind == DecodeError::Kind::kInvalidUtf8;
    }
    co_return std::pair{first, threw};
  }(with_bad));
  CHECK(outcome.first == good);
  CHECK(outcome.second);
}

TEST_CASE("tcp: read_some returns what has arrived, then 0 at end of stream") {
  Executor executor;
  const auto got = executor.block_on([]() -> Task<Bytes> {
    TcpListener listener = listen_on("127.0.0.1");
    Bytes bytes(100'000);
    for (std::size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = pattern_at(i);
    auto peer = runtime::spawn(send_and_close(listener.local_address(), std::move(bytes)));
    TcpStream stream = co_await listener.accept();
    TcpReceiver receiver(stream.socket());
    Bytes got;
    std::array<std::uint8_t, 4096> buffer{};
    for (int reads = 0; reads < 100'000; ++reads) {  // one byte a read at worst
      const std::size_t n = co_await receiver.read_some(buffer);
      CHECK(n <= buffer.size());
      if (n == 0) break;
      got.insert(got.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
    }
    co_await peer;
    co_return got;
  }());
  REQUIRE(got.size() == 100'000);
  for (std::size_t i = 0; i < got.size(); ++i)
    if (got[i] != pattern_at(i)) FAIL("byte " << i << " differs");
}

TEST_CASE("tcp: a clean close between frames gives nullopt") {
  CHECK(frames_from({}).empty());  // closed before any frame
  const auto frames = frames_from(data_layer::serialize(sample(5)));
  REQUIRE(frames.size() == 1);  // then read_frame gave nullopt, which ended the loop
  CHECK(frames[0] == sample(5));
}

TEST_CASE("tcp: a close in the middle of a frame throws FrameError truncated") {
  SUBCASE("inside the header") {
    const Bytes whole = raw_frame(1, 2, 5, "hello");
    const auto error = frame_error_from(Bytes(whole.begin(), whole.begin() + 6));
    REQUIRE(error);
    CHECK(error->kind == DecodeError::Kind::kTruncated);
  }
  SUBCASE("inside the body, after a whole frame") {
    Bytes bytes = data_layer::serialize(sample(1));
    const Bytes cut = raw_frame(1, 2, 5, "hel");
    bytes.insert(bytes.end(), cut.begin(), cut.end());
    const auto error = frame_error_from(bytes);
    REQUIRE(error);
    CHECK(error->kind == DecodeError::Kind::kTruncated);
  }
}

TEST_CASE("tcp: a len above the maximum throws FrameError too_long") {
  SUBCASE("the default maximum, 1 MiB") {
    // Only the header is sent: the reader must refuse it without waiting for the body.
    const auto error = frame_error_from(raw_frame(1, 2, data_layer::kDefaultMaxLen + 1, ""));
    REQUIRE(error);
    CHECK(error->kind == DecodeError::Kind::kTooLong);
  }
  SUBCASE("a receiver's own maximum") {
    CHECK(frames_from(raw_frame(1, 2, 16, std::string(16, 'x')), 16).size() == 1);
    const auto error = frame_error_from(raw_frame(1, 2, 17, std::string(17, 'x')), 16);
    REQUIRE(error);
    CHECK(error->kind == DecodeError::Kind::kTooLong);
  }
}

TEST_CASE("tcp: field3 that is not UTF-8 throws FrameError invalid_utf8") {
  Bytes bytes = data_layer::serialize(sample(1));
  const Bytes bad = raw_frame(9, 9, 3,
                              "a\xff"
                              "b");
  bytes.insert(bytes.end(), bad.begin(), bad.end());
  const auto error = frame_error_from(bytes);
  REQUIRE(error);
  CHECK(error->kind == DecodeError::Kind::kInvalidUtf8);
}

TEST_CASE("tcp: read_exact fills its buffer across writes, and a short stream is an error") {
  Executor executor;
  executor.block_on([]() -> Task<> {
    TcpListener listener = listen_on("127.0.0.1");
    auto peer = runtime::spawn([](SocketAddress address) -> Task<> {
      TcpStream stream = co_await TcpStream::connect(address);
      co_await TcpSender(stream.socket(), "abc");
      co_await runtime::yield_now();
      co_await TcpSender(stream.socket(), "defgh");
      co_await runtime::yield_now();
      co_await TcpSender(stream.socket(), "ij");  // then close, short of what is asked
    }(listener.local_address()));
    TcpStream stream = co_await listener.accept();
    TcpReceiver receiver(stream.socket());
    std::array<std::uint8_t, 8> first{};
    co_await receiver.read_exact(first);
    CHECK(std::string(first.begin(), first.end()) == "abcdefgh");
    std::array<std::uint8_t, 3> rest{};
    bool threw = false;
    try {
      co_await receiver.read_exact(rest);
    } catch (const std::system_error& error) {
      threw = error.code() == std::errc::connection_reset;
    }
    CHECK(threw);
    CHECK(rest[0] == 'i');
    co_await peer;
  }());
}

TEST_CASE("tcp: read_to_end accepts exactly its limit and throws length_error past it") {
  Executor executor;
  auto read_to_end = [&executor](std::size_t sent, std::size_t limit) {
    return executor.block_on([](std::size_t sent, std::size_t limit) -> Task<Bytes> {
      TcpListener listener = listen_on("127.0.0.1");
      Bytes bytes(sent);
      for (std::size_t i = 0; i < sent; ++i)
        bytes[i] = pattern_at(i);
      auto peer = runtime::spawn(send_and_close(listener.local_address(), bytes));
      TcpStream stream = co_await listener.accept();
      TcpReceiver receiver(stream.socket());
      auto got = co_await receiver.read_to_end(limit);
      co_await peer;
      CHECK(got == bytes);
      co_return got;
    }(sent, limit));
  };
  CHECK(read_to_end(14, 14).size() == 14);
  CHECK(read_to_end(0, 14).empty());
  CHECK(read_to_end(200000, 200000).size() == 200000);  // several reads, the last at the limit
  CHECK_THROWS_AS(read_to_end(15, 14), std::length_error);
  CHECK_THROWS_AS(read_to_end(200001, 200000), std::length_error);
  CHECK(read_to_end(14, SIZE_MAX).size() == 14);  // "no limit" must not wrap to a tiny one
}

TEST_CASE("tcp: a large send to a slow reader delivers every byte exactly once") {
  constexpr std::size_t kSize = 8 << 20;
  Bytes bytes(kSize);
  for (std::size_t i = 0; i < kSize; ++i)
    bytes[i] = pattern_at(i);
  Executor executor;
  executor.block_on([](const Bytes& bytes) -> Task<> {
    TcpListener listener = listen_on("127.0.0.1");
    auto writer =
        runtime::spawn([](SocketAddress address, const Bytes& bytes) -> Task<std::size_t> {
          TcpStream stream = co_await TcpStream::connect(address);
          TcpSender sender(stream.socket(), bytes);
          co_await sender;  // far beyond the socket buffers: many partial writes
          co_return sender.written();
        }(listener.local_address(), bytes));

    TcpStream stream = co_await listener.accept();
    TcpReceiver receiver(stream.socket());
    Bytes got(bytes.size());
    std::size_t mismatches = 0;
    // Slow: small reads, and a trip through the run queue after each one.
    constexpr std::size_t kChunk = 16 * 1024;
    for (std::size_t at = 0; at < got.size(); at += kChunk) {
      const std::size_t size = std::min(kChunk, got.size() - at);
      co_await receiver.read_exact(std::span<std::uint8_t>(got.data() + at, size));
      co_await runtime::yield_now();
    }
    for (std::size_t i = 0; i < got.size(); ++i)
      mismatches += got[i] != bytes[i] ? 1 : 0;
    CHECK(mismatches == 0);
    const std::size_t written = co_await writer;
    CHECK(written == bytes.size());
    const Bytes after = co_await receiver.read_to_end(0);
    CHECK(after.empty());  // and nothing after the last byte
  }(bytes));
}

TEST_CASE("tcp: sending to a peer that closed is a system_error, not SIGPIPE") {
  // SIGPIPE's default action kills the process: make sure it is in force for this test.
  struct sigaction previous {};
  struct sigaction fatal {};
  fatal.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &fatal, &previous);
  Executor executor;
  const int code = executor.block_on([]() -> Task<int> {
    TcpListener listener = listen_on("127.0.0.1");
    TcpStream stream = co_await TcpStream::connect(listener.local_address());
    { TcpStream accepted = co_await listener.accept(); }  // the peer closes at once
    TcpReceiver receiver(stream.socket());
    const Bytes before_fin = co_await receiver.read_to_end(0);
    CHECK(before_fin.empty());  // its FIN has arrived
    const Bytes chunk(1024, 0x42);
    for (int attempt = 0; attempt < 1000; ++attempt) {
      try {
        co_await TcpSender(stream.socket(), chunk);  // the first draws an RST
      } catch (const std::system_error& error) {
        co_return error.code().value();
      }
      co_await runtime::yield_now();
    }
    co_return 0;
  }());
  sigaction(SIGPIPE, &previous, nullptr);
  CHECK((code == EPIPE || code == ECONNRESET));
}

TEST_CASE("tcp: connecting to a port nobody listens on gives ECONNREFUSED") {
  const test::RefusedPort refused;
  const SocketAddress& address = refused.address();

  Executor executor;
  int code = 0;
  try {
    executor.block_on([](SocketAddress address) -> Task<> {
      TcpStream stream = co_await TcpStream::connect(address);
    }(address));
  } catch (const std::system_error& error) {
    code = error.code().value();
  }
  CHECK(code == ECONNREFUSED);
  code = 0;
  try {  // the form with a timeout reports the refusal the same way
    executor.block_on([](SocketAddress address) -> Task<> {
      TcpStream stream = co_await TcpStream::connect(address, test::kWatchdogLimit);
    }(address));
  } catch (const std::system_error& error) {
    code = error.code().value();
  }
  CHECK(code == ECONNREFUSED);
  CHECK(executor.reactor().timers() == 0);
  CHECK(executor.reactor().fds_waited_on() == 0);
}

TEST_CASE(
    "tcp: a loopback connect is ready at its first poll, in no reactor, and its first read "
    "still finds a reply that came first") {
  // On loopback the kernel ends the handshake inside connect() (its SYN, SYN-ACK and ACK
  // are handled in the caller's own system call), so the connect is done before the
  // server accepts: the request can go out at once (docs/BOOK.md, "A connect is checked at
  // once"). The reply is written and the server side closed before the client's first read,
  // which does not ask recv first: it must still come, reported by the reactor.
  Executor executor;
  executor.block_on([]() -> Task<> {
    TcpListener listener = listen_on("127.0.0.1");
    for (std::uint32_t i = 0; i < 20; ++i) {
      CAPTURE(i);
      const std::size_t waited_on = Executor::current()->reactor().fds_waited_on();
      auto connected = co_await runtime::poll_now(TcpStream::connect(listener.local_address()));
      REQUIRE(connected.has_value());
      CHECK(Executor::current()->reactor().fds_waited_on() == waited_on);
      TcpStream& stream = *connected;
      const Bytes request = data_layer::serialize(sample(i));
      co_await TcpSender(stream.socket(), request);
      TcpStream accepted = co_await listener.accept();
      TcpReceiver server_side(accepted.socket());
      auto got = co_await server_side.read_frame();
      REQUIRE(got.has_value());
      CHECK(*got == sample(i));
      const Bytes reply = {'o', 'k'};
      co_await TcpSender(accepted.socket(), reply);
      accepted.socket().close();
      TcpReceiver client_side(stream.socket());
      const std::vector<std::uint8_t> answer = co_await client_side.read_to_end(64);
      CHECK(answer == reply);
    }
  }());
  CHECK(executor.reactor().fds_waited_on() == 0);
}

TEST_CASE("tcp: TcpStream::connect with a timeout gives up with ETIMEDOUT") {
  // A listener with a backlog of 0 that never accepts: once its accept queue holds one
  // connection, Linux drops further SYNs, so the next connect hangs in SYN retries (the
  // first retry is a second away) without a packet leaving loopback.
  Executor executor;
  const auto [code, waited] =
      executor.block_on([]() -> Task<std::pair<int, std::chrono::nanoseconds>> {
        TcpListener listener = listen_on("127.0.0.1", 0);
        std::vector<TcpStream> queued;  // kept open, so they keep the queue full
        for (int attempt = 0; attempt < 16; ++attempt) {
          const auto started = std::chrono::steady_clock::now();
          try {
            queued.push_back(co_await TcpStream::connect(listener.local_address(), 100ms));
          } catch (const std::system_error& error) {
            co_return std::pair{error.code().value(), std::chrono::steady_clock::now() - started};
          }
        }
        co_return std::pair{0, std::chrono::nanoseconds(0)};
      }());
  CHECK(code == ETIMEDOUT);
  CHECK(waited >= 100ms);
  CHECK(executor.reactor().timers() == 0);
  CHECK(executor.reactor().fds_waited_on() == 0);  // the abandoned connect was closed
}

TEST_CASE("tcp: round trip over IPv6 loopback") {
  if (!ipv6_loopback_available()) {
    MESSAGE("skipped: no IPv6 loopback (::1) on this machine");
    return;
  }
  Executor executor;
  const auto frames = executor.block_on([]() -> Task<std::vector<Data>> {
    TcpListener listener = listen_on("::1");
    CHECK(listener.local_address().family() == AF_INET6);
    CHECK(listener.local_address().to_string().rfind("[::1]:", 0) == 0);
    auto peer =
        runtime::spawn(send_and_close(listener.local_address(), data_layer::serialize(sample(6))));
    auto frames = co_await read_all_frames(listener);
    co_await peer;
    co_return frames;
  }());
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == sample(6));
}

TEST_CASE("socket address: resolves numeric addresses and names, and prints them") {
  const SocketAddress v4 = SocketAddress::resolve("127.0.0.1", 7878);
  CHECK(v4.family() == AF_INET);
  CHECK(v4.port() == 7878);
  CHECK(v4.to_string() == "127.0.0.1:7878");

  const SocketAddress v6 = SocketAddress::resolve("::1", 7878);
  CHECK(v6.family() == AF_INET6);
  CHECK(v6.port() == 7878);
  CHECK(v6.to_string() == "[::1]:7878");
  // The bracketed form to_string() prints is accepted back.
  CHECK(SocketAddress::resolve("[::1]", 7878).to_string() == "[::1]:7878");

  const SocketAddress named = SocketAddress::resolve("localhost", 80);
  CHECK(named.port() == 80);
  const std::string text = named.to_string();
  CHECK((text == "127.0.0.1:80" || text == "[::1]:80"));
}

TEST_CASE("socket address: a host that cannot be resolved is invalid_argument") {
  CHECK_THROWS_AS(SocketAddress::resolve("", 80), std::invalid_argument);
  // No lookup of a real name here: that would send a DNS query off this machine.
  CHECK_THROWS_AS(SocketAddress::resolve("[::1", 80), std::invalid_argument);
}

TEST_CASE("tcp: a stream that waited on one executor can be read on another") {
  TcpListener listener = listen_on("127.0.0.1");
  runtime::Executor connecting;
  TcpStream client = connecting.block_on(TcpStream::connect(listener.local_address()));
  // A read that waits and is cancelled binds the socket to this executor's reactor.
  const bool early = connecting.block_on([](TcpStream& c) -> Task<bool> {
    TcpReceiver receiver(c.socket());
    std::array<std::uint8_t, 1> byte{};
    auto read = co_await runtime::with_timeout(receiver.read_exact(byte), 1ms);
    co_return read.has_value();
  }(client));
  REQUIRE(!early);
  runtime::Executor reading;
  // The read waits first (EAGAIN), then the peer writes: the wake must reach the executor
  // that is reading, not the one that connected (which nobody is running any more).
  const bool got = reading.block_on([](TcpListener& l, TcpStream& c) -> Task<bool> {
    TcpStream server = co_await l.accept();
    auto writer = runtime::spawn([](TcpStream& s) -> Task<> {
      co_await runtime::yield_now();
      co_await runtime::yield_now();
      co_await runtime::TcpSender(s.socket(), std::string_view("hi"));
    }(server));
    TcpReceiver receiver(c.socket());
    std::array<std::uint8_t, 2> buffer{};
    // The deadline is listed first, so a read rescued by the timer (a lost wake-up that the
    // timeout's own wake papers over) counts as the failure it is.
    auto outcome = co_await runtime::when_any(runtime::Sleep(test::kWatchdogLimit),
                                              receiver.read_exact(buffer));
    co_await writer;
    co_return outcome.index() == 1;
  }(listener, client));
  CHECK(got);
}
