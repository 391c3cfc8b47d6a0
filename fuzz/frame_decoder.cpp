// Fuzz target: the data_layer's frame readers, FrameDecoder and deserialize(), checked against
// a second reading of docs/PROTOCOL.md written here from scratch.
//
// The decoder is the first code to touch a hostile peer's bytes, so "no crash" is not enough:
// it must agree with the protocol page on every input, however the kernel splits it. For each
// input this checks that
//   1. the decoder fed the stream whole, and fed it in chunks of fuzzer-chosen sizes (taking
//      frames out between feeds in one of four patterns, one frame in three through
//      next_bytes() and, where the pattern takes more than one, one through next_all_bytes()
//      instead of next()), gives exactly the model's frames, in order, and
//      exactly the model's DecodeError (kind and message) from finish();
//   2. every decoded frame serializes back to the very bytes it was decoded from, and
//      deserialize() of those bytes gives the same Data;
//   3. deserialize() of the whole stream gives the model's one-frame answer (trailing_bytes
//      included), so the two readers never disagree;
//   4. error(), idle() and has_frame() say what the documentation promises, and bytes fed
//      after an error are ignored;
//   5. no allocation made while decoding is larger than max_len plus the frame queue's
//      bound: a `len` above the maximum is refused from the header, before any buffer is
//      sized by it (the model computes the bound; ASan's allocator hook measures).
//
// Input layout: byte 0 picks max_len (bits 0-2), the largest chunk (bits 3-5) and the drain
// pattern (bits 6-7); byte 1 seeds the chunk sizes; the rest is the stream a peer would send.
// A failed check prints what broke and aborts, which libFuzzer saves as a crash input.
#include <sanitizer/allocator_interface.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "data_layer/data.hpp"
#include "data_layer/decode_error.hpp"
#include "data_layer/frame_decoder.hpp"

namespace fuzz {
namespace {

using data_layer::ByteView;
using data_layer::Data;
using data_layer::DecodeError;
using data_layer::kHeaderSize;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "frame_decoder fuzz: check failed: %s\n", what);
  std::abort();
}

// --- the allocation probe -------------------------------------------------------------------

// The largest single allocation since the probe was armed. Thread-local so that libFuzzer's
// own threads, allocating at the same moment, cannot blur the measurement.
thread_local bool t_armed = false;
thread_local std::size_t t_largest = 0;

void on_malloc(const volatile void*, std::size_t size) {
  if (t_armed && size > t_largest) t_largest = size;
}
void on_free(const volatile void*) {}

// Arms the probe for the lifetime of the scope: only the decoder's own calls are measured.
class Measured {
 public:
  Measured() { t_armed = true; }
  ~Measured() { t_armed = false; }
  Measured(const Measured&) = delete;
  Measured& operator=(const Measured&) = delete;
};

// --- the model: docs/PROTOCOL.md, read independently of data_layer ----------------------------

std::uint32_t le(ByteView bytes, std::size_t at, int size) {
  std::uint32_t value = 0;
  for (int i = size - 1; i >= 0; --i)
    value = value << 8 | bytes[at + static_cast<std::size_t>(i)];
  return value;
}

// The length a lead byte announces by its high bits alone, or 0 for a continuation byte or
// F8..FF. Whether the sequence is allowed is decided from its code point, below.
std::size_t announced_length(std::uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xC0) return 0;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return lead < 0xF8 ? 4 : 0;
}

// Strict UTF-8 (Unicode's Table 3-7), by ranges of code points rather than by the lead-byte
// table data_layer uses: the offset of the first byte of the first ill-formed sequence.
std::optional<std::size_t> first_bad_utf8(ByteView text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::uint8_t lead = text[at];
    const std::size_t length = announced_length(lead);
    if (length == 0 || text.size() - at < length) return at;
    std::uint32_t code = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
      if ((text[at + k] & 0xC0) != 0x80) return at;
      code = code << 6 | (text[at + k] & 0x3F);
    }
    constexpr std::array<std::uint32_t, 5> kSmallest = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) {
      return at;
    }
    at += length;
  }
  return std::nullopt;
}

