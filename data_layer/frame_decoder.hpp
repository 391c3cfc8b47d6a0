// The incremental reader network code uses. A socket delivers bytes in whatever pieces the
// kernel chose: half a header, three frames and a bit, one byte at a time. The server feeds
// each read to feed(), takes the complete frames out of next() (as Data), next_bytes() (as
// their wire bytes) or next_all_bytes() (all that are waiting, as bytes) in arrival order,
// and closes the connection when error() is set (after taking the frames that came before
// it) or when finish() reports a frame cut short at end of stream.
//
// One decoder per connection, used by one thread at a time; it does no I/O and never blocks.
//
// Each feed() works through its chunk frame by frame, in one of two states:
//   1) nothing held: the frames wholly inside the chunk are checked where they lie (len,
//      then UTF-8) and their bytes are appended to the ready queue in one copy. A frame the
//      chunk cuts short goes to 2).
//   2) a split frame held in partial_: bytes are appended until the header is complete
//      (then `len` is checked, and the exact frame size reserved), then until the body is;
//      the finished frame is checked and queued (a large one handed over in its buffer, not
//      copied, when the queue is empty) and the decoder is back in 1).
// A malformed frame sets error() for good: later bytes, in this chunk or the next, are
// ignored, but frames completed before it are still handed out.
//
// Why the queue holds bytes, not Data: a frame that is only passed on (the stream server's
// echo) then costs two copies of its bytes (into the queue, then into the reply), not a
// string allocated, filled, serialized and freed; and all the waiting frames share one buffer.
// next() makes the Data when it is asked for.
//
// Memory: a new decoder holds no heap memory. Its two buffers are freed as they empty if
// they grew past kRetainedCapacity (in the .cpp), so one large frame or burst does not stay
// pinned to a connection that then goes quiet, and an idle connection's decoder costs
// little more than its own size.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "data_layer/data.hpp"
#include "data_layer/decode_error.hpp"

namespace data_layer {

class FrameDecoder {
 public:
  // Frames whose `len` exceeds max_len are rejected from the header alone.
  explicit FrameDecoder(std::size_t max_len = kDefaultMaxLen);

  // Accepts the next bytes of the stream, any size, split anywhere. The decoder copies what
  // it keeps, so the caller may reuse `chunk`'s storage as soon as this returns.
  void feed(ByteView chunk);

  // The next complete frame in arrival order, or nullopt if none is complete yet.
  std::optional<Data> next();

  // The same frame as next() would return, as its wire bytes (already checked: its len is
  // within max_len and its field3 is UTF-8). The view lasts until the next feed(), next(),
  // next_bytes() or next_all_bytes(): copy what must outlive it.
  std::optional<ByteView> next_bytes();

  // Every complete frame waiting, back to back as their wire bytes (each checked as
  // next_bytes() checks it), or nullopt if none is: for a caller that passes frames on in
  // order and unchanged (the stream server's echo with no delay), so a burst of pipelined
  // requests is taken in one call. Its view lasts as next_bytes()'s does.
  std::optional<ByteView> next_all_bytes();

  // Set once a malformed frame is met. Frames completed before it still come out of next(),
  // next_bytes() and next_all_bytes(), so drain those first, then check this.
  const std::optional<DecodeError>& error() const { return error_; }

  // For the end of the stream: error() if set, else a kTruncated error if part of a frame is
  // held, else nullopt (the peer stopped cleanly between frames).
  std::optional<DecodeError> finish() const;

  // No partial frame held and no frame waiting in next(): the connection may be closed or
  // parked without losing anything.
  bool idle() const { return partial_.empty() && ready_head_ == ready_.size(); }

  // A complete frame is waiting: next(), next_bytes() or next_all_bytes() will return it
  // without more bytes.
  bool has_frame() const { return ready_head_ < ready_.size(); }

  std::size_t max_len() const { return max_len_; }

  // Heap bytes reserved by the decoder's own buffers. For tests and per-connection memory
  // statistics.
  std::size_t capacity_bytes() const;

 private:
  ByteView decode_in_place(ByteView chunk);
  ByteView buffer_partial(ByteView chunk);
  ByteView top_up(ByteView chunk, std::size_t target);
  void queue_partial();
  void fail(DecodeError error);
  void drop_delivered();
  void release_partial();

  // Chosen by the server; bounds what one peer can make this decoder reserve.
  std::size_t max_len_;
  // The bytes of a frame split across reads, kept until the rest arrives. Empty in state 1.
  Bytes partial_;
  // The bytes of the checked frames not yet handed out, back to back, behind the ones that
  // were: those are erased at the next feed(), as soon as next() takes the last one, or when
  // next_bytes() or next_all_bytes() finds none left (its last view has then expired).
  Bytes ready_;
  // Where in ready_ the first frame not yet handed out begins.
  std::size_t ready_head_ = 0;
  // The first malformed frame's error; once set, feed() ignores its input.
  std::optional<DecodeError> error_;
};

}  // namespace data_layer
