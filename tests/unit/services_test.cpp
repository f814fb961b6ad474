// The demo services and the rpc scenario, both cores over the loopback, as
// the virtual board and the firmware run them.
#include <gtest/gtest.h>

#include <cstring>

#include "amp/channel.h"
#include "amp/loopback.h"
#include "amp/role.h"
#include "amp/rpc.h"
#include "amp/services.h"
#include "test_support.h"

using namespace amp;
using namespace amp::services;

namespace {

struct Board {
    LoopbackPair<8> pair;
    ManualClock clock;
    test::CaptureSink log7, log4;
    Channel ch7{pair.a(), clock, &log7};
    Channel ch4{pair.b(), clock, &log4};
    RpcClient rpc7{ch7};
    RpcClient rpc4{ch4};
    Role cm7;
    Role cm4;
    RpcScenario s7;
    RpcScenario s4;

    Board(RoleConfig roles, ScenarioConfig c7, ScenarioConfig c4)
        : cm7(CoreId::cm7, ch7, roles),
          cm4(CoreId::cm4, ch4, roles),
          s7(CoreId::cm7, rpc7, &cm7, c7),
          s4(CoreId::cm4, rpc4, nullptr, c4)
    {
        ch7.set_protocol(protocol());
        ch4.set_protocol(protocol());
        cm7.start();
        cm4.start();
    }
    // Runs like amp-board: poll both cores, deliver, let time pass.
    int run(int max_steps = 100000)
    {
        int steps = 0;
        for (; steps < max_steps && !(cm7.done() && cm4.done()); ++steps) {
            cm7.poll();
            s7.poll();
            cm4.poll();
            s4.poll();
            pair.pump();
            clock.advance(10);
        }
        return steps;
    }
};

ScenarioConfig serve_only()
{
    ScenarioConfig c;
    c.calls = 0;
    return c;
}

}  // namespace

TEST(RpcScenario, TypeTableHashMatchesTheCApi)
{
    EXPECT_EQ(kTypesHash, AMP_RPC_TYPES_HASH);
    EXPECT_EQ(protocol(3).version, 3u);
    EXPECT_EQ(protocol().type_table_hash, kTypesHash);
}

TEST(RpcScenario, CallsEachServiceAfterTheHellosAndLogsResults)
{
    RoleConfig roles;
    roles.count = 3;
    Board b(roles, ScenarioConfig{}, serve_only());
    ASSERT_EQ(b.s7.status(), Status::ok);
    ASSERT_EQ(b.s4.status(), Status::ok);
    b.pair.bind();
    b.run();
    ASSERT_TRUE(b.cm7.done());
    ASSERT_TRUE(b.cm4.done());
    EXPECT_TRUE(b.s7.done());
    const ScenarioCounters c = b.s7.counters();
    EXPECT_EQ(c.calls, 6u);
    EXPECT_EQ(c.ok, 6u);
    EXPECT_EQ(c.failed, 0u);
    EXPECT_EQ(b.s4.counters().served, 6u);
    EXPECT_EQ(b.cm7.counters().errors, 0u);
    EXPECT_EQ(b.cm4.counters().received, 3u);
    EXPECT_TRUE(b.log7.contains("CM7 rpc checksum(256 bytes) = 0x"));
    EXPECT_TRUE(b.log7.contains("CM7 rpc checksum(64 bytes) = 0x"));
    EXPECT_TRUE(b.log7.contains("CM7 rpc stats = tx "));
    EXPECT_TRUE(b.log7.contains(" us"));
    EXPECT_EQ(b.log7.count_at(LogLevel::error), 0u);
    b.s7.log_summary();
    EXPECT_TRUE(b.log7.contains("CM7 rpc summary: calls 6, ok 6, failed 0"));
}

TEST(RpcScenario, GoodbyeWaitsForTheCalls)
{
    RoleConfig roles;
    roles.count = 1;
    ScenarioConfig c7;
    c7.calls = 4;
    Board b(roles, c7, serve_only());
    b.pair.bind();
    for (int i = 0; i < 10000 && !b.cm7.hellos_done(); ++i) b.run(1);
    ASSERT_TRUE(b.cm7.hellos_done());
    EXPECT_FALSE(b.cm7.done());
    EXPECT_EQ(b.s7.counters().calls, 0u);  // the calls start after the hellos
    b.run();
    EXPECT_TRUE(b.cm4.done());
    EXPECT_EQ(b.s7.counters().ok, 4u);
}

