// Request/response: completions exactly once, timeouts through the injected
// clock, late/unknown/malformed responses, the pending table, error statuses,
// one-way messages, and both cores as client and server at once.
#include <gtest/gtest.h>

#include <array>

#include "amp/channel.h"
#include "amp/loopback.h"
#include "amp/rpc.h"
#include "test_support.h"

using namespace amp;

namespace {

struct Square {
    static constexpr uint8_t kType = 0x90;
    uint32_t value;
};
struct Squared {
    uint32_t value;
    uint32_t square;
};
struct Negate {  // served by the other side
    static constexpr uint8_t kType = 0x91;
    int32_t value;
};
struct Negated {
    int32_t value;
};

// What the server does: counts, refuses 13 (an error status), squares the rest.
struct Server {
    int calls = 0;
    static Status square(void* self, const Square& req, Squared& resp)
    {
        ++static_cast<Server*>(self)->calls;
        if (req.value == 13) return Status::invalid_argument;
        resp.value = req.value;
        resp.square = req.value * req.value;
        return Status::ok;
    }
    static Status negate(void* self, const Negate& req, Negated& resp)
    {
        ++static_cast<Server*>(self)->calls;
        resp.value = -req.value;
        return Status::ok;
    }
};

// One caller's view of one call.
struct Result {
    int completions = 0;
    Status status = Status::count_;
    Squared reply{};
    static void on_squared(void* self, Status st, const Squared& r)
    {
        auto* res = static_cast<Result*>(self);
        ++res->completions;
        res->status = st;
        res->reply = r;
    }
    static void on_raw(void* self, Status st, ByteSpan /*body*/)
    {
        auto* res = static_cast<Result*>(self);
        ++res->completions;
        res->status = st;
    }
};

struct Fixture {
    LoopbackPair<8> pair;
    ManualClock clock;
    test::CaptureSink log_c, log_s;
    Channel client_ch{pair.a(), clock, &log_c};
    Channel server_ch{pair.b(), clock, &log_s};
    RpcClient rpc{client_ch};
    Server server;

    explicit Fixture(bool connect = true)
    {
        serve(server_ch, &Server::square, &server);
        if (connect) {
            pair.bind();
            pair.pump();
        }
    }
    Status call(uint32_t value, Result& r, uint32_t timeout_us = 1000, uint32_t* id = nullptr)
    {
        return rpc.call(Square{value}, &Result::on_squared, &r, timeout_us, id);
    }
    uint32_t client_drops(DropReason why) const
    {
        return client_ch.stats().snapshot().dropped[static_cast<size_t>(why)];
    }
};

// A response frame as a (possibly broken) server would send it.
struct ResponseFrame {
    std::array<uint8_t, kMaxMessageSize> bytes{};
    size_t len = 0;
    ResponseFrame(uint8_t type, uint32_t correlation, ByteSpan payload)
    {
        FrameHeader h;
        h.type = type;
        h.flags = kFlagResponse;
        h.correlation = correlation;
        encode_frame(h, payload, bytes, len);
    }
    ByteSpan span() const { return ByteSpan{bytes.data(), len}; }
};

}  // namespace

TEST(Rpc, CallIsAnsweredOnce)
{
    Fixture fx;
    Result r;
    ASSERT_EQ(fx.call(12, r), Status::ok);
    EXPECT_EQ(fx.rpc.pending(), 1u);
    fx.pair.pump();
    EXPECT_EQ(r.completions, 1);
    EXPECT_EQ(r.status, Status::ok);
    EXPECT_EQ(r.reply.value, 12u);
    EXPECT_EQ(r.reply.square, 144u);
    EXPECT_EQ(fx.rpc.pending(), 0u);
    const RpcCounters c = fx.rpc.counters();
    EXPECT_EQ(c.calls, 1u);
    EXPECT_EQ(c.ok, 1u);
    fx.clock.advance(5000);
    fx.rpc.poll();
    EXPECT_EQ(r.completions, 1);
}

