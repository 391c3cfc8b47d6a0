#!/usr/bin/env bash
# The load test is the benchmark suite: this name stays for the commands in older notes.
# Same options as scripts/bench.sh (a bare folder is still read as the binaries' folder).
exec bash "$(dirname "$0")/bench.sh" "$@"
