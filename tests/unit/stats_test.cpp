#include <gtest/gtest.h>

#include <thread>

#include "amp/stats.h"

using namespace amp;

TEST(Stats, CountsMessagesBytesFailuresAndDrops)
{
    Stats s;
    s.record_sent(10);
    s.record_sent(20);
    s.record_received(5);
    s.record_send_failure();
    s.record_drop(DropReason::crc_mismatch);
    s.record_drop(DropReason::crc_mismatch);
    s.record_drop(DropReason::unknown_type);
    const StatsSnapshot snap = s.snapshot();
    EXPECT_TRUE(snap.consistent);
    EXPECT_EQ(snap.tx_messages, 2u);
    EXPECT_EQ(snap.tx_bytes, 30u);
    EXPECT_EQ(snap.rx_messages, 1u);
    EXPECT_EQ(snap.rx_bytes, 5u);
    EXPECT_EQ(snap.send_failures, 1u);
    EXPECT_EQ(snap.dropped[static_cast<size_t>(DropReason::crc_mismatch)], 2u);
    EXPECT_EQ(snap.dropped[static_cast<size_t>(DropReason::unknown_type)], 1u);
    EXPECT_EQ(snap.total_dropped(), 3u);
}

TEST(Stats, ResetClearsEverything)
{
    Stats s;
    s.record_sent(1);
    s.record_latency_us(3);
    s.reset();
    const StatsSnapshot snap = s.snapshot();
    EXPECT_EQ(snap.tx_messages, 0u);
    EXPECT_EQ(snap.latency_samples(), 0u);
}

TEST(Stats, DropReasonForStatus)
{
    EXPECT_EQ(drop_reason_for(Status::bad_magic), DropReason::bad_magic);
    EXPECT_EQ(drop_reason_for(Status::crc_mismatch), DropReason::crc_mismatch);
    EXPECT_EQ(drop_reason_for(Status::wrong_size), DropReason::wrong_size);
    EXPECT_EQ(drop_reason_for(Status::timeout), DropReason::other);
    EXPECT_EQ(drop_reason_for(Status::truncated), DropReason::truncated);
    EXPECT_EQ(drop_reason_for(Status::link_reset), DropReason::stale);
    EXPECT_EQ(drop_reason_for(Status::count_), DropReason::other);
}

TEST(Stats, DropReasonNames)
{
    // Each reason of a malformed frame is named as its status.
    for (size_t i = 0; i < kDropReasonCount; ++i) {
        const auto r = static_cast<DropReason>(i);
        if (r == DropReason::other || r == DropReason::stale) continue;
        bool found = false;
        for (unsigned s = 0; s < kStatusCount; ++s) {
            if (drop_reason_for(static_cast<Status>(s)) == r) {
                EXPECT_STREQ(to_string(r), to_string(static_cast<Status>(s))) << i;
                found = true;
            }
        }
        EXPECT_TRUE(found) << i;
    }
    EXPECT_STREQ(to_string(DropReason::bad_flags), "bad_flags");
    EXPECT_STREQ(to_string(DropReason::other), "other");
    EXPECT_STREQ(to_string(DropReason::stale), "stale");
    EXPECT_STREQ(to_string(DropReason::count_), "unknown_reason");
}

TEST(Stats, EveryCounterLandsInItsSnapshotField)
{
    Stats s;
    s.record_sent(7);
    s.record_received(9);
    s.record_received(1);
    s.record_send_failure();
    s.record_reset();
    s.record_drop(DropReason::stale);
    s.record_drop(static_cast<DropReason>(200));  // out of range: other
    s.record_latency_us(0);
    s.record_latency_us(UINT32_MAX);
    const StatsSnapshot snap = s.snapshot();
    EXPECT_EQ(snap.tx_messages, 1u);
    EXPECT_EQ(snap.tx_bytes, 7u);
    EXPECT_EQ(snap.rx_messages, 2u);
    EXPECT_EQ(snap.rx_bytes, 10u);
    EXPECT_EQ(snap.send_failures, 1u);
    EXPECT_EQ(snap.resets, 1u);
    EXPECT_EQ(snap.dropped[static_cast<size_t>(DropReason::stale)], 1u);
    EXPECT_EQ(snap.dropped[static_cast<size_t>(DropReason::other)], 1u);
    EXPECT_EQ(snap.total_dropped(), 2u);
    EXPECT_EQ(snap.latency[0], 1u);
    EXPECT_EQ(snap.latency[kLatencyBuckets - 1], 1u);
    EXPECT_EQ(snap.latency_samples(), 2u);
    EXPECT_EQ(s.tx_messages(), 1u);
    EXPECT_EQ(s.rx_messages(), 2u);
}

TEST(Stats, LatencyBucketsArePowersOfTwo)
{
    EXPECT_EQ(latency_bucket(0), 0u);
    EXPECT_EQ(latency_bucket(1), 1u);
    EXPECT_EQ(latency_bucket(2), 2u);
    EXPECT_EQ(latency_bucket(3), 2u);
    EXPECT_EQ(latency_bucket(4), 3u);
    EXPECT_EQ(latency_bucket(1023), 10u);
    EXPECT_EQ(latency_bucket(1024), 11u);
    EXPECT_EQ(latency_bucket(UINT32_MAX), kLatencyBuckets - 1);
    EXPECT_EQ(latency_bucket_floor_us(0), 0u);
    EXPECT_EQ(latency_bucket_floor_us(11), 1024u);
}

TEST(Stats, LatencyPercentiles)
{
    Stats s;
    for (int i = 0; i < 90; ++i) s.record_latency_us(3);     // bucket [2,4)
    for (int i = 0; i < 10; ++i) s.record_latency_us(100);   // bucket [64,128)
    const StatsSnapshot snap = s.snapshot();
    EXPECT_EQ(snap.latency_samples(), 100u);
    EXPECT_EQ(snap.latency_percentile_us(50), 4u);
    EXPECT_EQ(snap.latency_percentile_us(90), 4u);
    EXPECT_EQ(snap.latency_percentile_us(99), 128u);
    EXPECT_EQ(Stats{}.snapshot().latency_percentile_us(50), 0u);
}

#if !defined(AMP_TARGET_HARNESS)
TEST(Stats, ConcurrentWritersLoseNothingAndSnapshotsStayConsistent)
{
    Stats s;
    constexpr uint32_t kPerThread = 100000;
    auto writer = [&s] {
        for (uint32_t i = 0; i < kPerThread; ++i) s.record_sent(2);
    };
    std::thread a(writer);
    std::thread b(writer);
    uint32_t consistent_seen = 0;
    for (int i = 0; i < 1000; ++i) {
        const StatsSnapshot snap = s.snapshot();
        if (snap.consistent) {
            ++consistent_seen;
            EXPECT_EQ(snap.tx_bytes, snap.tx_messages * 2);
        }
    }
    a.join();
    b.join();
    const StatsSnapshot end = s.snapshot();
    EXPECT_TRUE(end.consistent);
    EXPECT_EQ(end.tx_messages, 2 * kPerThread);
    EXPECT_EQ(end.tx_bytes, 4 * kPerThread);
    (void)consistent_seen;
}
#endif
