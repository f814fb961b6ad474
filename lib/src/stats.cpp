#include "amp/stats.h"

namespace amp {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}

DropReason drop_reason_for(Status s)
{
    switch (s) {
    case Status::truncated: return DropReason::truncated;
    case Status::bad_magic: return DropReason::bad_magic;
    case Status::bad_version: return DropReason::bad_version;
    case Status::bad_flags: return DropReason::bad_flags;
    case Status::bad_length: return DropReason::bad_length;
    case Status::crc_mismatch: return DropReason::crc_mismatch;
    case Status::unknown_type: return DropReason::unknown_type;
    case Status::wrong_size: return DropReason::wrong_size;
    default: return DropReason::other;
    }
}

const char* to_string(DropReason r)
{
    switch (r) {
    case DropReason::truncated: return "truncated";
    case DropReason::bad_magic: return "bad_magic";
    case DropReason::bad_version: return "bad_version";
    case DropReason::bad_flags: return "bad_flags";
    case DropReason::bad_length: return "bad_length";
    case DropReason::crc_mismatch: return "crc_mismatch";
    case DropReason::unknown_type: return "unknown_type";
    case DropReason::wrong_size: return "wrong_size";
    case DropReason::other: return "other";
    case DropReason::count_: break;
    }
    return "unknown_reason";
}

size_t latency_bucket(uint32_t us)
{
    size_t bucket = 0;
    while (us != 0 && bucket < kLatencyBuckets - 1) {
        us >>= 1;
        ++bucket;
    }
    return bucket;
}

uint32_t latency_bucket_floor_us(size_t i)
{
    return i == 0 ? 0u : (1u << (i - 1));
}

uint32_t StatsSnapshot::total_dropped() const
{
    uint32_t sum = 0;
    for (uint32_t d : dropped) sum += d;
    return sum;
}

uint32_t StatsSnapshot::latency_samples() const
{
    uint32_t sum = 0;
    for (uint32_t n : latency) sum += n;
    return sum;
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

// Marks one update in flight for the duration of a scope.
class Stats::WriteScope {
public:
    explicit WriteScope(Stats& s) : s_(s) { s_.begin_.fetch_add(1, std::memory_order_acq_rel); }
    ~WriteScope() { s_.end_.fetch_add(1, std::memory_order_release); }
    WriteScope(const WriteScope&) = delete;
    WriteScope& operator=(const WriteScope&) = delete;

private:
    Stats& s_;
};

void Stats::record_sent(size_t bytes)
{
    WriteScope w(*this);
    tx_messages_.fetch_add(1, kRelaxed);
    tx_bytes_.fetch_add(static_cast<uint32_t>(bytes), kRelaxed);
}

void Stats::record_received(size_t bytes)
{
    WriteScope w(*this);
    rx_messages_.fetch_add(1, kRelaxed);
    rx_bytes_.fetch_add(static_cast<uint32_t>(bytes), kRelaxed);
}

void Stats::record_send_failure()
{
    WriteScope w(*this);
    send_failures_.fetch_add(1, kRelaxed);
}

void Stats::record_drop(DropReason reason)
{
    const auto i = static_cast<size_t>(reason);
    WriteScope w(*this);
    dropped_[i < kDropReasonCount ? i : static_cast<size_t>(DropReason::other)].fetch_add(1,
                                                                                          kRelaxed);
}

void Stats::record_latency_us(uint32_t us)
{
    WriteScope w(*this);
    latency_[latency_bucket(us)].fetch_add(1, kRelaxed);
}

StatsSnapshot Stats::snapshot() const
{
    StatsSnapshot s;
    constexpr int kAttempts = 8;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        const uint32_t ended = end_.load(std::memory_order_acquire);
        const uint32_t began = begin_.load(std::memory_order_acquire);
        s.tx_messages = tx_messages_.load(kRelaxed);
        s.tx_bytes = tx_bytes_.load(kRelaxed);
        s.rx_messages = rx_messages_.load(kRelaxed);
        s.rx_bytes = rx_bytes_.load(kRelaxed);
        s.send_failures = send_failures_.load(kRelaxed);
        for (size_t i = 0; i < kDropReasonCount; ++i) s.dropped[i] = dropped_[i].load(kRelaxed);
        for (size_t i = 0; i < kLatencyBuckets; ++i) s.latency[i] = latency_[i].load(kRelaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        // Consistent when no writer was in flight at the start (began == ended)
        // and none started while we copied.
        s.consistent = began == ended && begin_.load(kRelaxed) == began;
        if (s.consistent) break;
    }
    return s;
}

void Stats::reset()
{
    WriteScope w(*this);
    for (Counter* c : {&tx_messages_, &tx_bytes_, &rx_messages_, &rx_bytes_, &send_failures_}) {
        c->store(0, kRelaxed);
    }
    for (auto& c : dropped_) c.store(0, kRelaxed);
    for (auto& c : latency_) c.store(0, kRelaxed);
}

}  // namespace amp
