// ReadinessHint: what a socket knows of its own readiness between system calls, so that a
// reader skips a recv whose answer is already known and a connect skips asking the kernel
// how its handshake ended. The reactor tells it what each event said (on_event, with the
// EventHint its backend derived from the event), a reader tells it what each read found
// (on_read, on_would_block), and before reading, a reader asks it one question
// (next_read). Each Socket holds one; tests/test_reactor.cpp ("readiness hint: ...") pins
// every move below.
// departs from the book: docs/BOOK.md, "A reactor: futures wait in `epoll`, not in the run queue"
//
// The read states:
//
//   1) kMaybeReadable  nothing says the socket is empty: it is new to its reactor, or the
//                      reactor reported it readable since a read last drained it. A reader
//                      asks recv.
//   2) kDrained        a read found nothing (EAGAIN) or fewer bytes than it asked for, or
//                      an event said nothing is queued. A reader waits for the reactor
//                      without the recv that would only say EAGAIN.
//   3) kStopsShort     the reactor saw an error, a hang-up or TCP urgent data: a read may
//                      now stop short with more to come, so a short read proves nothing,
//                      and every read asks recv.
//   4) kEndQueued      the reactor saw the peer's clean end of stream: every byte the peer
//                      sent is queued here already. A reader asks recv.
//   5) kAtEnd          a read drained the socket in 4), so it has read up to the end. A
//                      reader takes the end without the recv that would only say 0.
//
// The moves, why each loses nothing, and the test that pins it:
//
//   1 -> 2     a short read, or EAGAIN. Every byte that arrives later produces an event:
//              edge-triggered epoll reports each arrival, attaching to a reactor reports
//              data already there, and level-triggered poll(2) reports it for as long as
//              the reader waits. ("a read that drained the socket waits, and wakes for the
//              next bytes"; "readiness hint: 1) and 2)")
//   2 -> 1     a readable event. ("readiness hint: 1) and 2)")
//   1, 3 -> 2  an event with kNothingToRead. epoll works each event's bits out from the
//              socket as it is at that moment, in every direction, and reports the next
//              arrival as a new event; so that event proves nothing is queued, and that
//              none of 3)'s reasons remains (urgent data, an error, a hang-up would each
//              have shown). ("readiness hint: an event that knows there is nothing to read
//              drains it")
//   1, 2 -> 3  kBroken or kUrgent. A hang-up's end of stream is reported once, possibly in
//              the same event as the last bytes, so the read that takes them must not then
//              wait for another; a read stops at the urgent mark with more queued behind
//              it. Reads do not leave 3). ("a read that drains the data still sees the end
//              of stream that came with it"; "a short read that stops at the TCP urgent
//              mark is not taken as drained"; "readiness hint: 3)")
//   1, 2, 3 -> 4  kCleanEnd. TCP delivers a FIN only after every byte before it.
//              ("readiness hint: 4) and 5)")
//   4 -> 5     a short read, or EAGAIN: everything before the FIN has been read.
//              ("readiness hint: 4) and 5)"; "a connected stream reads to a clean end")
//   4 and 5 stay put whatever the reactor reports next: no byte follows a FIN, and a reset
//              that comes later does not undo it, since a read after the FIN answers 0
//              whatever follows. Nothing-to-read never comes once the FIN is in (the
//              kernel reports a socket with its read side shut as readable in every
//              event); following one would strand a reader waiting for an edge that came
//              already. ("readiness hint: 4) and 5) ...")
//   1 -> 2     a connect done before the socket ever waited (on_connected_unattached,
//              TcpStream::Connect). Nothing has been read, and the socket is in no reactor:
//              its first wait attaches it, and attaching reports the bytes already there, so
//              the recv that would most likely say EAGAIN is skipped. The same move a
//              connect's writable event makes with kNothingToRead. ("readiness hint: a
//              connect over before any wait starts drained"; "tcp: a loopback connect is
//              ready at its first poll ...")
//   any -> 1   the socket leaves its reactor (closed, released, moved from): what that
//              reactor reported says nothing of the next one. ("socket: leaving its
//              reactor forgets the hint")
//
// Apart from reading, one fact about writing, kept from the last writable event
// (connect_proved): it reported no error or hang-up. Linux reports no writability while a
// TCP handshake is going and an error once it failed (tcp_poll, for epoll and poll(2)
// alike), so for a socket whose connect is in progress that is proof the handshake
// succeeded, and TcpStream::Connect asks the kernel nothing. ("readiness hint:
// writability proves a connect only when the event had no error"; tests/test_tcp.cpp's
// refused connect fails if the error is ignored.)
#pragma once

#include <cstddef>
#include <cstdint>

namespace runtime {

// What one event said beyond which directions are ready, as far as its backend can tell
// (poller_epoll.cpp, poller_poll.cpp): PollEvent carries it to ReadinessHint::on_event.
enum class EventHint : std::uint8_t {
  kNone,           // nothing, not even "no error" (poll(2) off Linux: poller_poll.cpp)
  kNoError,        // no error or hang-up, and nothing more to say
  kNothingToRead,  // no error or hang-up, and nothing queued to read (epoll only)
  kUrgent,         // TCP urgent data is queued (epoll only)
  kCleanEnd,       // the peer's FIN, with no error, hang-up or urgent data (epoll only)
  kBroken,         // an error or a hang-up
};

class ReadinessHint {
 public:
  enum class State : std::uint8_t { kMaybeReadable, kDrained, kStopsShort, kEndQueued, kAtEnd };
  // A reader's question before it reads: ask recv, wait for the reactor without asking, or
  // take the end of stream without asking.
  enum class Next : std::uint8_t { kRecv, kWait, kEnd };

  Next next_read() const {
    if (state_ == State::kDrained) return Next::kWait;
    if (state_ == State::kAtEnd) return Next::kEnd;
    return Next::kRecv;
  }
  // The last writable event reported no error: a connect in progress has succeeded.
  bool connect_proved() const { return connect_proved_; }
  State state() const { return state_; }

  // The reactor's side: an event for this socket, with what its backend could tell.
  void on_event(bool readable, bool writable, EventHint hint);
  // A reader's side: a recv answered `got` bytes of the `asked` (0 at end of stream).
  void on_read(std::size_t got, std::size_t asked);
  // A reader's side: a recv, or a peek, answered EAGAIN.
  void on_would_block();
  // The connect's side: the handshake was over before the socket ever waited, so it is in
  // no reactor yet (1 -> 2 above; not for a socket a reactor has reported on).
  void on_connected_unattached();

 private:
  void read_drained();  // a short read or EAGAIN: 1 -> 2, 4 -> 5

  State state_ = State::kMaybeReadable;
  bool connect_proved_ = false;
};

}  // namespace runtime
