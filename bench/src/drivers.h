// The measurements. Each prints one JSON object on stdout and returns the
// process exit status (0 ok, 1 failed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace amp::bench {

struct RunLimits {
    double seconds = 2.0;    ///< measure for this long ...
    uint64_t count = 0;      ///< ... or, when non-zero, exactly this many
    uint64_t warmup = 2000;  ///< round trips / messages before measuring
    bool verify = false;     ///< fill and check every payload byte
    bool pin = true;         ///< pin the two processes to two CPUs
};

/// Round trips over `transport`: the parent sends, the child echoes.
int run_rtt(const std::string& transport, size_t size, const RunLimits& limits);
/// One-way stream over `transport`: the parent sends, the child consumes.
int run_stream(const std::string& transport, size_t size, const RunLimits& limits);
/// memcpy of `size` bytes into a ring of buffers: the copy ceiling.
int run_memcpy(size_t size, const RunLimits& limits);
/// What one clock read costs (it is inside every latency sample).
int run_clock(const RunLimits& limits);
/// The fixed callgrind workload: `messages` messages through cost rig `rig`.
int run_cost(const std::string& rig, size_t size, uint64_t messages);
/// The registered transports and cost rigs, and the CPUs.
int run_list();

/// `size` as given: a number, or "max" for the transport's (rig's) largest.
constexpr size_t kSizeMax = 0;

}  // namespace amp::bench
