#!/usr/bin/env bash
# Writes the committed seed corpus, fuzz/corpus/<target>/, from scratch: `bash fuzz/make_seeds.sh`.
#
# The seeds are small hand-made starting points, one per case the protocol page names (a
# valid frame, pipelined frames, a frame split into tiny reads, a len above the maximum,
# invalid UTF-8, a stream cut short), so the fuzzer begins next to every branch instead of
# having to discover the frame layout by itself. Each file is two control bytes (see the
# "Input layout" comment at the top of each target), then the bytes a peer would send;
# json_reader's seeds are the text alone, one per kind of value and of malformed input.
set -euo pipefail
cd "$(dirname "$0")"
export LC_ALL=C  # ${#text} must count bytes, not characters

byte() { printf "\\$(printf '%03o' "$(($1 & 255))")"; }
le16() { byte "$1"; byte "$(($1 >> 8))"; }
le32() { le16 "$(($1 & 65535))"; le16 "$(($1 >> 16))"; }
# A frame whose header may lie: field1 field2 len body.
raw_frame() { le32 "$1"; le16 "$2"; le32 "$3"; printf '%s' "$4"; }
# A well-formed frame: field1 field2 text.
frame() { raw_frame "$1" "$2" "${#3}" "$3"; }

seed() {  # target name control0 control1, then the stream on stdin
  mkdir -p "corpus/$1"
  { byte "$3"; byte "$4"; cat; } >"corpus/$1/$2"
}

# frame_decoder: control byte 0 = max_len index | chunk index << 3 | drain pattern << 6
# (max_len 0 1 2 9 10 16 300 1MiB; largest chunk 1 2 3 7 11 64 700 whole).
rm -rf corpus/frame_decoder
frame 1 2 hi | seed frame_decoder golden 0x3F 0
{ frame 1 2 hi; frame 3 4 ''; frame 5 6 $'h\xc3\xa9llo'; } | seed frame_decoder pipelined 0x66 7
frame 7 8 'split me' | seed frame_decoder split_bytes 0x85 1
frame 9 10 $'\xc3\xa9 \xe2\x9c\x93 \xf0\x9d\x84\x9e' | seed frame_decoder utf8_widths 0x1E 2
raw_frame 1 2 17 xxxxxxxxxxxxxxxxx | seed frame_decoder too_long_by_one 0x3D 3
raw_frame 1 2 0xFFFFFFFF '' | seed frame_decoder too_long_4gib 0x07 4
{ frame 1 2 ok; frame 3 4 $'ab\xc0\xafcd'; } | seed frame_decoder invalid_utf8 0xD6 5
raw_frame 1 2 12 hello | seed frame_decoder truncated_body 0x0E 6
{ frame 1 2 ok; printf 'abc'; } | seed frame_decoder truncated_header 0x4F 8

# server_handler: control byte 0 = mode (0 oneshot, 1 stream) | largest write index << 1
# (largest write 1 2 3 7 11 64 700 4096 bytes).
rm -rf corpus/server_handler
frame 1 2 hi | seed server_handler oneshot_golden 0x0E 0
{ frame 1 2 hi; frame 3 4 ''; frame 5 6 $'h\xc3\xa9llo'; } | seed server_handler stream_pipelined 0x0F 1
{ frame 7 8 'split me'; frame 9 10 again; } | seed server_handler stream_split 0x01 2
{ frame 1 2 ok; raw_frame 3 4 65 ''; } | seed server_handler stream_too_long 0x0B 3
{ frame 1 2 ok; frame 3 4 $'\xed\xa0\x80'; frame 5 6 late; } | seed server_handler stream_invalid_utf8 0x07 4
{ frame 1 2 ok; raw_frame 3 4 12 hello; } | seed server_handler stream_truncated 0x05 5
frame 1 2 $'\xff' | seed server_handler oneshot_invalid_utf8 0x0E 6
printf 'abc' | seed server_handler oneshot_truncated 0x02 7
printf '' | seed server_handler stream_empty 0x01 8

# json_reader: no control bytes; the file is the text. A client's --json line first, the
# shape the reader exists for.
text_seed() {  # target name, then the text on stdin
  mkdir -p "corpus/$1"
  cat >"corpus/$1/$2"
}
# The line, wrapped here: the newlines are taken out.
line=$(tr -d '\n' <<'LINE'
{"requests":4,"ok":2,"errors":2,"mismatches":0,"retried":0,
"errors_by_kind":{"connect":2,"timeout":0,"read":0,"write":0,"protocol":0,"mismatch":0},
"retries_by_kind":{"connect":0,"timeout":0,"read":0,"write":0,"protocol":0,"mismatch":0},
"wall_s":0.043357,"rps":46.1,"p50_us":14975,"p90_us":39317,"p99_us":39317,
"p999_us":39317,"max_us":39317,"min_us":14945,"mean_us":27131.0,"sum_us":54262,
"histogram":[[14975,1],[39423,1]],"per_target":[{"target":"127.0.0.1:7878",
"requests":2,"ok":2,"errors":0,"rps":46.1,"p50_us":14975,"p99_us":39317,
"max_us":39317,"min_us":14945,"mean_us":27131.0,"sum_us":54262,
"histogram":[[14975,1],[39423,1]]},{"target":"[::1]:7879","requests":2,"ok":0,
"errors":2,"rps":0.0,"p50_us":0,"p99_us":0,"max_us":0,"min_us":0,"mean_us":0.0,
"sum_us":0,"histogram":[]}],"settings":{"host":"127.0.0.1","port":7878,
"targets":["127.0.0.1:7878","[::1]:7879"],"mode":"oneshot","requests":4,
"concurrency":4,"pipeline":1,"size":0,"timeout_ms":30000,"connect_timeout_ms":5000,
"retries":0,"rate":0.000,"duration_s":0.000,"threads":1}}
LINE
)
rm -rf corpus/json_reader
printf '%s\n' "$line" | text_seed json_reader client_line
printf '%s' "${line:0:200}" | text_seed json_reader client_line_cut
printf '%s' '["\" \\ \/ \b \f \n \r \t","\u00e9\uD834\uDD1E"," h'$'\xc3\xa9 \xe2\x9c\x93''"]' |
  text_seed json_reader escapes
printf '%s' '[0,-0,12,-3.25,1e3,2E-2,1.5e+10,18446744073709551615,18446744073709551616,1e999]' |
  text_seed json_reader numbers
printf '%s' ' {"a" : [ {"b":[[],{}]} ],"c":null,"d":true,"e":false}'$'\r\n' |
  text_seed json_reader nesting
{ printf '[%.0s' $(seq 64); printf ']%.0s' $(seq 64); } | text_seed json_reader deepest
printf '[%.0s' $(seq 65) | text_seed json_reader too_deep
printf '%s' '{"a":1,}' | text_seed json_reader trailing_comma
printf '%s' '{"a":1,"a":2}' | text_seed json_reader duplicate_key
printf '%s' '["\uDC00","\uD800x"]' | text_seed json_reader lone_surrogates
printf '%s' '"ok '$'\xc0\xaf''"' | text_seed json_reader overlong_utf8
printf '' | text_seed json_reader empty