// The frame at the front of `rest` as far as its header decides: its whole size, or why it is
// refused. `exact` asks for deserialize()'s rule that nothing may follow the frame.
std::variant<std::size_t, DecodeError> frame_extent(ByteView rest, std::size_t max_len,
                                                    bool exact) {
  if (rest.size() < kHeaderSize) return data_layer::truncated_header_error(rest.size());
  const std::uint32_t len = le(rest, 6, 4);
  if (len > max_len) return data_layer::too_long_error(len, max_len);
  const std::size_t size = kHeaderSize + len;
  if (rest.size() < size) return data_layer::truncated_body_error(rest.size(), size);
  if (exact && rest.size() > size) return data_layer::trailing_bytes_error(rest.size() - size);
  return size;
}

// One whole frame's bytes as Data, or its UTF-8 error.
std::variant<Data, DecodeError> frame_content(ByteView frame) {
  const ByteView text = frame.subspan(kHeaderSize);
  if (auto bad = first_bad_utf8(text)) return data_layer::invalid_utf8_error(*bad);
  return Data{le(frame, 0, 4), static_cast<std::uint16_t>(le(frame, 4, 2)),
              std::string(text.begin(), text.end())};
}

// What a reader of the whole stream must produce.
struct Expected {
  std::vector<Data> frames;
  std::vector<ByteView> wire;          // wire[i]: the input bytes frames[i] came from
  std::optional<DecodeError> outcome;  // finish() at the end of the stream
};

Expected model_stream(ByteView stream, std::size_t max_len) {
  Expected out;
  for (std::size_t at = 0; at < stream.size() && !out.outcome;) {
    auto extent = frame_extent(stream.subspan(at), max_len, false);
    if (auto* error = std::get_if<DecodeError>(&extent)) {
      out.outcome = *error;
      break;
    }
    const ByteView frame = stream.subspan(at, std::get<std::size_t>(extent));
    auto content = frame_content(frame);
    if (auto* error = std::get_if<DecodeError>(&content)) {
      out.outcome = *error;
    } else {
      out.frames.push_back(std::get<Data>(std::move(content)));
      out.wire.push_back(frame);
      at += frame.size();
    }
  }
  return out;
}

data_layer::DecodeResult model_one_frame(ByteView bytes, std::size_t max_len) {
  auto extent = frame_extent(bytes, max_len, true);
  if (auto* error = std::get_if<DecodeError>(&extent)) return *error;
  auto content = frame_content(bytes);
  if (auto* error = std::get_if<DecodeError>(&content)) return *error;
  return std::get<Data>(std::move(content));
}

// --- how the input drives the decoder -------------------------------------------------------

// The patterns a caller may take frames in; the decoder must not care which.
enum class Drain { kAfterEachFeed, kAtTheEnd, kOnePerFeed, kRandom };

struct Plan {
  std::size_t max_len;
  std::size_t max_chunk;
  Drain drain;
  std::uint32_t seed;
};

Plan plan_from(std::uint8_t knobs, std::uint8_t seed) {
  // Small maxima make too_long reachable; the last is the server's default.
  constexpr std::array<std::size_t, 8> kMaxLens = {0,  1,  2,   9,
                                                   10, 16, 300, data_layer::kDefaultMaxLen};
  constexpr std::array<std::size_t, 8> kMaxChunks = {1, 2, 3, 7, 11, 64, 700, SIZE_MAX};
  return Plan{kMaxLens[knobs & 7], kMaxChunks[knobs >> 3 & 7], static_cast<Drain>(knobs >> 6),
              0x9E3779B9u ^ (std::uint32_t{seed} * 0x01000193u)};
}

// xorshift32: cheap, and the same input always gives the same splits (a crash reproduces).
class Rng {
 public:
  explicit Rng(std::uint32_t seed) : state_(seed | 1) {}
  std::uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  std::size_t below(std::size_t bound) { return bound == 0 ? 0 : next() % bound; }

 private:
  std::uint32_t state_;
};

