// bin/client: the load generator. Everything lives in client::run (client/run.hpp), which
// the tests call in-process; see docs/CLIENT.md for the flags and the report.
#include "client/run.hpp"

int main(int argc, char** argv) {
  return client::run(argc, argv);
}