TEST(RpcScenario, ThousandsOfCallsBothWaysNoneLostOrMismatched)
{
    RoleConfig roles;
    roles.count = 2;
    ScenarioConfig c7;
    c7.calls = 1000;
    c7.in_flight = RpcScenario::kMaxInFlight;
    c7.log_calls = 2;
    c7.wait_for_peer = true;
    ScenarioConfig c4 = c7;
    c4.wait_for_peer = false;
    c4.calls = 1001;
    Board b(roles, c7, c4);
    b.pair.bind();
    b.run(1000000);
    ASSERT_TRUE(b.cm7.done());
    ASSERT_TRUE(b.cm4.done());
    EXPECT_EQ(b.s7.counters().ok, 1000u);
    EXPECT_EQ(b.s4.counters().ok, 1001u);
    EXPECT_EQ(b.s7.counters().failed, 0u);
    EXPECT_EQ(b.s4.counters().failed, 0u);
    EXPECT_EQ(b.s7.counters().served, 1001u);
    EXPECT_EQ(b.s4.counters().served, 1000u);
    EXPECT_EQ(b.rpc7.counters().late + b.rpc7.counters().unknown, 0u);
    EXPECT_EQ(b.rpc4.counters().malformed, 0u);
    EXPECT_TRUE(b.log7.contains("CM7 rpc peer done: calls 1001, failed 0"));
}

TEST(RpcScenario, ServicesRefuseBadRequests)
{
    RoleConfig roles;
    roles.count = 0;
    Board b(roles, serve_only(), serve_only());
    b.pair.bind();
    b.pair.pump();
    ASSERT_TRUE(b.ch7.is_ready());
    struct Got {
        Status checksum = Status::count_;
        Status stats = Status::count_;
        ChecksumReply reply{};
        static void on_checksum(void* self, Status st, const ChecksumReply& r)
        {
            static_cast<Got*>(self)->checksum = st;
            static_cast<Got*>(self)->reply = r;
        }
        static void on_stats(void* self, Status st, const StatsReply& /*r*/)
        {
            static_cast<Got*>(self)->stats = st;
        }
    } got;
    ChecksumRequest too_long{};
    too_long.length = kChecksumCapacity + 1;
    StatsRequest reserved{};
    reserved.reserved = 1;
    ASSERT_EQ(b.rpc7.call(too_long, &Got::on_checksum, &got, 1000), Status::ok);
    ASSERT_EQ(b.rpc7.call(reserved, &Got::on_stats, &got, 1000), Status::ok);
    b.pair.pump();
    EXPECT_EQ(got.checksum, Status::invalid_argument);
    EXPECT_EQ(got.stats, Status::invalid_argument);

    ChecksumRequest check{};
    check.length = 9;
    std::memcpy(check.data, "123456789", 9);
    ASSERT_EQ(b.rpc7.call(check, &Got::on_checksum, &got, 1000), Status::ok);
    b.pair.pump();
    EXPECT_EQ(got.checksum, Status::ok);
    EXPECT_EQ(got.reply.crc32c, 0xE3069283u);  // the CRC-32C check value
    EXPECT_EQ(got.reply.length, 9u);
}

TEST(RpcScenario, ProtocolMismatchStopsEverything)
{
    RoleConfig roles;
    roles.count = 2;
    Board b(roles, ScenarioConfig{}, serve_only());
    b.ch4.set_protocol(protocol(2));
    b.pair.bind();
    b.run(2000);
    EXPECT_FALSE(b.cm7.done());
    EXPECT_EQ(b.cm7.counters().sent, 0u);
    EXPECT_EQ(b.s7.counters().calls, 0u);
    EXPECT_EQ(b.s4.counters().served, 0u);
    EXPECT_TRUE(b.log7.contains("protocol mismatch: local v1 (hash 0x7e32984f), peer v2"));
    EXPECT_TRUE(b.log4.contains("protocol mismatch: local v2 (hash 0x7e32984f), peer v1"));
}

TEST(RpcScenario, TimeoutsAreReportedAsFailures)
{
    RoleConfig roles;
    roles.count = 0;
    ScenarioConfig c7;
    c7.calls = 2;
    c7.timeout_us = 500;
    Board b(roles, c7, serve_only());
    b.pair.bind();
    b.pair.pump();
    // The remote stops answering: its requests are never delivered.
    b.ch4.dispatcher().remove(ChecksumRequest::kType);
    b.ch4.dispatcher().remove(StatsRequest::kType);
    b.ch4.dispatcher().add(
        ChecksumRequest::kType, [](void*, const Frame&) {}, nullptr);
    b.ch4.dispatcher().add(
        StatsRequest::kType, [](void*, const Frame&) {}, nullptr);
    b.run(1000);
    EXPECT_TRUE(b.s7.done());
    EXPECT_EQ(b.s7.counters().failed, 2u);
    EXPECT_EQ(b.rpc7.counters().timeouts, 2u);
    EXPECT_TRUE(b.log7.contains("CM7 rpc checksum(256 bytes) failed: timeout in 500 us"));
}
