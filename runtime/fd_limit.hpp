// raise_fd_limit(): one socket per connection means thousands of connections need more
// file descriptors than the usual soft limit allows. The hard limit is the process's to
// take; the server and the client both take it at start-up.
#pragma once

#include <cstddef>

namespace runtime {

// Raises the soft open-file limit to the hard one (best effort: on failure the old limit
// stands), and returns what is now allowed.
std::size_t raise_fd_limit();

// Grows the process's descriptor table now to hold `count` descriptors (at most the soft
// limit; best effort), for a program about to open that many. Call it while the process
// has one thread. Linux grows the table as descriptors are opened, by doubling, and in a
// process of more than one thread each growth waits for an RCU grace period (in
// expand_fdtable), inside the accept() or socket() that needed it. A server met by a burst
// of connections grows its table several times just then, its accept queue overflows, and
// dropped handshakes are retried a second or more later (docs/BOOK.md, "The descriptor
// table is grown before the threads start"). The table is never shrunk, so once is enough.
void reserve_fd_table(std::size_t count);

}  // namespace runtime
