// Little-endian loads and stores for the frame header's integers. The wire order is fixed
// whatever the host, so these assemble values byte by byte with shifts: a memcpy of a host
// integer would silently write big-endian frames on a big-endian machine. On x86-64, g++ and
// clang compile each of these to a single mov, so portability costs nothing.
#pragma once

#include <cstdint>

namespace data_layer {

inline void store_le16(std::uint8_t* at, std::uint16_t value) {
  at[0] = static_cast<std::uint8_t>(value);
  at[1] = static_cast<std::uint8_t>(value >> 8);
}

inline void store_le32(std::uint8_t* at, std::uint32_t value) {
  at[0] = static_cast<std::uint8_t>(value);
  at[1] = static_cast<std::uint8_t>(value >> 8);
  at[2] = static_cast<std::uint8_t>(value >> 16);
  at[3] = static_cast<std::uint8_t>(value >> 24);
}

inline std::uint16_t load_le16(const std::uint8_t* at) {
  return static_cast<std::uint16_t>(at[0] | at[1] << 8);
}

inline std::uint32_t load_le32(const std::uint8_t* at) {
  return static_cast<std::uint32_t>(at[0]) | static_cast<std::uint32_t>(at[1]) << 8 |
         static_cast<std::uint32_t>(at[2]) << 16 | static_cast<std::uint32_t>(at[3]) << 24;
}

}  // namespace data_layer
