#include "runtime/tcp_receiver.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

namespace runtime {

namespace {

// Big enough that a burst of pipelined frames is read in one system call.
constexpr std::size_t kScratchSize = 64 * 1024;
thread_local std::array<std::uint8_t, kScratchSize> t_scratch;

// One recv that survives EINTR. Returns the byte count, 0 at end of stream, or -1 for
// "nothing to read yet", after which `wait` has registered cx's waker for readability.
// The socket's hint is asked first, and told what the recv found: it spares the recv
// whose answer it already knows (EAGAIN for a drained socket, 0 at the end).
// departs from the book: docs/BOOK.md, "A reactor: futures wait in `epoll`, not in the run queue"
ssize_t receive(Socket& socket, std::span<std::uint8_t> into, SocketWait& wait, Context& cx) {
  ReadinessHint& hint = socket.hint();
  switch (hint.next_read()) {
    case ReadinessHint::Next::kEnd:
      return 0;
    case ReadinessHint::Next::kWait:
      wait.wait(cx);
      return -1;
    case ReadinessHint::Next::kRecv:
      break;
  }
  for (;;) {
    const ssize_t n = ::recv(socket.fd(), into.data(), into.size(), 0);
    if (n >= 0) {
      hint.on_read(static_cast<std::size_t>(n), into.size());
      return n;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      hint.on_would_block();
      wait.wait(cx);
      return -1;
    }
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "recv");
  }
}

}  // namespace

TcpReceiver::ReadFrame TcpReceiver::read_frame() {
  return ReadFrame(*this);
}
TcpReceiver::ReadFrameBytes TcpReceiver::read_frame_bytes() {
  return ReadFrameBytes(*this, false);
}
TcpReceiver::ReadFrameBytes TcpReceiver::read_all_frame_bytes() {
  return ReadFrameBytes(*this, true);
}
TcpReceiver::ReadExact TcpReceiver::read_exact(std::span<std::uint8_t> buffer) {
  return ReadExact(*this, buffer);
}
TcpReceiver::ReadToEnd TcpReceiver::read_to_end(std::size_t limit) {
  return ReadToEnd(*this, limit);
}
TcpReceiver::ReadSome TcpReceiver::read_some(std::span<std::uint8_t> buffer) {
  return ReadSome(*this, buffer);
}

template <typename Output, typename Take>
Poll<Output> TcpReceiver::poll_frame(SocketWait& wait, Context& cx, Take take) {
  for (;;) {
    if (auto frame = take(decoder_)) {
      wait.withdraw();
      return Output(std::move(*frame));
    }
    if (decoder_.error()) throw FrameError(*decoder_.error());
    const ssize_t n = receive(*socket_, t_scratch, wait, cx);
    if (n < 0) return Pending{};
    if (n == 0) {
      if (auto error = decoder_.finish()) throw FrameError(*error);
      wait.withdraw();
      return Output();  // a clean close between frames
    }
    decoder_.feed({t_scratch.data(), static_cast<std::size_t>(n)});
  }
}

Poll<TcpReceiver::ReadFrame::Output> TcpReceiver::ReadFrame::poll(Context& cx) {
  return receiver_->poll_frame<Output>(
      wait_, cx, [](data_layer::FrameDecoder& decoder) { return decoder.next(); });
}

Poll<TcpReceiver::ReadFrameBytes::Output> TcpReceiver::ReadFrameBytes::poll(Context& cx) {
  return receiver_->poll_frame<Output>(wait_, cx, [all = all_](data_layer::FrameDecoder& decoder) {
    return all ? decoder.next_all_bytes() : decoder.next_bytes();
  });
}

Poll<void> TcpReceiver::ReadExact::poll(Context& cx) {
  while (filled_ < buffer_.size()) {
    const ssize_t n = receive(*receiver_->socket_, buffer_.subspan(filled_), wait_, cx);
    if (n < 0) return Pending{};
    if (n == 0) {
      throw std::system_error(ECONNRESET, std::generic_category(), "connection closed early");
    }
    filled_ += static_cast<std::size_t>(n);
  }
  wait_.withdraw();
  return Ready{};
}

Poll<TcpReceiver::ReadToEnd::Output> TcpReceiver::ReadToEnd::poll(Context& cx) {
  for (;;) {
    // One byte more than the limit is asked for, to tell "exactly at" from "over" (written
    // so that a limit of SIZE_MAX, "no limit", cannot wrap around).
    const std::size_t left = limit_ - bytes_.size();
    const std::size_t room = left < kScratchSize ? left + 1 : kScratchSize;
    const ssize_t n = receive(*receiver_->socket_, {t_scratch.data(), room}, wait_, cx);
    if (n < 0) return Pending{};
    if (n == 0) {
      wait_.withdraw();
      return std::move(bytes_);
    }
    bytes_.insert(bytes_.end(), t_scratch.data(), t_scratch.data() + n);
    if (bytes_.size() > limit_) throw std::length_error("peer sent more than the reply limit");
  }
}

Poll<std::size_t> TcpReceiver::ReadSome::poll(Context& cx) {
  const ssize_t n = receive(*receiver_->socket_, buffer_, wait_, cx);
  if (n < 0) return Pending{};
  wait_.withdraw();
  return static_cast<std::size_t>(n);
}

}  // namespace runtime
