#include "data_layer/decode_error.hpp"

#include <utility>

#include "data_layer/data.hpp"

namespace data_layer {

std::string_view to_string(DecodeError::Kind kind) {
  switch (kind) {
    case DecodeError::Kind::kTooLong:
      return "too_long";
    case DecodeError::Kind::kInvalidUtf8:
      return "invalid_utf8";
    case DecodeError::Kind::kTruncated:
      return "truncated";
    case DecodeError::Kind::kTrailingBytes:
      return "trailing_bytes";
  }
  return "unknown";  // only reachable through a cast from an out-of-range integer
}

namespace {

DecodeError make(DecodeError::Kind kind, std::string message) {
  return DecodeError{kind, std::move(message)};
}

std::string number(std::size_t value) {
  return std::to_string(value);
}

}  // namespace

DecodeError too_long_error(std::size_t len, std::size_t max_len) {
  return make(DecodeError::Kind::kTooLong,
              "frame too long: " + number(len) + " > " + number(max_len));
}

DecodeError invalid_utf8_error(std::size_t offset) {
  return make(DecodeError::Kind::kInvalidUtf8, "invalid UTF-8 at byte " + number(offset));
}

DecodeError truncated_header_error(std::size_t got) {
  return make(DecodeError::Kind::kTruncated,
              "truncated frame: " + number(got) + " of " + number(kHeaderSize) + " header bytes");
}

DecodeError truncated_body_error(std::size_t got, std::size_t frame_size) {
  return make(DecodeError::Kind::kTruncated,
              "truncated frame: " + number(got) + " of " + number(frame_size) + " bytes");
}

DecodeError trailing_bytes_error(std::size_t extra) {
  return make(DecodeError::Kind::kTrailingBytes,
              "trailing bytes: " + number(extra) + " after the frame");
}

}  // namespace data_layer
