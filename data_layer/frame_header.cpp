#include "data_layer/frame_header.hpp"

#include <algorithm>
#include <string_view>

#include "data_layer/little_endian.hpp"
#include "data_layer/utf8.hpp"

namespace data_layer {

FrameHeader read_header(ByteView bytes) {
  return FrameHeader{
      .field1 = load_le32(bytes.data()),
      .field2 = load_le16(bytes.data() + 4),
      .len = load_le32(bytes.data() + 6),
  };
}

std::optional<DecodeError> check_len(const FrameHeader& header, std::size_t max_len) {
  max_len = std::min(max_len, kLargestMaxLen);  // so that frame_size() cannot wrap
  if (header.len <= max_len) return std::nullopt;
  return too_long_error(header.len, max_len);
}

namespace {

// Bytes to chars is a legal view: char may alias any object.
std::string_view text_of(ByteView body) {
  return {reinterpret_cast<const char*>(body.data()), body.size()};
}

}  // namespace

std::optional<DecodeError> check_body(ByteView body) {
  if (auto offset = find_invalid_utf8(text_of(body))) return invalid_utf8_error(*offset);
  return std::nullopt;
}

Data to_data(const FrameHeader& header, ByteView body) {
  return Data{header.field1, header.field2, std::string(text_of(body))};
}

DecodeResult decode_body(const FrameHeader& header, ByteView body) {
  if (auto error = check_body(body)) return *std::move(error);
  return to_data(header, body);
}

DecodeError truncated_error(ByteView held) {
  if (held.size() < kHeaderSize) return truncated_header_error(held.size());
  return truncated_body_error(held.size(), read_header(held).frame_size());
}

}  // namespace data_layer