TEST(Rpc, ErrorStatusReachesTheCaller)
{
    Fixture fx;
    Result r;
    ASSERT_EQ(fx.call(13, r), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(r.completions, 1);
    EXPECT_EQ(r.status, Status::invalid_argument);
    EXPECT_EQ(r.reply.square, 0u);  // value-initialised on errors
    EXPECT_EQ(fx.rpc.counters().error_responses, 1u);
    EXPECT_EQ(fx.rpc.counters().ok, 0u);
}

TEST(Rpc, TimeoutThenTheLateResponseIsDropped)
{
    Fixture fx;
    Result r;
    ASSERT_EQ(fx.call(3, r, 1000), Status::ok);
    fx.clock.advance(999);
    fx.rpc.poll();
    EXPECT_EQ(r.completions, 0);
    fx.clock.advance(1);
    fx.rpc.poll();
    EXPECT_EQ(r.completions, 1);
    EXPECT_EQ(r.status, Status::timeout);
    EXPECT_EQ(fx.rpc.pending(), 0u);
    EXPECT_EQ(fx.rpc.counters().timeouts, 1u);

    fx.pair.pump();  // the server answers now
    EXPECT_EQ(fx.server.calls, 1);
    EXPECT_EQ(r.completions, 1);
    EXPECT_EQ(fx.rpc.counters().late, 1u);
    EXPECT_EQ(fx.client_drops(DropReason::other), 1u);
    EXPECT_TRUE(fx.log_c.contains("dropped frame (timeout"));
}

TEST(Rpc, UnknownCorrelationIdIsDroppedAndCounted)
{
    Fixture fx;
    const uint8_t ok_reply[] = {0, 1, 0, 0, 0, 1, 0, 0, 0};
    fx.client_ch.on_received(ResponseFrame(Square::kType, 4242, ok_reply).span());
    fx.client_ch.on_received(ResponseFrame(Square::kType, 0, ok_reply).span());
    EXPECT_EQ(fx.rpc.counters().unknown, 2u);
    EXPECT_EQ(fx.rpc.counters().late, 0u);
    EXPECT_EQ(fx.client_drops(DropReason::other), 2u);
    EXPECT_TRUE(fx.log_c.contains("dropped frame (not_found"));
}

TEST(Rpc, TableFullIsRefusedAndCounted)
{
    Fixture fx;
    std::array<Result, config::kMaxPending> results{};
    for (uint32_t i = 0; i < config::kMaxPending; ++i)
        ASSERT_EQ(fx.call(i, results[i]), Status::ok);
    Result extra;
    EXPECT_EQ(fx.call(99, extra), Status::table_full);
    EXPECT_EQ(fx.rpc.counters().table_full, 1u);
    EXPECT_EQ(fx.rpc.pending(), config::kMaxPending);
    fx.pair.pump();
    EXPECT_EQ(fx.rpc.pending(), 0u);
    EXPECT_EQ(extra.completions, 0);
    EXPECT_EQ(fx.call(99, extra), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(extra.reply.square, 9801u);
}

TEST(Rpc, ManyRequestsInFlightEachGetTheirOwnAnswer)
{
    Fixture fx;
    std::array<Result, config::kMaxPending> results{};
    uint32_t total = 0;
    for (uint32_t round = 0; round < 50; ++round) {
        for (uint32_t i = 0; i < config::kMaxPending; ++i) {
            results[i] = Result{};
            ASSERT_EQ(fx.call(round * 100 + i, results[i]), Status::ok);
        }
        fx.pair.pump();
        for (uint32_t i = 0; i < config::kMaxPending; ++i) {
            ASSERT_EQ(results[i].completions, 1);
            ASSERT_EQ(results[i].status, Status::ok);
            ASSERT_EQ(results[i].reply.value, round * 100 + i);
            ++total;
        }
    }
    EXPECT_EQ(fx.rpc.counters().ok, total);
    EXPECT_EQ(fx.rpc.counters().calls, total);
}

TEST(Rpc, WrongResponseSizeCompletesWithWrongSize)
{
    Fixture fx;
    Result r;
    uint32_t id = 0;
    ASSERT_EQ(fx.call(2, r, 1000, &id), Status::ok);
    const uint8_t short_reply[] = {0, 2, 0, 0, 0};  // ok + 4 bytes, Squared has 8
    fx.client_ch.on_received(ResponseFrame(Square::kType, id, short_reply).span());
    EXPECT_EQ(r.completions, 1);
    EXPECT_EQ(r.status, Status::wrong_size);
    EXPECT_EQ(fx.rpc.counters().malformed, 1u);
    EXPECT_EQ(fx.client_drops(DropReason::wrong_size), 1u);
    EXPECT_TRUE(fx.log_c.contains("dropped frame (wrong_size"));
}

TEST(Rpc, MalformedResponsesCompleteWithAnError)
{
    Fixture fx;
    Result a, b, c;
    uint32_t ida = 0, idb = 0, idc = 0;
    ASSERT_EQ(fx.call(1, a, 1000, &ida), Status::ok);
    ASSERT_EQ(fx.call(1, b, 1000, &idb), Status::ok);
    ASSERT_EQ(fx.call(1, c, 1000, &idc), Status::ok);
    const uint8_t bad_status[] = {200};
    fx.client_ch.on_received(ResponseFrame(Square::kType, ida, ByteSpan{}).span());
    fx.client_ch.on_received(ResponseFrame(Negate::kType, idb, bad_status).span());
    fx.client_ch.on_received(ResponseFrame(Square::kType, idc, bad_status).span());
    EXPECT_EQ(a.status, Status::bad_length);
    EXPECT_EQ(b.status, Status::unknown_type);
    EXPECT_EQ(c.status, Status::faulted);
    EXPECT_EQ(fx.rpc.counters().malformed, 3u);
    EXPECT_EQ(fx.rpc.pending(), 0u);
}

TEST(Rpc, WrongRequestSizeIsAnsweredWithWrongSize)
{
    Fixture fx;
    Result r;
    const uint8_t three[] = {1, 2, 3};
    ASSERT_EQ(fx.rpc.call(Square::kType, three, &Result::on_raw, &r, 1000), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(r.completions, 1);
    EXPECT_EQ(r.status, Status::wrong_size);
    EXPECT_EQ(fx.server.calls, 0);
    EXPECT_EQ(fx.server_ch.stats().snapshot().dropped[static_cast<size_t>(DropReason::wrong_size)],
              1u);
    EXPECT_EQ(fx.rpc.counters().error_responses, 1u);
}

TEST(Rpc, UnknownServiceIsAnsweredWithUnknownType)
{
    Fixture fx;
    Result r;
    ASSERT_EQ(fx.rpc.call(0xA0, ByteSpan{}, &Result::on_raw, &r, 1000), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(r.completions, 1);
    EXPECT_EQ(r.status, Status::unknown_type);
}

TEST(Rpc, OneWayRunsTheServiceWithoutAnswer)
{
    Fixture fx;
    const uint32_t server_tx = fx.server_ch.stats().snapshot().tx_messages;
    ASSERT_EQ(fx.rpc.notify(Square{4}), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.server.calls, 1);
    EXPECT_EQ(fx.server_ch.stats().snapshot().tx_messages, server_tx);
    EXPECT_EQ(fx.rpc.pending(), 0u);
    EXPECT_EQ(fx.rpc.counters().calls, 0u);
}

TEST(Rpc, BothSidesAreClientAndServerAtOnce)
{
    Fixture fx;
    RpcClient rpc_back{fx.server_ch};
    Server negator;
    ASSERT_EQ(serve(fx.client_ch, &Server::negate, &negator), Status::ok);
    struct Neg {
        int completions = 0;
        int32_t value = 0;
        static void on(void* self, Status st, const Negated& r)
        {
            auto* n = static_cast<Neg*>(self);
            n->completions += st == Status::ok ? 1 : 100;
            n->value = r.value;
        }
    };
    std::array<Result, 4> forward{};
    std::array<Neg, 4> back{};
    for (uint32_t i = 0; i < 4; ++i) {
        ASSERT_EQ(fx.call(i + 1, forward[i]), Status::ok);
        ASSERT_EQ(rpc_back.call(Negate{static_cast<int32_t>(i + 1)}, &Neg::on, &back[i], 1000),
                  Status::ok);
    }
    fx.pair.pump();
    for (uint32_t i = 0; i < 4; ++i) {
        EXPECT_EQ(forward[i].completions, 1);
        EXPECT_EQ(forward[i].reply.square, (i + 1) * (i + 1));
        EXPECT_EQ(back[i].completions, 1);
        EXPECT_EQ(back[i].value, -static_cast<int32_t>(i + 1));
    }
    EXPECT_EQ(fx.rpc.counters().ok, 4u);
    EXPECT_EQ(rpc_back.counters().ok, 4u);
}

TEST(Rpc, FailAllCompletesEveryPendingCallOnce)
{
    Fixture fx;
    std::array<Result, 3> results{};
    for (auto& r : results) ASSERT_EQ(fx.call(5, r), Status::ok);
    EXPECT_EQ(fx.rpc.fail_all(Status::link_reset), 3u);
    for (const auto& r : results) {
        EXPECT_EQ(r.completions, 1);
        EXPECT_EQ(r.status, Status::link_reset);
    }
    EXPECT_EQ(fx.rpc.fail_all(Status::link_reset), 0u);
    EXPECT_EQ(fx.rpc.counters().failed, 3u);
    fx.pair.pump();  // the answers are late now
    EXPECT_EQ(fx.rpc.counters().late, 3u);
    for (const auto& r : results) EXPECT_EQ(r.completions, 1);
}

TEST(Rpc, CancelCompletesOnce)
{
    Fixture fx;
    Result r;
    uint32_t id = 0;
    ASSERT_EQ(fx.call(5, r, 1000, &id), Status::ok);
    EXPECT_NE(id, 0u);
    EXPECT_EQ(fx.rpc.cancel(id), Status::ok);
    EXPECT_EQ(fx.rpc.cancel(id), Status::not_found);
    EXPECT_EQ(r.completions, 1);
    EXPECT_EQ(r.status, Status::timeout);
    EXPECT_EQ(fx.rpc.counters().timeouts, 1u);
}

TEST(Rpc, CallBeforeTheHandshakeIsRefusedWithoutCompletion)
{
    Fixture fx(false);
    Result r;
    EXPECT_EQ(fx.call(1, r), Status::not_bound);
    fx.pair.bind();  // bound, handshake not delivered yet
    EXPECT_EQ(fx.call(1, r), Status::not_bound);
    EXPECT_EQ(fx.rpc.pending(), 0u);
    EXPECT_EQ(fx.rpc.counters().send_failures, 2u);
    fx.clock.advance(10000);
    fx.rpc.poll();
    EXPECT_EQ(r.completions, 0);
    fx.pair.pump();
    EXPECT_EQ(fx.call(1, r), Status::ok);
}

TEST(Rpc, NoBufferIsReturnedAndTheSlotFreed)
{
    LoopbackPair<1> pair;
    ManualClock clock;
    Channel a{pair.a(), clock, nullptr};
    Channel b{pair.b(), clock, nullptr};
    RpcClient rpc{a};
    pair.bind();
    pair.pump();
    Result r1, r2;
    ASSERT_EQ(rpc.call(Square{1}, &Result::on_squared, &r1, 1000), Status::ok);
    EXPECT_EQ(rpc.call(Square{2}, &Result::on_squared, &r2, 1000), Status::no_buffer);
    EXPECT_EQ(rpc.pending(), 1u);
    EXPECT_EQ(r2.completions, 0);
}

TEST(Rpc, InvalidArgumentsAreRefused)
{
    Fixture fx;
    Result r;
    RpcClient::TypedCompletion<Squared> none = nullptr;
    EXPECT_EQ(fx.rpc.call(Square{1}, none, &r, 1000), Status::invalid_argument);
    EXPECT_EQ(fx.call(1, r, RpcClient::kMaxTimeoutUs + 1), Status::invalid_argument);
    EXPECT_EQ(fx.rpc.pending(), 0u);
    ServiceHandler<Square, Squared> no_handler = nullptr;
    EXPECT_EQ(serve(fx.server_ch, no_handler, nullptr), Status::invalid_argument);
    EXPECT_EQ(serve(fx.server_ch, &Server::square, &fx.server), Status::busy);
}

TEST(Rpc, CompletionMayStartTheNextCall)
{
    struct Chain {
        RpcClient* rpc = nullptr;
        uint32_t remaining = 0;
        uint32_t ok = 0;
        static void on(void* self, Status st, const Squared& /*r*/)
        {
            auto* c = static_cast<Chain*>(self);
            c->ok += st == Status::ok ? 1 : 0;
            if (c->remaining > 0) {
                --c->remaining;
                c->rpc->call(Square{c->remaining + 100}, &Chain::on, c, 1000);
            }
        }
    };
    Fixture fx;
    Chain chain{&fx.rpc, 20, 0};
    ASSERT_EQ(fx.rpc.call(Square{100}, &Chain::on, &chain, 1000), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(chain.ok, 21u);
    EXPECT_EQ(fx.rpc.pending(), 0u);
}
