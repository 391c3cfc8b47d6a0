// `bin/client --merge FILE...`: the command that combines finished runs instead of making
// one. Reads every file (`-` is stdin) line by line, each line one `bin/client --json`
// result, adds them up (merge.hpp) and prints one report. run() (run.hpp) hands it the
// command line when --merge is on it.
//
// Exit status, as for a run (docs/CLIENT.md):
//   0  every request of every run succeeded    1  at least one failed
//   2  bad usage, or bad input: a file that cannot be read or holds no result, a line that
//      is not JSON or not a client's result, runs whose settings cannot be merged. The
//      message names the file and line, and for JSON the byte offset in the line.
#pragma once

#include <istream>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace client {

struct MergeCommand {
  std::vector<std::string> files;  // in order; "-" is stdin
  bool json = false;               // one merged JSON line instead of the summary
  bool quiet = false;              // no summary (the JSON line, if asked, still)
  bool help = false;
};

// nullopt when `args` (without the program name) have no --merge. Otherwise the command:
// every argument that is not an option is a file. Throws UsageError for any option beside
// --json, --quiet and --help (a merge makes no load, so a load flag would be ignored),
// and for no file at all.
std::optional<MergeCommand> parse_merge_command(std::span<const std::string> args);

int run_merge(const MergeCommand& command, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace client
