#include <gtest/gtest.h>

#include <array>

#include "amp/channel.h"
#include "amp/loopback.h"
#include "test_support.h"

using namespace amp;

namespace {

struct Fixture {
    LoopbackPair<4> pair;
    ManualClock clock;
    test::CaptureSink log_a, log_b;
    Channel a{pair.a(), clock, &log_a};
    Channel b{pair.b(), clock, &log_b};
    int got = 0;
    std::array<uint8_t, kMaxPayloadSize> last{};
    size_t last_len = 0;
    uint32_t last_corr = 0;

    Fixture()
    {
        b.dispatcher().add(0x80, &Fixture::on_msg, this);
        pair.bind();
        pair.pump();  // the version handshake
        a.stats().reset();
        b.stats().reset();
    }
    static void on_msg(void* self, const Frame& f)
    {
        auto* fx = static_cast<Fixture*>(self);
        ++fx->got;
        fx->last_len = f.payload.size();
        fx->last_corr = f.header.correlation;
        std::copy(f.payload.begin(), f.payload.end(), fx->last.begin());
    }
};

}  // namespace

TEST(Channel, SendsFramesThatArriveIntact)
{
    Fixture fx;
    const uint8_t payload[] = {9, 8, 7};
    ASSERT_EQ(fx.a.send(0x80, payload, kFlagRequest, 42), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.got, 1);
    EXPECT_EQ(fx.last_len, 3u);
    EXPECT_EQ(fx.last[0], 9);
    EXPECT_EQ(fx.last_corr, 42u);
    const StatsSnapshot sa = fx.a.stats().snapshot();
    const StatsSnapshot sb = fx.b.stats().snapshot();
    EXPECT_EQ(sa.tx_messages, 1u);
    EXPECT_EQ(sa.tx_bytes, kFrameHeaderSize + 3);
    EXPECT_EQ(sb.rx_messages, 1u);
    EXPECT_EQ(sb.rx_bytes, kFrameHeaderSize + 3);
}

TEST(Channel, MaximumPayloadAndOneByteOver)
{
    Fixture fx;
    std::array<uint8_t, kMaxPayloadSize + 1> big{};
    EXPECT_EQ(fx.a.max_payload(), kMaxPayloadSize);
    EXPECT_EQ(fx.a.send(0x80, ByteSpan{big.data(), kMaxPayloadSize}), Status::ok);
    EXPECT_EQ(fx.a.send(0x80, big), Status::too_large);
    fx.pair.pump();
    EXPECT_EQ(fx.got, 1);
    EXPECT_EQ(fx.last_len, kMaxPayloadSize);
    EXPECT_EQ(fx.a.stats().snapshot().send_failures, 1u);
}

TEST(Channel, NoBufferIsReportedAndCounted)
{
    Fixture fx;
    for (int i = 0; i < 4; ++i) ASSERT_EQ(fx.a.send(0x80, ByteSpan{}), Status::ok);
    EXPECT_EQ(fx.a.send(0x80, ByteSpan{}), Status::no_buffer);
    EXPECT_EQ(fx.a.stats().snapshot().send_failures, 1u);
    fx.pair.pump();
    EXPECT_EQ(fx.got, 4);
    EXPECT_EQ(fx.a.send(0x80, ByteSpan{}), Status::ok);
}

TEST(Channel, UnknownTypeIsCountedLoggedAndDropped)
{
    Fixture fx;
    ASSERT_EQ(fx.a.send(0x99, ByteSpan{}), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.got, 0);
    const StatsSnapshot sb = fx.b.stats().snapshot();
    EXPECT_EQ(sb.dropped[static_cast<size_t>(DropReason::unknown_type)], 1u);
    EXPECT_EQ(sb.rx_messages, 0u);
    EXPECT_TRUE(fx.log_b.contains("unknown_type"));
    EXPECT_TRUE(fx.log_b.contains("type 153"));
}

TEST(Channel, GarbageIsDroppedWithItsReason)
{
    Fixture fx;
    const uint8_t garbage[] = {1, 2, 3};
    fx.b.on_received(garbage);
    std::array<uint8_t, 24> bad_magic{};
    fx.b.on_received(bad_magic);
    const StatsSnapshot sb = fx.b.stats().snapshot();
    EXPECT_EQ(sb.dropped[static_cast<size_t>(DropReason::truncated)], 1u);
    EXPECT_EQ(sb.dropped[static_cast<size_t>(DropReason::bad_magic)], 1u);
    EXPECT_EQ(fx.got, 0);
}

TEST(Channel, CrcErrorLogNamesTheLikelyCause)
{
    Fixture fx;
    std::array<uint8_t, kMaxMessageSize> frame{};
    size_t len = 0;
    FrameHeader h;
    h.type = 0x80;
    const uint8_t payload[] = {1, 2, 3, 4};
    ASSERT_EQ(encode_frame(h, payload, frame, len), Status::ok);
    frame[len - 1] ^= 0x04;
    fx.b.on_received(ByteSpan{frame.data(), len});
    EXPECT_EQ(fx.b.stats().snapshot().dropped[static_cast<size_t>(DropReason::crc_mismatch)], 1u);
    EXPECT_TRUE(fx.log_b.contains("cached"));
    EXPECT_EQ(fx.got, 0);
}

TEST(Channel, SequenceNumbersIncrease)
{
    struct Seq {
        uint32_t seqs[3] = {};
        int n = 0;
        static void on(void* self, const Frame& f)
        {
            auto* s = static_cast<Seq*>(self);
            if (s->n < 3) s->seqs[s->n++] = f.header.seq;
        }
    } seq;
    Fixture fx;
    fx.b.dispatcher().remove(0x80);
    fx.b.dispatcher().add(0x80, &Seq::on, &seq);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(fx.a.send(0x80, ByteSpan{}), Status::ok);
    fx.pair.pump();
    ASSERT_EQ(seq.n, 3);
    EXPECT_EQ(seq.seqs[1], seq.seqs[0] + 1);
    EXPECT_EQ(seq.seqs[2], seq.seqs[0] + 2);
}

TEST(Channel, BoundAndUnboundEvents)
{
    LoopbackPair<1> pair;
    ManualClock clock;
    Channel a{pair.a(), clock, nullptr};
    Channel b{pair.b(), clock, nullptr};
    int bound = 0, unbound = 0;
    Channel::Events ev;
    ev.context = &bound;
    ev.bound = [](void* c) { ++*static_cast<int*>(c); };
    a.set_events(ev);
    EXPECT_FALSE(a.is_bound());
    EXPECT_EQ(a.send(0x80, ByteSpan{}), Status::not_bound);
    pair.bind();
    EXPECT_TRUE(a.is_bound());
    EXPECT_EQ(bound, 1);
    ev.context = &unbound;
    ev.bound = nullptr;
    ev.unbound = [](void* c) { ++*static_cast<int*>(c); };
    a.set_events(ev);
    pair.unbind();
    EXPECT_FALSE(a.is_bound());
    EXPECT_EQ(unbound, 1);
}
