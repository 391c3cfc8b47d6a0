// The fixed 10-byte front of every frame, and the decoding steps that depend only on it.
// Both readers, deserialize() for a whole buffer and FrameDecoder for a byte stream, go
// through these functions, so the two can never disagree about what a valid frame is.
//
// Internal to data_layer: callers use data.hpp and frame_decoder.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "data_layer/data.hpp"
#include "data_layer/decode_error.hpp"

namespace data_layer {

struct FrameHeader {
  std::uint32_t field1 = 0;
  std::uint16_t field2 = 0;
  std::uint32_t len = 0;  // what the peer claims field3's length is: untrusted until checked

  std::size_t frame_size() const { return kHeaderSize + len; }
};

// Reads the header from the first kHeaderSize bytes; `bytes` must hold at least that many.
FrameHeader read_header(ByteView bytes);

// The guard against a hostile `len`. Callers run it before they allocate or buffer any of
// the body, which is what keeps a 10-byte header from costing us 4 GiB.
std::optional<DecodeError> check_len(const FrameHeader& header, std::size_t max_len);

// The check a complete body (exactly header.len bytes) must pass: field3 is UTF-8.
std::optional<DecodeError> check_body(ByteView body);

// Data from a header and a body that passed check_body: copies the text into field3.
Data to_data(const FrameHeader& header, ByteView body);

// check_body, then to_data: a complete body as Data, or why it is not one.
DecodeResult decode_body(const FrameHeader& header, ByteView body);

// The kTruncated error for `held`, a proper prefix of a frame: it names the header's size if
// the header is incomplete, the whole frame's size if not.
DecodeError truncated_error(ByteView held);

}  // namespace data_layer
