// run(): the whole client program as a function, so the binary's main() and the tests run
// the same code. Parses the command line, fits the concurrency to the open-file limit,
// runs the load with a live progress line, prints the report (and draws the --svg chart),
// returns the exit status:
//   0  every request succeeded      1  at least one failed
//   2  bad usage (a bad flag, a host that does not resolve, an --svg file it cannot write)
// With --merge it runs no load: it merges finished runs' JSON lines (merge_command.hpp).
#pragma once

#include <ostream>
#include <span>
#include <string>

namespace client {

// Where the program writes. `progress` allows the live line on `err`; the binary sets it
// when stderr is a terminal, tests leave it off.
struct Output {
  std::ostream& out;
  std::ostream& err;
  bool progress = false;
};

int run(std::span<const std::string> args, Output output);  // args exclude the program name
int run(int argc, char** argv);                             // main()'s: stdout and stderr

}  // namespace client
