#include "util.h"

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cmath>

namespace amp::bench {

uint64_t now_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

std::vector<int> allowed_cpus()
{
    std::vector<int> cpus;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
    for (int i = 0; i < CPU_SETSIZE; ++i) {
        if (CPU_ISSET(i, &set)) cpus.push_back(i);
    }
    return cpus;
}

bool pin_to_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

LatencySummary summarise(std::vector<uint32_t>& ns)
{
    LatencySummary s;
    s.samples = ns.size();
    if (ns.empty()) return s;
    std::sort(ns.begin(), ns.end());
    auto rank = [&](double p) {
        // Nearest rank: the smallest sample with at least p of all at or below it.
        size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(ns.size())));
        i = std::clamp<size_t>(i, 1, ns.size()) - 1;
        return ns[i] / 1000.0;
    };
    s.min_us = ns.front() / 1000.0;
    s.max_us = ns.back() / 1000.0;
    s.p50_us = rank(0.50);
    s.p90_us = rank(0.90);
    s.p99_us = rank(0.99);
    s.p999_us = rank(0.999);
    double sum = 0;
    for (uint32_t v : ns) sum += v;
    s.mean_us = sum / static_cast<double>(ns.size()) / 1000.0;

    // 20 bins per decade from 10 ns: fine enough to see modes, small in JSON.
    constexpr double kBinsPerDecade = 20;
    constexpr double kFirstNs = 10;
    auto bin_of = [&](uint32_t v) {
        const double x = std::max<double>(v, kFirstNs);
        return static_cast<long>(std::floor(std::log10(x / kFirstNs) * kBinsPerDecade));
    };
    long bin = -1;
    for (uint32_t v : ns) {  // ascending, so bins arrive in order
        const long b = bin_of(v);
        if (b != bin) {
            s.histogram.push_back({kFirstNs * std::pow(10.0, b / kBinsPerDecade), 0});
            bin = b;
        }
        ++s.histogram.back().second;
    }
    return s;
}

std::string json_string(const std::string& s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out + "\"";
}

}  // namespace amp::bench
