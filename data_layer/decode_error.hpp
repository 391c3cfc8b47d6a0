// Why a frame was rejected. A reader (deserialize() or FrameDecoder) hands one of these back
// instead of a Data value. The server logs `message`, closes that one connection and counts
// rejections under to_string(kind), so an operator can tell a hostile peer (too_long) from a
// flaky network (truncated) without parsing log lines.
//
// The messages are part of the contract: docs/PROTOCOL.md lists them and
// tests/test_data_layer.cpp pins each one to the character, so logs stay greppable.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace data_layer {

struct DecodeError {
  enum class Kind {
    kTooLong,        // `len` above the reader's maximum; refused before anything is allocated
    kInvalidUtf8,    // field3 is not well-formed UTF-8
    kTruncated,      // the bytes (or the stream) ended inside a frame
    kTrailingBytes,  // deserialize() was given more than one frame's worth of bytes
  };

  Kind kind;
  std::string message;  // names the reason and the numbers involved, for a human reading logs

  bool operator==(const DecodeError&) const = default;
};

// Short names that never change ("too_long", "invalid_utf8", "truncated", "trailing_bytes"):
// safe to use as metric keys and log fields.
std::string_view to_string(DecodeError::Kind kind);

// One constructor per reason, so the wording of each message lives in exactly one place.
DecodeError too_long_error(std::size_t len, std::size_t max_len);
DecodeError invalid_utf8_error(std::size_t offset);   // offset within field3, not the frame
DecodeError truncated_header_error(std::size_t got);  // got < kHeaderSize
DecodeError truncated_body_error(std::size_t got, std::size_t frame_size);
DecodeError trailing_bytes_error(std::size_t extra);

}  // namespace data_layer
