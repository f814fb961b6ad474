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
    stale,  ///< sent before the link reset (Status::link_reset): an old session's frame
    count_
};
inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::count_);

/// Maps a decode/dispatch status to its drop reason.
DropReason drop_reason_for(Status s);
const char* to_string(DropReason r);

/// Bucket 0 counts latencies below 1 us, bucket i (1..N-2) counts
/// [2^(i-1), 2^i) us, the last bucket counts everything from 2^(N-2) us up
/// (16 buckets: from 16.4 ms up).
inline constexpr size_t kLatencyBuckets = 16;
size_t latency_bucket(uint32_t us);
/// Lower bound in microseconds of bucket `i`.
uint32_t latency_bucket_floor_us(size_t i);

struct StatsSnapshot {
    uint32_t tx_messages = 0;
    uint32_t tx_bytes = 0;
    uint32_t rx_messages = 0;
    uint32_t rx_bytes = 0;
    uint32_t send_failures = 0;
    uint32_t resets = 0;  ///< times the peer was declared lost (amp/supervisor.h)
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
    void record_reset();

    StatsSnapshot snapshot() const;
    /// Single counters without a snapshot (cheap enough to poll).
    uint32_t tx_messages() const { return counters_[kTxMessages].load(std::memory_order_relaxed); }
    uint32_t rx_messages() const { return counters_[kRxMessages].load(std::memory_order_relaxed); }
    void reset();

private:
    using Counter = std::atomic<uint32_t>;
    static_assert(Counter::is_always_lock_free, "32-bit atomics must be lock-free");

    // Counter indices, in the order of the StatsSnapshot fields.
    enum : uint8_t {
        kTxMessages,
        kTxBytes,
        kRxMessages,
        kRxBytes,
        kSendFailures,
        kResets,
        kDropped,
        kLatency = kDropped + kDropReasonCount,
        kCount = kLatency + kLatencyBuckets
    };
    /// Adds `n` to counter `i` and `m` (if not 0) to counter i + 1, as one update.
    void add(size_t i, uint32_t n, uint32_t m = 0);

    // Writers bump begin_ before and end_ after an update; a reader that sees
    // both unchanged around its copy got a consistent one.
    Counter begin_{0};
    Counter end_{0};
    std::array<Counter, kCount> counters_{};
};

}  // namespace amp
