// UTF-8 validation for field3. The protocol promises that field3 is text, so a reader checks
// it once the frame is complete (decode_body() in frame_header.cpp) and rejects the frame
// with the offset of the first bad byte: a server never passes malformed text on.
//
// "Valid" is the strict definition (Unicode, Table 3-7, "well-formed UTF-8 byte sequences"):
// no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no stray
// continuation bytes, no sequence cut short. Strict matters: lenient decoders are how an
// overlong "/" (C0 AF) slips past a filter that only looks for 2F.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace data_layer {

// The byte offset where the first invalid sequence starts, or nullopt if `text` is valid.
// A sequence cut short by the end of `text` is invalid at its first byte.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

}  // namespace data_layer
