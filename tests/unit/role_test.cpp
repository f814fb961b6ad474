// The hello exchange of the original sample, both roles over the loopback.
#include <gtest/gtest.h>

#include "amp/channel.h"
#include "amp/loopback.h"
#include "amp/role.h"
#include "test_support.h"

using namespace amp;

namespace {

template <size_t Buffers = 4>
struct Board {
    LoopbackPair<Buffers> pair;
    ManualClock clock;
    test::CaptureSink log7, log4;
    Channel ch7{pair.a(), clock, &log7};
    Channel ch4{pair.b(), clock, &log4};
    Role cm7;
    Role cm4;

    explicit Board(RoleConfig cfg = {}) : cm7(CoreId::cm7, ch7, cfg), cm4(CoreId::cm4, ch4, cfg)
    {
        cm7.start();
        cm4.start();
    }
    // Binds and completes the version handshake.
    void connect()
    {
        pair.bind();
        pair.pump();
    }
    // Runs until both roles are done or `max_steps` pass.
    void run(int max_steps = 10000)
    {
        for (int i = 0; i < max_steps && !(cm7.done() && cm4.done()); ++i) {
            cm7.poll();
            pair.pump();
            clock.advance(10);
        }
    }
};

}  // namespace

TEST(Role, InitialisationIsLogged)
{
    Board<> b;
    EXPECT_TRUE(b.log7.contains("C++ OpenAMP library initialized for CM7"));
    EXPECT_TRUE(b.log4.contains("C++ OpenAMP library initialized for CM4"));
}

TEST(Role, PrimaryWaitsForBound)
{
    Board<> b;
    b.cm7.poll();
    EXPECT_EQ(b.cm7.counters().sent, 0u);
    EXPECT_EQ(b.pair.pending(), 0u);
}

TEST(Role, TenExchangesWithMatchingSummaries)
{
    Board<> b;
    b.pair.bind();
    b.run();
    ASSERT_TRUE(b.cm7.done());
    ASSERT_TRUE(b.cm4.done());
    const RoleCounters c7 = b.cm7.counters();
    const RoleCounters c4 = b.cm4.counters();
    EXPECT_EQ(c7.sent, 10u);
    EXPECT_EQ(c7.received, 10u);
    EXPECT_EQ(c7.errors, 0u);
    EXPECT_EQ(c4.sent, 10u);
    EXPECT_EQ(c4.received, 10u);
    EXPECT_EQ(c4.errors, 0u);
    EXPECT_TRUE(b.log7.contains("CM7 sending message: Hello from CM7, count: 0 (len: 24)"));
    EXPECT_TRUE(b.log4.contains("CM4 received message with length: 24"));
    EXPECT_TRUE(b.log4.contains("CM4 sending message: Hello from CM4, count: 9 (len: 24)"));
    EXPECT_TRUE(b.log7.contains("CM7 received message with length: 24"));
    b.cm7.log_summary();
    b.cm4.log_summary();
    EXPECT_TRUE(b.log7.contains("CM7 summary: sent 10, received 10, errors 0"));
    EXPECT_TRUE(b.log4.contains("CM4 summary: sent 10, received 10, errors 0"));
    EXPECT_EQ(b.ch7.stats().snapshot().latency_samples(), 10u);
}

TEST(Role, PaddedPayloadsAreCheckedByteForByte)
{
    RoleConfig cfg;
    cfg.count = 5;
    cfg.payload_size = static_cast<uint32_t>(kMaxPayloadSize);
    Board<> b(cfg);
    b.pair.bind();
    b.run();
    ASSERT_TRUE(b.cm4.done());
    EXPECT_EQ(b.cm7.counters().errors, 0u);
    EXPECT_EQ(b.cm4.counters().errors, 0u);
    EXPECT_TRUE(b.log7.contains("(len: 476)"));
    EXPECT_TRUE(b.log7.contains("CM7 received message with length: 476"));
}

TEST(Role, IntervalIsHonoured)
{
    RoleConfig cfg;
    cfg.count = 3;
    cfg.interval_us = 1000;
    Board<> b(cfg);
    b.connect();
    b.cm7.poll();
    b.pair.pump();
    EXPECT_EQ(b.cm7.counters().received, 1u);
    b.clock.advance(999);
    b.cm7.poll();
    EXPECT_EQ(b.cm7.counters().sent, 1u);
    b.clock.advance(1);
    b.cm7.poll();
    EXPECT_EQ(b.cm7.counters().sent, 2u);
}

TEST(Role, CorruptedHelloIsAnError)
{
    Board<> b;
    b.connect();
    const char text[] = "Hello from CM7, count: x";
    b.ch7.send(msg::kHello, ByteSpan{reinterpret_cast<const uint8_t*>(text), sizeof text - 1});
    b.pair.pump();
    EXPECT_EQ(b.cm4.counters().errors, 1u);
    EXPECT_EQ(b.cm4.counters().sent, 0u);
    EXPECT_TRUE(b.log4.contains("unexpected message"));
}

TEST(Role, OutOfOrderCountIsAnError)
{
    Board<> b;
    b.connect();
    const char text[] = "Hello from CM7, count: 5";
    b.ch7.send(msg::kHello, ByteSpan{reinterpret_cast<const uint8_t*>(text), sizeof text - 1});
    b.pair.pump();
    EXPECT_EQ(b.cm4.counters().errors, 1u);
    EXPECT_TRUE(b.log4.contains("expected count 0"));
}

TEST(Role, NoBufferOnTheRemoteIsCountedAsAnError)
{
    Board<1> b;
    b.connect();
    // Fill the CM4's only transmit buffer so that its reply cannot be sent.
    ASSERT_EQ(b.ch4.send(msg::kUserFirst, ByteSpan{}), Status::ok);
    b.cm7.poll();
    EXPECT_EQ(b.pair.pump(1), 1u);  // delivers the CM7 hello first
    EXPECT_EQ(b.cm4.counters().received, 1u);
    EXPECT_EQ(b.cm4.counters().sent, 0u);
    EXPECT_EQ(b.cm4.counters().errors, 2u);  // the failed reply, counted by role and channel
    EXPECT_TRUE(b.log4.contains("reply 0 failed: no_buffer"));
}

TEST(Role, HelloExchangeResumesAfterAReset)
{
    Board<> b;
    b.connect();
    // Three answered hellos, then the fourth is in flight when the link drops.
    for (int i = 0; i < 3; ++i) {
        b.cm7.poll();
        b.pair.pump();
    }
    ASSERT_EQ(b.cm7.counters().received, 3u);
    b.cm7.poll();
    ASSERT_EQ(b.cm7.counters().sent, 4u);
    b.pair.unbind();  // the hello in flight is lost
    b.connect();      // new session: handshake again
    b.run();
    ASSERT_TRUE(b.cm7.done());
    ASSERT_TRUE(b.cm4.done());
    EXPECT_EQ(b.cm7.counters().received, 10u);  // count 3 was sent again and answered
    EXPECT_EQ(b.cm4.counters().errors, 0u);
    EXPECT_EQ(b.cm7.counters().errors, 0u);
    EXPECT_TRUE(b.log4.contains("CM4 sending message: Hello from CM4, count: 9"));
}
