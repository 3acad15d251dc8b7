// The cores the kernels may use. A build with threads (native, and the WASM
// module built with -pthread for cross-origin-isolated pages) keeps helper
// threads waiting; every other build runs each part in turn on the caller.
#pragma once

#include <functional>

namespace convscope::kernels {

// How many parts run_parts() runs at the same time: 1 + the helper threads
// (at most max_parallel_parts, never more than the machine's cores).
int parallel_parts();
constexpr int max_parallel_parts = 4;

// fn(0) .. fn(parts - 1), the caller and the helper threads taking parts
// until none is left (parts beyond parallel_parts() wait their turn).
// Returns when every part has. One caller at a time: the kernels' callers are
// single-threaded (a ConvOp runs one input at a time).
void run_parts(int parts, const std::function<void(int)>& fn);

}  // namespace convscope::kernels
