// The Data value and its wire form: one self-delimiting frame (docs/PROTOCOL.md).
//
// Where it sits in a request's path:
//   socket bytes -> FrameDecoder::feed() -> Data frames out of next() -> the server's work
//   reply Data -> serialize_into() a connection's write buffer -> socket
// (The stream server's echo skips the Data: FrameDecoder::next_all_bytes() hands it the
// checked frames that have arrived as bytes, and those bytes are the replies.)
//
// deserialize() is the one-shot reader, for a buffer known to hold exactly one frame (tests,
// tools). Network code uses FrameDecoder (frame_decoder.hpp), which accepts bytes as they
// arrive. Both share the header checks in frame_header.hpp, so they agree on every frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "data_layer/decode_error.hpp"

namespace data_layer {

struct Data {
  std::uint32_t field1 = 0;
  std::uint16_t field2 = 0;
  std::string field3;  // UTF-8; readers reject anything else, writers are trusted to comply

  bool operator==(const Data&) const = default;
};

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// field1 (4) + field2 (2) + len (4). The header alone says how long the whole frame is.
inline constexpr std::size_t kHeaderSize = 10;

// The largest field3 a reader accepts by default. A peer chooses `len`; this bound is what
// stops it from making us allocate gigabytes with one 10-byte header.
inline constexpr std::size_t kDefaultMaxLen = 1 << 20;
// The largest maximum a reader honours: a frame of this len is still exactly 32 bits of
// size (kHeaderSize + len), so its size fits a size_t on every host. A larger maximum is
// taken as this one.
inline constexpr std::size_t kLargestMaxLen = 0xFFFFFFFFu - kHeaderSize;

// The oneshot exchange's whole reply: 14 ASCII bytes, unframed (docs/PROTOCOL.md).
inline constexpr std::string_view kGreeting = "Hello, client!";

// kHeaderSize + field3.size(): the bytes serialize_into() appends.
std::size_t frame_size(const Data& data);

// Appends one frame to `out`, after whatever is there already, so a connection can batch the
// replies to pipelined requests into one buffer and send them with one write.
// Does not check field3's UTF-8 or any max_len: the reader is the side that must defend
// itself. Throws std::length_error if field3 is longer than the 32-bit `len` can describe.
void serialize_into(const Data& data, Bytes& out);

// The same frame from its three fields, for a writer with no Data to hand: the load generator
// writes each request's text into a stack buffer, so a request costs no string.
void serialize_into(std::uint32_t field1, std::uint16_t field2, std::string_view field3,
                    Bytes& out);

// One frame in a fresh buffer.
Bytes serialize(const Data& data);

// The size of the frame whose header starts `header` (at least kHeaderSize bytes), as the
// header declares it, or the kTooLong error for a len above max_len. For readers that keep
// frames as bytes and decode only when they must (the load generator compares each echo
// with its request byte for byte); the checks are FrameDecoder's own.
std::variant<std::size_t, DecodeError> declared_frame_size(ByteView header,
                                                           std::size_t max_len = kDefaultMaxLen);

// The size of the frame whose header starts `header` (at least kHeaderSize bytes), from its
// len with no check: for frames the caller wrote itself (the load generator's record of
// what it sent). A peer's frame goes through declared_frame_size, which checks the len.
std::size_t own_frame_size(ByteView header);

using DecodeResult = std::variant<Data, DecodeError>;

// Decodes `bytes` as exactly one whole frame: fewer bytes are kTruncated, more are
// kTrailingBytes. Checks, in this order: header present, len <= max_len (before touching the
// body), body present, nothing after the frame, field3 is UTF-8.
DecodeResult deserialize(ByteView bytes, std::size_t max_len = kDefaultMaxLen);

}  // namespace data_layer
