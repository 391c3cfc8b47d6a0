// SentFrames: the requests a stream connection has written and not yet had answered, as
// the bytes that went out, back to back in the order sent. The load generator compares each
// reply with oldest() (ReplyBuffer holds the other side). The answered front is dropped when
// a batch starts, once it is large, so a connection that always has requests in flight
// keeps only those, not every request it ever sent.
// departs from the book: docs/BOOK.md, "The client checks a stream reply by its bytes"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data_layer/data.hpp"

namespace client {

class SentFrames {
 public:
  // Begins the next batch of requests (and drops the answered front if it is large).
  void start_batch();
  // Appends a request, given by its three fields, to the batch.
  void add(std::uint32_t field1, std::uint16_t field2, std::string_view field3) {
    data_layer::serialize_into(field1, field2, field3, bytes_);
  }
  // The bytes added since start_batch(): what the next write sends. Valid until start_batch().
  data_layer::ByteView batch() const;
  // The oldest unanswered request's frame; there must be one. Valid until start_batch().
  data_layer::ByteView oldest() const;
  // The oldest request is answered.
  void pop_oldest();
  // Forgets every request (their connection is gone).
  void clear();
  // Bytes held, answered front included: what the compaction bounds.
  std::size_t held_bytes() const { return bytes_.size(); }

 private:
  // The answered front is dropped at a batch start once it is this large, or larger than
  // what is still owed: moving the owed bytes then costs no more than the bytes dropped.
  static constexpr std::size_t kCompactAt = 64 * 1024;

  data_layer::Bytes bytes_;
  std::size_t head_ = 0;         // where the oldest unanswered frame starts
  std::size_t batch_start_ = 0;  // where the current batch starts
};

}  // namespace client
