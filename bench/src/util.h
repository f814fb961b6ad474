// Small helpers shared by the drivers and the transports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace amp::bench {

/// Monotonic time in nanoseconds (clock_gettime through the vDSO).
uint64_t now_ns();

/// Tells the CPU we are spinning (x86 pause, Arm yield).
inline void cpu_relax()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    asm volatile("yield" ::: "memory");
#endif
}

/// The CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> allowed_cpus();
/// Pins the calling process to `cpu`; false if the kernel refused.
bool pin_to_cpu(int cpu);

/// Latency samples in nanoseconds, summarised.
struct LatencySummary {
    size_t samples = 0;
    double min_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0, mean_us = 0;
    /// Log-spaced histogram: {lower bound in ns, count}, empty bins left out.
    std::vector<std::pair<double, uint64_t>> histogram;
};
/// Sorts `ns` in place. Percentiles are nearest-rank.
LatencySummary summarise(std::vector<uint32_t>& ns);

/// JSON string literal for `s` (quotes and backslashes escaped).
std::string json_string(const std::string& s);

}  // namespace amp::bench
