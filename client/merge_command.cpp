#include "client/merge_command.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "client/json_reader.hpp"
#include "client/merge.hpp"
#include "client/options.hpp"

namespace client {

namespace {

// Input that cannot be merged: printed after "client: --merge: ", then exit status 2.
class BadInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

bool is_merge_flag(std::string_view arg) {
  return arg == "--merge" || arg.starts_with("--merge=");
}

// Closes a file for unique_ptr: a function object rather than &std::fclose, since forming
// a pointer to a standard library function is unspecified.
struct CloseFile {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// A file's whole text; "-" reads `in`. Nothing is printed before every file has been read
// and merged, so bad input never leaves a partial report on stdout.
std::string read_file(const std::string& path, std::istream& in) {
  if (path == "-") {
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) throw BadInput("cannot read stdin");
    return text;
  }
  const std::unique_ptr<std::FILE, CloseFile> file(std::fopen(path.c_str(), "rb"));
  if (!file)
    throw BadInput("cannot open " + path + ": " + std::strerror(errno) + " (- reads stdin)");
  std::string text;
  char buffer[64 * 1024];
  while (const std::size_t got = std::fread(buffer, 1, sizeof buffer, file.get()))
    text.append(buffer, got);
  // A directory opens, and fails here with EISDIR.
  if (std::ferror(file.get())) throw BadInput("cannot read " + path + ": " + std::strerror(errno));
  return text;
}

// Adds each result line of one file to `merged` (the first line of all starts it); blank
// lines are skipped. Every error names the file and the line, counted from 1.
void merge_lines(const std::string& name, std::string_view text, std::optional<RecordedRun>& merged,
                 std::size_t& runs) {
  std::size_t number = 0, found = 0;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = name + ", line " + std::to_string(number) + ": ";
    try {
      RecordedRun run = read_run(line);
      if (merged) {
        add_run(*merged, run);
      } else {
        merged = std::move(run);
      }
    } catch (const json::ParseError& error) {
      throw BadInput(where + "not JSON: " + error.what() +
                     " (each line must be one whole line that bin/client --json printed)");
    } catch (const NotARun& error) {
      throw BadInput(where + "not a bin/client --json result: " + error.what());
    } catch (const std::invalid_argument& error) {
      throw BadInput(where + "cannot be merged with the lines before it: it " + error.what());
    }
    ++found;
    ++runs;
  }
  if (found == 0) throw BadInput(name + ": no bin/client --json result in it (an empty file?)");
}

}  // namespace

std::optional<MergeCommand> parse_merge_command(std::span<const std::string> args) {
  if (std::none_of(args.begin(), args.end(), [](const std::string& a) { return is_merge_flag(a); }))
    return std::nullopt;
  MergeCommand command;
  for (const std::string& arg : args) {
    if (arg == "--merge") continue;
    if (arg.starts_with("--merge=")) {
      command.files.push_back(arg.substr(std::string_view("--merge=").size()));
    } else if (arg == "--json") {
      command.json = true;
    } else if (arg == "--quiet" || arg == "-q") {
      command.quiet = true;
    } else if (arg == "--help" || arg == "-h") {
      command.help = true;
    } else if (arg == "-" || !arg.starts_with("-")) {
      command.files.push_back(arg);
    } else {
      throw UsageError(
          "--merge combines finished runs and takes only files, --json and --quiet, not " +
          arg.substr(0, arg.find('=')) + " (give the load flags to the runs)");
    }
  }
  if (command.files.empty() && !command.help)
    throw UsageError("--merge wants one or more files of bin/client --json lines (- for stdin)");
  return command;
}

int run_merge(const MergeCommand& command, std::istream& in, std::ostream& out, std::ostream& err) {
  if (command.help) {
    out << usage();
    return 0;
  }
  std::optional<RecordedRun> merged;
  std::size_t runs = 0;
  try {
    for (const std::string& file : command.files)
      merge_lines(file == "-" ? "stdin" : file, read_file(file, in), merged, runs);
  } catch (const BadInput& error) {
    err << "client: --merge: " << error.what() << "\n";
    return 2;
  }
  // As for a run: --quiet drops the summary, not the JSON line asked for.
  if (command.json || !command.quiet) print_merged(out, *merged, runs, command.json);
  return merged->result.stats.failed() == 0 ? 0 : 1;
}

}  // namespace client
