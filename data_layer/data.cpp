#include "data_layer/data.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <stdexcept>

#include "data_layer/frame_header.hpp"
#include "data_layer/little_endian.hpp"

namespace data_layer {

std::size_t frame_size(const Data& data) {
  return kHeaderSize + data.field3.size();
}

void serialize_into(const Data& data, Bytes& out) {
  serialize_into(data.field1, data.field2, data.field3, out);
}

void serialize_into(std::uint32_t field1, std::uint16_t field2, std::string_view field3,
                    Bytes& out) {
  if (field3.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("data_layer::serialize_into: field3 does not fit a 32-bit len");
  }
  std::uint8_t header[kHeaderSize];
  store_le32(header, field1);
  store_le16(header + 4, field2);
  store_le32(header + 6, static_cast<std::uint32_t>(field3.size()));
  // Appended, not resize()d and filled: resize would zero the bytes first. (And no exact
  // reserve per call, which would defeat the vector's geometric growth and make batching
  // many frames quadratic.) The text is appended as bytes: from chars into a vector of
  // uint8_t, insert() copies one element at a time; from bytes, it is one memmove.
  const auto* text = reinterpret_cast<const std::uint8_t*>(field3.data());
  out.insert(out.end(), std::begin(header), std::end(header));
  out.insert(out.end(), text, text + field3.size());
}

std::size_t own_frame_size(ByteView header) {
  return read_header(header).frame_size();
}

Bytes serialize(const Data& data) {
  Bytes out;
  serialize_into(data, out);
  return out;
}

std::variant<std::size_t, DecodeError> declared_frame_size(ByteView header, std::size_t max_len) {
  const FrameHeader parsed = read_header(header);
  if (auto error = check_len(parsed, max_len)) return *std::move(error);
  return parsed.frame_size();
}

DecodeResult deserialize(ByteView bytes, std::size_t max_len) {
  if (bytes.size() < kHeaderSize) return truncated_error(bytes);
  const FrameHeader header = read_header(bytes);
  if (auto error = check_len(header, max_len)) return *std::move(error);
  if (bytes.size() < header.frame_size()) return truncated_error(bytes);
  // Framing before content: extra bytes mean the caller's idea of "one frame" is wrong, which
  // matters more than what the frame's text says, and costs nothing to find out.
  if (bytes.size() > header.frame_size()) {
    return trailing_bytes_error(bytes.size() - header.frame_size());
  }
  return decode_body(header, bytes.subspan(kHeaderSize));
}

}  // namespace data_layer
