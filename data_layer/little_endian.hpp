// Little-endian loads and stores for the frame header's integers. The wire order is fixed
// whatever the host. On a little-endian host (x86-64, most ARM) the wire order is the
// host's, and a memcpy is one mov; elsewhere the bytes are assembled with shifts, because a
// memcpy there would silently write big-endian frames. (The shifts alone should compile to
// one mov, but GCC does not always fold them: the memcpy does not depend on that.)
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace data_layer {

inline constexpr bool kHostIsLittleEndian = std::endian::native == std::endian::little;

inline void store_le16(std::uint8_t* at, std::uint16_t value) {
  if constexpr (kHostIsLittleEndian) {
    std::memcpy(at, &value, sizeof value);
  } else {
    at[0] = static_cast<std::uint8_t>(value);
    at[1] = static_cast<std::uint8_t>(value >> 8);
  }
}

inline void store_le32(std::uint8_t* at, std::uint32_t value) {
  if constexpr (kHostIsLittleEndian) {
    std::memcpy(at, &value, sizeof value);
  } else {
    at[0] = static_cast<std::uint8_t>(value);
    at[1] = static_cast<std::uint8_t>(value >> 8);
    at[2] = static_cast<std::uint8_t>(value >> 16);
    at[3] = static_cast<std::uint8_t>(value >> 24);
  }
}

inline std::uint16_t load_le16(const std::uint8_t* at) {
  if constexpr (kHostIsLittleEndian) {
    std::uint16_t value;
    std::memcpy(&value, at, sizeof value);
    return value;
  } else {
    return static_cast<std::uint16_t>(at[0] | at[1] << 8);
  }
}

inline std::uint32_t load_le32(const std::uint8_t* at) {
  if constexpr (kHostIsLittleEndian) {
    std::uint32_t value;
    std::memcpy(&value, at, sizeof value);
    return value;
  } else {
    return static_cast<std::uint32_t>(at[0]) | static_cast<std::uint32_t>(at[1]) << 8 |
           static_cast<std::uint32_t>(at[2]) << 16 | static_cast<std::uint32_t>(at[3]) << 24;
  }
}

}  // namespace data_layer
