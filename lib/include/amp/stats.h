// Per-endpoint statistics: 32-bit atomic counters (lock-free on Cortex-M4/M7)
// and a latency histogram with power-of-two microsecond buckets. Any thread
// or interrupt may record; snapshot() returns a consistent copy.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "amp/status.h"

namespace amp {

/// Why a received frame was dropped.
enum class DropReason : uint8_t {
    truncated,
    bad_magic,
    bad_version,
    bad_flags,
    bad_length,
    crc_mismatch,
    unknown_type,
    wrong_size,
    other,
    count_
};
inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::count_);

/// Maps a decode/dispatch status to its drop reason.
DropReason drop_reason_for(Status s);
const char* to_string(DropReason r);

/// Bucket 0 counts latencies below 1 us, bucket i (1..N-2) counts
/// [2^(i-1), 2^i) us, the last bucket counts everything from 2^(N-2) us up.
inline constexpr size_t kLatencyBuckets = 20;
size_t latency_bucket(uint32_t us);
/// Lower bound in microseconds of bucket `i`.
uint32_t latency_bucket_floor_us(size_t i);

struct StatsSnapshot {
    uint32_t tx_messages = 0;
    uint32_t tx_bytes = 0;
    uint32_t rx_messages = 0;
    uint32_t rx_bytes = 0;
    uint32_t send_failures = 0;
    std::array<uint32_t, kDropReasonCount> dropped{};
    std::array<uint32_t, kLatencyBuckets> latency{};
    bool consistent = true;  ///< false if writers kept racing the copy

    uint32_t total_dropped() const;
    uint32_t latency_samples() const;
    /// Upper bound (bucket ceiling) in us under which `percent` of samples fall.
    uint32_t latency_percentile_us(uint32_t percent) const;
};

class Stats {
public:
    void record_sent(size_t bytes);
    void record_received(size_t bytes);
    void record_send_failure();
    void record_drop(DropReason reason);
    void record_latency_us(uint32_t us);

    StatsSnapshot snapshot() const;
    void reset();

private:
    class WriteScope;

    using Counter = std::atomic<uint32_t>;
    static_assert(Counter::is_always_lock_free, "32-bit atomics must be lock-free");

    // Writers bump begin_ before and end_ after an update; a reader that sees
    // both unchanged around its copy got a consistent one.
    Counter begin_{0};
    Counter end_{0};
    Counter tx_messages_{0};
    Counter tx_bytes_{0};
    Counter rx_messages_{0};
    Counter rx_bytes_{0};
    Counter send_failures_{0};
    std::array<Counter, kDropReasonCount> dropped_{};
    std::array<Counter, kLatencyBuckets> latency_{};
};

}  // namespace amp
