// Readable: a future that is ready once a socket has something to read (data, or the
// peer's end of stream), without reading it.
//
// It lets a connection wait for its first byte holding nothing but this small future: the
// receiver, its decoder and the read's buffers are made only once there is something to
// read, so a connection that stays silent costs a fraction of what a waiting receiver would.
// departs from the book: docs/BOOK.md, "Memory per connection is kept small"
#pragma once

#include "runtime/future.hpp"
#include "runtime/socket.hpp"

namespace runtime {

class Readable {
 public:
  using Output = void;

  explicit Readable(Socket& socket)
      : socket_(&socket), wait_(socket, SocketWait::Direction::kRead) {}
  // Ready on data, on end of stream, and on a socket error (the read that follows reports
  // it): whatever happens next is the reader's business. Like any readiness, it can
  // rarely be a false alarm (a stale event); the reader then simply waits.
  Poll<void> poll(Context& cx);

 private:
  Socket* socket_;
  SocketWait wait_;  // withdrawn when done or destroyed
};

}  // namespace runtime