std::size_t chunk_size(Rng& rng, std::size_t max_chunk, std::size_t left) {
  if (max_chunk >= left) return max_chunk == SIZE_MAX ? left : 1 + rng.below(left);
  return 1 + rng.below(max_chunk);
}

// One frame through next_bytes(): the bytes must be one whole valid frame, which becomes
// the Data next() would have given.
std::optional<Data> next_as_bytes(data_layer::FrameDecoder& decoder) {
  std::optional<ByteView> bytes;
  {
    Measured measured;
    bytes = decoder.next_bytes();
  }
  if (!bytes) return std::nullopt;
  auto decoded = data_layer::deserialize(*bytes, decoder.max_len());
  require(std::holds_alternative<Data>(decoded), "next_bytes() gave bytes that are no frame");
  return std::get<Data>(std::move(decoded));
}

// Every waiting frame through next_all_bytes(): the bytes must be whole valid frames back
// to back, which become the Data next() would have given, appended to `into`. Returns
// whether there were any.
bool take_all_as_bytes(data_layer::FrameDecoder& decoder, std::vector<Data>& into) {
  std::optional<ByteView> bytes;
  {
    Measured measured;
    bytes = decoder.next_all_bytes();
  }
  if (!bytes) return false;
  require(!bytes->empty(), "next_all_bytes() gave an empty run");
  for (ByteView rest = *bytes; !rest.empty();) {
    auto size = data_layer::declared_frame_size(rest, decoder.max_len());
    require(std::holds_alternative<std::size_t>(size) && rest.size() >= std::get<std::size_t>(size),
            "next_all_bytes() gave bytes that are no frames");
    const ByteView frame = rest.first(std::get<std::size_t>(size));
    auto decoded = data_layer::deserialize(frame, decoder.max_len());
    require(std::holds_alternative<Data>(decoded), "next_all_bytes() gave an invalid frame");
    into.push_back(std::get<Data>(std::move(decoded)));
    rest = rest.subspan(frame.size());
  }
  return true;
}

// Takes frames out of the decoder, as many as the drain pattern says, checking has_frame().
// One frame in three comes out of next_bytes() and, when more than one is to be taken, one
// (with all those waiting behind it) out of next_all_bytes() instead of next(): all three
// read one queue. (A pattern that takes one frame per feed keeps frames waiting across
// feeds, which next_all_bytes() would undo.)
void take(data_layer::FrameDecoder& decoder, std::size_t how_many, std::vector<Data>& into) {
  for (std::size_t i = 0; i < how_many; ++i) {
    const bool promised = decoder.has_frame();
    if (into.size() % 3 == 2 && how_many > 1) {
      require(promised == take_all_as_bytes(decoder, into), "has_frame() disagrees");
      return;  // nothing is left waiting
    }
    std::optional<Data> frame;
    if (into.size() % 3 == 1) {
      frame = next_as_bytes(decoder);
    } else {
      Measured measured;
      frame = decoder.next();
    }
    require(promised == frame.has_value(), "has_frame() disagrees with next()");
    if (!frame) return;
    into.push_back(std::move(*frame));
  }
}

std::size_t to_take(Drain drain, Rng& rng) {
  switch (drain) {
    case Drain::kAfterEachFeed:
      return SIZE_MAX;
    case Drain::kAtTheEnd:
      return 0;
    case Drain::kOnePerFeed:
      return 1;
    case Drain::kRandom:
      return rng.below(4);
  }
  return 0;
}

// The stream fed chunk by chunk; the frames in the order next() gave them.
std::vector<Data> feed_in_chunks(data_layer::FrameDecoder& decoder, ByteView stream,
                                 const Plan& plan, const Expected& expected) {
  Rng rng(plan.seed);
  std::vector<Data> frames;
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t size = chunk_size(rng, plan.max_chunk, stream.size() - at);
    {
      Measured measured;
      decoder.feed(stream.subspan(at, size));
    }
    at += size;
    // Once set, the error must be the one the model finds for the whole stream.
    if (decoder.error()) require(decoder.error() == expected.outcome, "error() set wrongly");
    take(decoder, to_take(plan.drain, rng), frames);
  }
  take(decoder, SIZE_MAX, frames);
  return frames;
}

