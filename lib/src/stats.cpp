#include "amp/stats.h"

#include <bit>
#include <cstddef>
#include <cstring>
#include <iterator>

namespace amp {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// The status each drop reason is recorded for (drop_reason_for()), in
// DropReason order; `other` (any other status) has none: Status::count_.
constexpr Status kReasonStatus[] = {Status::truncated,    Status::bad_magic,  Status::bad_version,
                                    Status::bad_flags,    Status::bad_length, Status::crc_mismatch,
                                    Status::unknown_type, Status::wrong_size, Status::count_,
                                    Status::link_reset};
static_assert(std::size(kReasonStatus) == kDropReasonCount, "one status per drop reason");

uint32_t sum(const uint32_t* values, size_t n)
{
    uint32_t total = 0;
    for (size_t i = 0; i < n; ++i) total += values[i];
    return total;
}

}  // namespace

DropReason drop_reason_for(Status s)
{
    for (size_t i = 0; i < kDropReasonCount; ++i) {
        if (kReasonStatus[i] == s && s != Status::count_) return static_cast<DropReason>(i);
    }
    return DropReason::other;
}

// The reasons of malformed frames share the names of their statuses.
const char* to_string(DropReason r)
{
    if (r == DropReason::other) return "other";
    if (r == DropReason::stale) return "stale";
    const auto i = static_cast<size_t>(r);
    return i < kDropReasonCount ? to_string(kReasonStatus[i]) : "unknown_reason";
}

size_t latency_bucket(uint32_t us)
{
    const auto bits = static_cast<size_t>(std::bit_width(us));  // 0 for 0, i for [2^(i-1), 2^i)
    return bits < kLatencyBuckets ? bits : kLatencyBuckets - 1;
}

uint32_t latency_bucket_floor_us(size_t i)
{
    return i == 0 ? 0u : (1u << (i - 1));
}

uint32_t StatsSnapshot::total_dropped() const
{
    return sum(dropped.data(), dropped.size());
}

uint32_t StatsSnapshot::latency_samples() const
{
    return sum(latency.data(), latency.size());
}

uint32_t StatsSnapshot::latency_percentile_us(uint32_t percent) const
{
    const uint32_t total = latency_samples();
    if (total == 0) return 0;
    // Smallest bucket whose cumulative count reaches `percent` of the samples;
    // compared as seen * 100 >= total * percent (64-bit products, no division).
    const uint64_t wanted = uint64_t{total} * percent;
    uint64_t seen = 0;
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
        seen += latency[i];
        if (latency[i] != 0 && seen * 100 >= wanted) {
            return i + 1 < kLatencyBuckets ? latency_bucket_floor_us(i + 1) : UINT32_MAX;
        }
    }
    return UINT32_MAX;
}

void Stats::add(size_t i, uint32_t n, uint32_t m)
{
    begin_.fetch_add(1, std::memory_order_acq_rel);  // an update is in flight
    counters_[i].fetch_add(n, kRelaxed);
    if (m != 0) counters_[i + 1].fetch_add(m, kRelaxed);
    end_.fetch_add(1, std::memory_order_release);
}

void Stats::record_sent(size_t bytes)
{
    add(kTxMessages, 1, static_cast<uint32_t>(bytes));
}

void Stats::record_received(size_t bytes)
{
    add(kRxMessages, 1, static_cast<uint32_t>(bytes));
}

void Stats::record_send_failure()
{
    add(kSendFailures, 1);
}

void Stats::record_drop(DropReason reason)
{
    const auto i = static_cast<size_t>(reason);
    add(kDropped + (i < kDropReasonCount ? i : static_cast<size_t>(DropReason::other)), 1);
}

void Stats::record_latency_us(uint32_t us)
{
    add(kLatency + latency_bucket(us), 1);
}

void Stats::record_reset()
{
    add(kResets, 1);
}

StatsSnapshot Stats::snapshot() const
{
    // The counters are the snapshot's leading uint32_t fields, in order.
    static_assert(offsetof(StatsSnapshot, dropped) == kDropped * sizeof(uint32_t) &&
                      offsetof(StatsSnapshot, latency) == kLatency * sizeof(uint32_t) &&
                      offsetof(StatsSnapshot, consistent) == kCount * sizeof(uint32_t),
                  "StatsSnapshot lists the counters in index order");
    StatsSnapshot s;
    std::array<uint32_t, kCount> values;  // NOLINT: filled below
    constexpr int kAttempts = 8;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        const uint32_t ended = end_.load(std::memory_order_acquire);
        const uint32_t began = begin_.load(std::memory_order_acquire);
        for (size_t i = 0; i < kCount; ++i) values[i] = counters_[i].load(kRelaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        // Consistent when no writer was in flight at the start (began == ended)
        // and none started while we copied.
        s.consistent = began == ended && begin_.load(kRelaxed) == began;
        if (s.consistent) break;
    }
    std::memcpy(static_cast<void*>(&s), values.data(), sizeof values);
    return s;
}

void Stats::reset()
{
    begin_.fetch_add(1, std::memory_order_acq_rel);
    for (Counter& c : counters_) c.store(0, kRelaxed);
    end_.fetch_add(1, std::memory_order_release);
}

}  // namespace amp
