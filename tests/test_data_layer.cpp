// data_layer: the frame format, the UTF-8 check and the incremental decoder, tested through
// their public functions only. Every rejection is pinned to its exact message, because those
// messages are part of the protocol document (docs/PROTOCOL.md) and of the server's logs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "data_layer/data.hpp"
#include "data_layer/decode_error.hpp"
#include "data_layer/frame_decoder.hpp"
#include "data_layer/utf8.hpp"

using data_layer::Bytes;
using data_layer::ByteView;
using data_layer::Data;
using data_layer::DecodeError;
using data_layer::DecodeResult;
using data_layer::FrameDecoder;

namespace {

// Appends `value`'s low `size` bytes, least significant first: written here independently of
// the library so that the tests do not check the encoder against itself.
void put_le(Bytes& out, std::uint32_t value, int size) {
  for (int i = 0; i < size; ++i) {
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
}

// A frame written by hand, so tests can send a `len` that lies about the body.
Bytes raw_frame(std::uint32_t field1, std::uint16_t field2, std::uint32_t len,
                std::string_view body) {
  Bytes out;
  put_le(out, field1, 4);
  put_le(out, field2, 2);
  put_le(out, len, 4);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// A well-formed header followed by `body`, whatever `body` holds.
Bytes frame_with_body(std::string_view body) {
  return raw_frame(7, 8, static_cast<std::uint32_t>(body.size()), body);
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) {
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

ByteView slice(const Bytes& bytes, std::size_t from, std::size_t to) {
  return ByteView(bytes).subspan(from, to - from);
}

std::vector<Data> drain(FrameDecoder& decoder) {
  std::vector<Data> frames;
  while (auto frame = decoder.next()) {
    frames.push_back(std::move(*frame));
  }
  return frames;
}

Data decoded(const DecodeResult& result) {
  REQUIRE(std::holds_alternative<Data>(result));
  return std::get<Data>(result);
}

DecodeError rejected(const DecodeResult& result) {
  REQUIRE(std::holds_alternative<DecodeError>(result));
  return std::get<DecodeError>(result);
}

void check_error(const std::optional<DecodeError>& error, DecodeError::Kind kind,
                 std::string_view message) {
  REQUIRE(error.has_value());
  CHECK(error->kind == kind);
  CHECK(error->message == message);
}

// A frame with a field3 that exercises 1-, 2-, 3- and 4-byte UTF-8 sequences.
const Data kSample{0xDEADBEEF, 0xBEEF, "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9D\x84\x9E!"};

// --- a second, deliberately naive definition of valid UTF-8 -------------------------------

// Decodes by bit pattern, then rejects what Unicode forbids. Slow and obvious on purpose:
// find_invalid_utf8 must agree with it on every input the tests throw at both.
std::optional<std::size_t> reference_invalid_utf8(std::string_view text) {
  constexpr std::uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (lead < 0x80) {
      length = 1;
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07u;
    } else {
      return i;
    }
    if (text.size() - i < length) return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code_point = code_point << 6 | (next & 0x3Fu);
    }
    if (length > 1 && code_point < kMinForLength[length]) return i;  // overlong
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return i;      // surrogate
    if (code_point > 0x10FFFF) return i;
    i += length;
  }
  return std::nullopt;
}

std::string encode_utf8(std::uint32_t code_point) {
  std::string out;
  auto put = [&out](std::uint32_t byte) { out.push_back(static_cast<char>(byte)); };
  if (code_point < 0x80) {
    put(code_point);
  } else if (code_point < 0x800) {
    put(0xC0 | code_point >> 6);
    put(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    put(0xE0 | code_point >> 12);
    put(0x80 | (code_point >> 6 & 0x3F));
    put(0x80 | (code_point & 0x3F));
  } else {
    put(0xF0 | code_point >> 18);
    put(0x80 | (code_point >> 12 & 0x3F));
    put(0x80 | (code_point >> 6 & 0x3F));
    put(0x80 | (code_point & 0x3F));
  }
  return out;
}

}  // namespace

TEST_SUITE_BEGIN("data_layer");

// --- the frame format ----------------------------------------------------------------------

TEST_CASE("serialize writes Data{1, 2, \"hi\"} as the golden vector") {
  const Bytes expected{0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x68, 0x69};
  CHECK(data_layer::serialize(Data{1, 2, "hi"}) == expected);
  CHECK(decoded(data_layer::deserialize(expected)) == Data{1, 2, "hi"});
}

TEST_CASE("integers are written least significant byte first, whatever the host") {
  const Bytes bytes = data_layer::serialize(Data{0x04030201, 0x0605, ""});
  CHECK(bytes == Bytes{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x00, 0x00, 0x00, 0x00});
  const Bytes long_text = data_layer::serialize(Data{0, 0, std::string(0x0102, 'a')});
  CHECK(long_text[6] == 0x02);
  CHECK(long_text[7] == 0x01);
}

TEST_CASE("serialize then deserialize gives back the same Data") {
  const std::vector<Data> samples{
      Data{},
      Data{0xFFFFFFFF, 0xFFFF, "max"},
      Data{42, 7, "plain ASCII text"},
      kSample,
      Data{1, 1, std::string("nul \0 inside", 12)},
  };
  for (const Data& data : samples) {
    CAPTURE(data.field3);
    const Bytes bytes = data_layer::serialize(data);
    CHECK(bytes.size() == data_layer::frame_size(data));
    CHECK(decoded(data_layer::deserialize(bytes)) == data);
  }
}

TEST_CASE("serialize_into appends after what the buffer already holds") {
  Bytes out{0xAA};
  data_layer::serialize_into(Data{1, 2, "hi"}, out);
  data_layer::serialize_into(Data{3, 4, ""}, out);
  REQUIRE(out.size() == 1 + 12 + 10);
  CHECK(out[0] == 0xAA);
  CHECK(decoded(data_layer::deserialize(slice(out, 1, 13))) == Data{1, 2, "hi"});
  CHECK(decoded(data_layer::deserialize(slice(out, 13, 23))) == Data{3, 4, ""});
}

TEST_CASE("serialize_into from the three fields writes what it writes from the Data") {
  const Data data{0xDEADBEEF, 0xCAFE, "h\xC3\xA9llo"};
  Bytes from_fields{0xAA};
  data_layer::serialize_into(data.field1, data.field2, data.field3, from_fields);
  Bytes from_data{0xAA};
  data_layer::serialize_into(data, from_data);
  CHECK(from_fields == from_data);
}

TEST_CASE("own_frame_size reads a header's len with no maximum") {
  CHECK(data_layer::own_frame_size(raw_frame(1, 2, 5, "")) == data_layer::kHeaderSize + 5);
  CHECK(data_layer::own_frame_size(raw_frame(1, 2, 0xFFFFFFFF, "")) ==
        data_layer::kHeaderSize + 0xFFFFFFFFull);
}

TEST_CASE("frame_size is the header plus field3's length in bytes, not characters") {
  CHECK(data_layer::frame_size(Data{}) == data_layer::kHeaderSize);
  CHECK(data_layer::frame_size(Data{0, 0, "\xC3\xA9"}) == data_layer::kHeaderSize + 2);
}

TEST_CASE("declared_frame_size reads the header alone, and refuses a len above max_len") {
  const auto size = data_layer::declared_frame_size(raw_frame(1, 2, 5, ""));  // body absent
  REQUIRE(std::holds_alternative<std::size_t>(size));
  CHECK(std::get<std::size_t>(size) == data_layer::kHeaderSize + 5);
  const auto too_long = data_layer::declared_frame_size(raw_frame(1, 2, 17, ""), 16);
  REQUIRE(std::holds_alternative<DecodeError>(too_long));
  check_error(std::get<DecodeError>(too_long), DecodeError::Kind::kTooLong,
              "frame too long: 17 > 16");
}

// --- deserialize's rejections ----------------------------------------------------------------

TEST_CASE("deserialize rejects a len above max_len from the header alone") {
  check_error(rejected(data_layer::deserialize(raw_frame(1, 2, 5000000, ""))),
              DecodeError::Kind::kTooLong, "frame too long: 5000000 > 1048576");
  check_error(rejected(data_layer::deserialize(raw_frame(1, 2, 0xFFFFFFFF, ""))),
              DecodeError::Kind::kTooLong, "frame too long: 4294967295 > 1048576");
}

TEST_CASE("deserialize rejects a header cut short, counting the bytes it got") {
  const Bytes golden = data_layer::serialize(Data{1, 2, "hi"});
  check_error(rejected(data_layer::deserialize(slice(golden, 0, 3))), DecodeError::Kind::kTruncated,
              "truncated frame: 3 of 10 header bytes");
  check_error(rejected(data_layer::deserialize(ByteView{})), DecodeError::Kind::kTruncated,
              "truncated frame: 0 of 10 header bytes");
}

TEST_CASE("deserialize rejects a body cut short, counting against the whole frame") {
  check_error(rejected(data_layer::deserialize(raw_frame(1, 2, 12, "hello"))),
              DecodeError::Kind::kTruncated, "truncated frame: 15 of 22 bytes");
}

TEST_CASE("deserialize rejects bytes after the frame") {
  const Bytes bytes = concat({data_layer::serialize(Data{1, 2, "hi"}), Bytes{1, 2, 3, 4}});
  check_error(rejected(data_layer::deserialize(bytes)), DecodeError::Kind::kTrailingBytes,
              "trailing bytes: 4 after the frame");
}

TEST_CASE("deserialize rejects invalid UTF-8 with its offset within field3") {
  struct Case {
    const char* what;
    std::string field3;
    const char* message;
  };
  const std::vector<Case> cases{
      {"overlong 2-byte '/'", "abcdefg\xC0\xAF", "invalid UTF-8 at byte 7"},
      {"overlong 3-byte", "ab\xE0\x80\xAF", "invalid UTF-8 at byte 2"},
      {"overlong 4-byte", "\xF0\x80\x80\xAF", "invalid UTF-8 at byte 0"},
      {"surrogate U+D800", "ok \xED\xA0\x80", "invalid UTF-8 at byte 3"},
      {"above U+10FFFF", "\xF4\x90\x80\x80", "invalid UTF-8 at byte 0"},
      {"lead byte F5", "x\xF5\x80\x80\x80", "invalid UTF-8 at byte 1"},
      {"stray continuation", "caf\x80", "invalid UTF-8 at byte 3"},
      {"sequence cut by the end", "ab\xE2\x82", "invalid UTF-8 at byte 2"},
      {"sequence cut by ASCII", "\xE2\x82z", "invalid UTF-8 at byte 0"},
      {"after valid multi-byte text", "\xC3\xA9\xE2\x9C\x93\xFF", "invalid UTF-8 at byte 5"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    check_error(rejected(data_layer::deserialize(frame_with_body(c.field3))),
                DecodeError::Kind::kInvalidUtf8, c.message);
  }
}

TEST_CASE("a field3 exactly at max_len is accepted and one byte more is rejected") {
  const std::string at_limit(16, 'x');
  CHECK(decoded(data_layer::deserialize(frame_with_body(at_limit), 16)).field3 == at_limit);
  check_error(rejected(data_layer::deserialize(frame_with_body(at_limit + "x"), 16)),
              DecodeError::Kind::kTooLong, "frame too long: 17 > 16");

  FrameDecoder decoder(16);
  CHECK(decoder.max_len() == 16);
  decoder.feed(frame_with_body(at_limit));
  decoder.feed(frame_with_body(at_limit + "x"));
  CHECK(decoder.next() == Data{7, 8, at_limit});
  CHECK_FALSE(decoder.next().has_value());
  check_error(decoder.error(), DecodeError::Kind::kTooLong, "frame too long: 17 > 16");
}

TEST_CASE("the default max_len admits 1 MiB of field3 and not a byte more") {
  const std::string one_mib(data_layer::kDefaultMaxLen, 'a');
  const Bytes frame = data_layer::serialize(Data{1, 2, one_mib});
  CHECK(decoded(data_layer::deserialize(frame)).field3.size() == one_mib.size());

  FrameDecoder decoder;
  decoder.feed(frame);
  CHECK(decoder.next().has_value());
  decoder.feed(raw_frame(1, 2, data_layer::kDefaultMaxLen + 1, ""));
  check_error(decoder.error(), DecodeError::Kind::kTooLong, "frame too long: 1048577 > 1048576");
}

TEST_CASE("each error kind has a short stable name for counting") {
  using Kind = DecodeError::Kind;
  CHECK(data_layer::to_string(Kind::kTooLong) == "too_long");
  CHECK(data_layer::to_string(Kind::kInvalidUtf8) == "invalid_utf8");
  CHECK(data_layer::to_string(Kind::kTruncated) == "truncated");
  CHECK(data_layer::to_string(Kind::kTrailingBytes) == "trailing_bytes");
}

// --- UTF-8 -----------------------------------------------------------------------------------

TEST_CASE("find_invalid_utf8 accepts every Unicode scalar value and rejects every surrogate") {
  std::string all;
  for (std::uint32_t code_point = 0; code_point <= 0x10FFFF; ++code_point) {
    if (code_point >= 0xD800 && code_point <= 0xDFFF) continue;
    all += encode_utf8(code_point);
  }
  CHECK_FALSE(data_layer::find_invalid_utf8(all).has_value());
  for (std::uint32_t surrogate = 0xD800; surrogate <= 0xDFFF; ++surrogate) {
    REQUIRE(data_layer::find_invalid_utf8("a" + encode_utf8(surrogate)) == 1u);
  }
}

TEST_CASE("find_invalid_utf8 agrees with a naive decoder on all short byte sequences") {
  // Every 1- and 2-byte string, every 3-byte string led by E0..EF, and 4-byte strings led by
  // F0..FF followed by bytes at each interesting boundary: that covers every rule's edges.
  const auto agree = [](std::string_view text) {
    const auto got = data_layer::find_invalid_utf8(text);
    const auto want = reference_invalid_utf8(text);
    if (got != want) {
      FAIL_CHECK("disagreement on a " << text.size() << "-byte input starting "
                                      << static_cast<int>(static_cast<unsigned char>(text[0])));
    }
  };
  char bytes[4];
  for (int a = 0; a < 256; ++a) {
    bytes[0] = static_cast<char>(a);
    agree({bytes, 1});
    for (int b = 0; b < 256; ++b) {
      bytes[1] = static_cast<char>(b);
      agree({bytes, 2});
      if (a < 0xE0 || a > 0xEF) continue;
      for (int c = 0; c < 256; ++c) {
        bytes[2] = static_cast<char>(c);
        agree({bytes, 3});
      }
    }
  }
  const unsigned char edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0,
                                 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xFF};
  for (int a = 0xF0; a <= 0xFF; ++a) {
    bytes[0] = static_cast<char>(a);
    for (unsigned char b : edges) {
      for (unsigned char c : edges) {
        for (unsigned char d : edges) {
          bytes[1] = static_cast<char>(b);
          bytes[2] = static_cast<char>(c);
          bytes[3] = static_cast<char>(d);
          agree({bytes, 4});
        }
      }
    }
  }
}

TEST_CASE("find_invalid_utf8 finds a bad byte at any offset within a long ASCII run") {
  // Offsets on both sides of each 8-byte word boundary exercise the ASCII fast path.
  for (std::size_t bad = 0; bad < 40; ++bad) {
    std::string text(40, 'a');
    text[bad] = '\xFF';
    CAPTURE(bad);
    CHECK(data_layer::find_invalid_utf8(text) == bad);
  }
  CHECK_FALSE(data_layer::find_invalid_utf8(std::string(1000, 'z')).has_value());
  CHECK_FALSE(data_layer::find_invalid_utf8("").has_value());
}

// --- FrameDecoder: frames in any split --------------------------------------------------------

TEST_CASE("FrameDecoder: a frame fed one byte at a time comes out when its last byte arrives") {
  const Bytes frame = data_layer::serialize(kSample);
  FrameDecoder decoder;
  for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
    decoder.feed(slice(frame, i, i + 1));
    REQUIRE_FALSE(decoder.next().has_value());
    REQUIRE_FALSE(decoder.idle());
  }
  decoder.feed(slice(frame, frame.size() - 1, frame.size()));
  CHECK(decoder.next() == kSample);
  CHECK_FALSE(decoder.error().has_value());
  CHECK(decoder.idle());
}

TEST_CASE("FrameDecoder: a frame split into two chunks at every position decodes the same") {
  const Bytes frame = data_layer::serialize(kSample);
  for (std::size_t split = 0; split <= frame.size(); ++split) {
    CAPTURE(split);
    FrameDecoder decoder;
    decoder.feed(slice(frame, 0, split));
    decoder.feed(slice(frame, split, frame.size()));
    CHECK(drain(decoder) == std::vector<Data>{kSample});
    CHECK_FALSE(decoder.finish().has_value());
  }
}

TEST_CASE("FrameDecoder: several frames in one chunk come out in order") {
  const std::vector<Data> sent{Data{1, 1, "one"}, Data{2, 2, ""}, kSample};
  Bytes chunk;
  for (const Data& data : sent) {
    data_layer::serialize_into(data, chunk);
  }
  FrameDecoder decoder;
  decoder.feed(chunk);
  CHECK(drain(decoder) == sent);
  CHECK(decoder.idle());
}

TEST_CASE("FrameDecoder: a chunk ending mid-frame gives the whole frames, then the rest") {
  const std::vector<Data> sent{Data{1, 1, "one"}, Data{2, 2, "two"}, kSample};
  Bytes stream;
  for (const Data& data : sent) {
    data_layer::serialize_into(data, stream);
  }
  const std::size_t cut = stream.size() - 5;  // inside kSample's field3

  FrameDecoder decoder;
  decoder.feed(slice(stream, 0, cut));
  CHECK(drain(decoder) == std::vector<Data>{sent[0], sent[1]});
  CHECK_FALSE(decoder.idle());
  decoder.feed(slice(stream, cut, stream.size()));
  CHECK(drain(decoder) == std::vector<Data>{sent[2]});
  CHECK(decoder.idle());
}

TEST_CASE("FrameDecoder: frames come out in order whatever sizes the chunks have") {
  std::vector<Data> sent;
  Bytes stream;
  for (std::uint32_t i = 0; i < 200; ++i) {
    sent.push_back(Data{i, static_cast<std::uint16_t>(i * 7), std::string(i % 23, 'a' + i % 26)});
    data_layer::serialize_into(sent.back(), stream);
  }
  FrameDecoder decoder;
  std::vector<Data> received;
  for (std::size_t at = 0, step = 0; at < stream.size(); ++step) {
    const std::size_t size = std::min<std::size_t>(1 + step * 13 % 37, stream.size() - at);
    decoder.feed(slice(stream, at, at + size));
    at += size;
    for (Data& data : drain(decoder)) {
      received.push_back(std::move(data));
    }
  }
  CHECK(received == sent);
  CHECK_FALSE(decoder.finish().has_value());
}

TEST_CASE("FrameDecoder: an empty field3 completes as soon as its header does") {
  const Bytes frame = data_layer::serialize(Data{5, 6, ""});
  FrameDecoder decoder;
  decoder.feed(slice(frame, 0, 4));
  CHECK_FALSE(decoder.next().has_value());
  decoder.feed(slice(frame, 4, 10));
  CHECK(decoder.next() == Data{5, 6, ""});
}

// --- FrameDecoder: rejections and end of stream -----------------------------------------------

// A frame's size is kHeaderSize + len, which must fit in 32 bits for a size_t to hold it on
// every host. So however large a maximum a reader is given, a len within kHeaderSize of
// the 32-bit limit is refused (its size would wrap on a 32-bit host).
TEST_CASE("readers refuse a len whose frame size would not fit in 32 bits, whatever the maximum") {
  const Bytes header = raw_frame(1, 2, 0xFFFFFFFF, "");
  FrameDecoder decoder(SIZE_MAX);
  CHECK(decoder.max_len() == data_layer::kLargestMaxLen);
  decoder.feed(header);
  REQUIRE(decoder.error());
  CHECK(decoder.error()->kind == DecodeError::Kind::kTooLong);
  auto whole = data_layer::deserialize(header, SIZE_MAX);
  REQUIRE(std::holds_alternative<DecodeError>(whole));
  CHECK(std::get<DecodeError>(whole).kind == DecodeError::Kind::kTooLong);
  CHECK(data_layer::kLargestMaxLen + data_layer::kHeaderSize == 0xFFFFFFFFu);
}

TEST_CASE("FrameDecoder: a 4 GiB len is rejected from the header, before any allocation") {
  const Bytes header = raw_frame(1, 2, 0xFFFFFFFF, "");
  SUBCASE("header in one chunk") {
    FrameDecoder decoder;
    decoder.feed(header);
    check_error(decoder.error(), DecodeError::Kind::kTooLong,
                "frame too long: 4294967295 > 1048576");
    CHECK(decoder.capacity_bytes() == 0);
  }
  SUBCASE("header split across chunks") {
    FrameDecoder decoder;
    decoder.feed(slice(header, 0, 7));
    decoder.feed(slice(header, 7, 10));
    check_error(decoder.error(), DecodeError::Kind::kTooLong,
                "frame too long: 4294967295 > 1048576");
    CHECK(decoder.capacity_bytes() <= data_layer::kHeaderSize);
  }
}

TEST_CASE("FrameDecoder: invalid UTF-8 is reported once its frame is complete") {
  const Bytes frame = frame_with_body("abcdefg\xC0\xAF");
  FrameDecoder decoder;
  decoder.feed(slice(frame, 0, frame.size() - 1));
  CHECK_FALSE(decoder.error().has_value());
  decoder.feed(slice(frame, frame.size() - 1, frame.size()));
  check_error(decoder.error(), DecodeError::Kind::kInvalidUtf8, "invalid UTF-8 at byte 7");
}

TEST_CASE("FrameDecoder: frames before a malformed one are delivered, bytes after are ignored") {
  const Bytes good = data_layer::serialize(Data{1, 2, "ok"});
  const Bytes bad = frame_with_body("\xFF");
  FrameDecoder decoder;
  decoder.feed(concat({good, good, bad, good}));
  check_error(decoder.error(), DecodeError::Kind::kInvalidUtf8, "invalid UTF-8 at byte 0");
  CHECK(drain(decoder) == std::vector<Data>(2, Data{1, 2, "ok"}));

  decoder.feed(good);
  CHECK_FALSE(decoder.next().has_value());
  CHECK(decoder.finish() == decoder.error());
}

TEST_CASE("FrameDecoder: finish() between frames reports nothing") {
  FrameDecoder decoder;
  CHECK_FALSE(decoder.finish().has_value());
  decoder.feed(data_layer::serialize(Data{1, 2, "hi"}));
  CHECK_FALSE(decoder.finish().has_value());
  CHECK(decoder.next().has_value());
  CHECK_FALSE(decoder.finish().has_value());
}

TEST_CASE("FrameDecoder: finish() inside a frame reports it truncated") {
  SUBCASE("inside the header") {
    FrameDecoder decoder;
    decoder.feed(slice(data_layer::serialize(Data{1, 2, "hi"}), 0, 3));
    check_error(decoder.finish(), DecodeError::Kind::kTruncated,
                "truncated frame: 3 of 10 header bytes");
  }
  SUBCASE("inside the body") {
    FrameDecoder decoder;
    decoder.feed(raw_frame(1, 2, 12, "hello"));
    check_error(decoder.finish(), DecodeError::Kind::kTruncated, "truncated frame: 15 of 22 bytes");
  }
}

// --- FrameDecoder: frames as bytes -------------------------------------------------------------

TEST_CASE("FrameDecoder: next_bytes() hands out each frame's exact bytes, in order, with next()") {
  const Bytes first = data_layer::serialize(Data{1, 2, "héllo"});
  const Bytes second = data_layer::serialize(Data{3, 4, ""});
  const Bytes third = data_layer::serialize(Data{5, 6, "bye"});
  FrameDecoder decoder;
  decoder.feed(concat({first, second}));
  decoder.feed(slice(third, 0, 11));  // the third frame split after one byte of its text
  decoder.feed(slice(third, 11, third.size()));
  const auto a = decoder.next_bytes();
  REQUIRE(a.has_value());
  CHECK(Bytes(a->begin(), a->end()) == first);
  CHECK(decoder.next() == Data{3, 4, ""});
  const auto c = decoder.next_bytes();
  REQUIRE(c.has_value());
  CHECK(Bytes(c->begin(), c->end()) == third);
  CHECK(decoder.idle());
  CHECK_FALSE(decoder.next_bytes().has_value());
}

TEST_CASE("FrameDecoder: next_bytes() hands out only checked frames") {
  const Bytes good = data_layer::serialize(Data{1, 2, "ok"});
  FrameDecoder decoder;
  decoder.feed(concat({good, frame_with_body("\xC0\xAF")}));
  check_error(decoder.error(), DecodeError::Kind::kInvalidUtf8, "invalid UTF-8 at byte 0");
  const auto frame = decoder.next_bytes();
  REQUIRE(frame.has_value());
  CHECK(Bytes(frame->begin(), frame->end()) == good);
  CHECK_FALSE(decoder.next_bytes().has_value());
}

TEST_CASE("FrameDecoder: next_all_bytes() hands out every waiting frame at once, checked only") {
  const Bytes first = data_layer::serialize(Data{1, 2, "héllo"});
  const Bytes second = data_layer::serialize(Data{3, 4, ""});
  const Bytes third = data_layer::serialize(Data{5, 6, "bye"});
  FrameDecoder decoder;
  const Bytes third_cut(third.begin(), third.begin() + 11);  // cut in its text
  decoder.feed(concat({first, second, third_cut}));
  const auto both = decoder.next_all_bytes();
  REQUIRE(both.has_value());
  CHECK(Bytes(both->begin(), both->end()) == concat({first, second}));
  CHECK_FALSE(decoder.next_all_bytes().has_value());
  CHECK_FALSE(decoder.idle());  // the third is held
  decoder.feed(slice(third, 11, third.size()));
  const auto last = decoder.next_all_bytes();
  REQUIRE(last.has_value());
  CHECK(Bytes(last->begin(), last->end()) == third);
  CHECK(decoder.idle());

  SUBCASE("frames before a malformed one in the same chunk still come out") {
    const Bytes too_long = raw_frame(7, 7, 1'000'000, "");  // refused from its header
    for (const Bytes& bad : {frame_with_body("\xC0\xAF"), too_long}) {
      FrameDecoder fresh(1000);
      fresh.feed(concat({first, second, bad, first}));
      REQUIRE(fresh.error().has_value());
      const auto good = fresh.next_all_bytes();
      REQUIRE(good.has_value());
      CHECK(Bytes(good->begin(), good->end()) == concat({first, second}));
      CHECK_FALSE(fresh.next_all_bytes().has_value());
    }
  }
}

TEST_CASE("FrameDecoder: a large split frame comes out as bytes and is freed at the next call") {
  const Bytes frame = data_layer::serialize(Data{1, 2, std::string(200 * 1024, 'x')});
  FrameDecoder decoder;
  decoder.feed(slice(frame, 0, 1000));
  decoder.feed(slice(frame, 1000, frame.size()));
  CHECK(decoder.capacity_bytes() < frame.size() + 1024);  // one frame's buffer, not two
  const auto bytes = decoder.next_bytes();
  REQUIRE(bytes.has_value());
  CHECK(std::ranges::equal(*bytes, frame));
  CHECK(decoder.idle());
  CHECK_FALSE(decoder.next_bytes().has_value());  // the view has expired: its buffer goes
  CHECK(decoder.capacity_bytes() < 1024);
}

// --- FrameDecoder: memory ---------------------------------------------------------------------

TEST_CASE("FrameDecoder: a new decoder is idle and holds no heap memory") {
  const FrameDecoder decoder;
  CHECK(decoder.idle());
  CHECK(decoder.capacity_bytes() == 0);
  CHECK(decoder.max_len() == data_layer::kDefaultMaxLen);
}

TEST_CASE("FrameDecoder: the buffer of a large split frame is freed once the frame is out") {
  const Bytes frame = data_layer::serialize(Data{1, 2, std::string(200 * 1024, 'x')});
  FrameDecoder decoder;
  decoder.feed(slice(frame, 0, 1000));
  CHECK(decoder.capacity_bytes() >= frame.size());  // reserved once, at the exact size
  decoder.feed(slice(frame, 1000, frame.size()));
  REQUIRE(decoder.next().has_value());
  CHECK(decoder.idle());
  CHECK(decoder.capacity_bytes() < 1024);
}

TEST_CASE("FrameDecoder: a burst of pipelined frames does not pin the queue's memory") {
  Bytes burst;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    data_layer::serialize_into(Data{i, 0, ""}, burst);
  }
  FrameDecoder decoder;
  decoder.feed(burst);
  CHECK(drain(decoder).size() == 5000);
  CHECK(decoder.capacity_bytes() == 0);
}

TEST_CASE("FrameDecoder: always leaving one frame waiting does not grow the queue") {
  const Bytes frame = data_layer::serialize(Data{1, 2, "hi"});
  FrameDecoder decoder;
  decoder.feed(concat({frame, frame}));
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(decoder.next().has_value());
    decoder.feed(frame);
  }
  CHECK(decoder.capacity_bytes() <= 4 * frame.size());
  CHECK(drain(decoder).size() == 2);
}

TEST_SUITE_END();

TEST_CASE("frame decoder: has_frame says whether next() will return a frame") {
  data_layer::FrameDecoder decoder;
  CHECK(!decoder.has_frame());
  const data_layer::Bytes bytes = data_layer::serialize(data_layer::Data{1, 2, "hi"});
  decoder.feed(data_layer::ByteView(bytes).first(5));  // half a header: nothing complete
  CHECK(!decoder.has_frame());
  decoder.feed(data_layer::ByteView(bytes).subspan(5));
  CHECK(decoder.has_frame());
  CHECK(decoder.next().has_value());
  CHECK(!decoder.has_frame());
}