// --- the checks -------------------------------------------------------------------------------

bool is_truncated(const std::optional<DecodeError>& outcome) {
  return outcome && outcome->kind == DecodeError::Kind::kTruncated;
}

// After the whole stream is fed and drained: the state the decoder must be in.
void check_end_state(const data_layer::FrameDecoder& decoder, const Expected& expected) {
  std::optional<DecodeError> finished;
  {
    Measured measured;
    finished = decoder.finish();
  }
  require(finished == expected.outcome, "finish() differs from the model");
  require(decoder.error() == (is_truncated(expected.outcome) ? std::nullopt : expected.outcome),
          "error() differs from the model");
  require(!decoder.has_frame(), "has_frame() after draining");
  require(decoder.idle() == !is_truncated(expected.outcome), "idle() wrong at end of stream");
}

// A decoder that has failed ignores what comes after: no frame, the same error.
void check_error_is_final(data_layer::FrameDecoder& decoder, ByteView more) {
  if (!decoder.error()) return;
  const std::optional<DecodeError> before = decoder.error();
  decoder.feed(more);
  require(!decoder.next().has_value(), "a frame came out after an error");
  require(decoder.error() == before, "the error changed after more bytes");
}

void check_decoder(ByteView stream, const Plan& plan, const Expected& expected) {
  data_layer::FrameDecoder whole(plan.max_len);
  std::vector<Data> frames;
  {
    Measured measured;
    whole.feed(stream);
  }
  take(whole, SIZE_MAX, frames);
  require(frames == expected.frames, "whole-buffer frames differ from the model");
  check_end_state(whole, expected);
  check_error_is_final(whole, stream);

  data_layer::FrameDecoder chunked(plan.max_len);
  require(feed_in_chunks(chunked, stream, plan, expected) == expected.frames,
          "chunked frames differ from the model");
  check_end_state(chunked, expected);
}

void check_round_trip(const Expected& expected, std::size_t max_len) {
  for (std::size_t i = 0; i < expected.frames.size(); ++i) {
    const data_layer::Bytes again = data_layer::serialize(expected.frames[i]);
    require(
        std::equal(again.begin(), again.end(), expected.wire[i].begin(), expected.wire[i].end()),
        "a decoded frame does not re-encode to its own bytes");
    data_layer::DecodeResult one;
    {
      Measured measured;
      one = data_layer::deserialize(expected.wire[i], max_len);
    }
    require(one == data_layer::DecodeResult(expected.frames[i]),
            "deserialize() of a frame's bytes differs from the stream decoder");
  }
}

void check_one_shot(ByteView stream, std::size_t max_len) {
  data_layer::DecodeResult got;
  {
    Measured measured;
    got = data_layer::deserialize(stream, max_len);
  }
  require(got == model_one_frame(stream, max_len), "deserialize() differs from the model");
}

// The most any decoding step may allocate at once: one frame's buffer or field3 (bounded by
// max_len, never by a refused len), or the queue of checked frames, which holds at most the
// bytes fed so far (doubled for vector growth). Error messages are the small change on top.
std::size_t allocation_bound(std::size_t stream_size, std::size_t max_len) {
  constexpr std::size_t kSmallChange = 1024;
  const std::size_t queue = 2 * (stream_size + kHeaderSize);
  return kHeaderSize + max_len + queue + kSmallChange;
}

void run_one(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return;
  const Plan plan = plan_from(data[0], data[1]);
  const ByteView stream(data + 2, size - 2);
  const Expected expected = model_stream(stream, plan.max_len);

  t_largest = 0;
  check_decoder(stream, plan, expected);
  check_round_trip(expected, plan.max_len);
  check_one_shot(stream, plan.max_len);
  require(t_largest <= allocation_bound(stream.size(), plan.max_len),
          "an allocation larger than max_len and the frame queue allow");
}

}  // namespace
}  // namespace fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  __sanitizer_install_malloc_and_free_hooks(&fuzz::on_malloc, &fuzz::on_free);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::run_one(data, size);
  return 0;
}
