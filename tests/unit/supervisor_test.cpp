// Link supervision with the injected clock: heartbeats keep an idle link up,
// any frame counts as life, a silent peer is lost after the missed beats and
// comes back with a new session on both sides, unbound is a loss at once, a
// peer that restarts is a reset, and on loss pending calls fail with
// link_reset, streams are aborted, stale frames are dropped and counted, and
// the summary line counts the reset.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "amp/channel.h"
#include "amp/handshake.h"
#include "amp/loopback.h"
#include "amp/role.h"
#include "amp/rpc.h"
#include "amp/stream.h"
#include "amp/supervisor.h"
#include "test_support.h"

using namespace amp;

namespace {

constexpr uint32_t kPeriod = 1000;
constexpr uint8_t kPing = 0x90;  // one-way, b -> a or a -> b

// What one supervisor reported.
struct Watch {
    int lost = 0;
    int up = 0;
    Status reason = Status::count_;
    uint32_t session = 0;
    static void on_lost(void* self, Status reason)
    {
        auto* w = static_cast<Watch*>(self);
        ++w->lost;
        w->reason = reason;
    }
    static void on_up(void* self, uint32_t session)
    {
        auto* w = static_cast<Watch*>(self);
        ++w->up;
        w->session = session;
    }
};

struct Outcome {  // one rpc call, one stream
    int completions = 0;
    Status status = Status::count_;
    int closed = 0;
    Status closed_reason = Status::count_;
    static void on_done(void* self, Status st, ByteSpan /*body*/)
    {
        auto* o = static_cast<Outcome*>(self);
        ++o->completions;
        o->status = st;
    }
    static void on_closed(void* self, uint8_t /*h*/, Status reason, const StreamCounters& /*c*/)
    {
        auto* o = static_cast<Outcome*>(self);
        ++o->closed;
        o->closed_reason = reason;
    }
};

struct Link {
    LoopbackPair<8> pair;
    ManualClock clock;
    test::CaptureSink log_a, log_b;
    Channel a{pair.a(), clock, &log_a};
    Channel b{pair.b(), clock, &log_b};
    Streams sa{a};
    Streams sb{b};
    RpcClient rpc{a};
    Supervisor sup_a{a, SupervisorConfig{kPeriod, 3}, &rpc, &sa};
    Supervisor sup_b{b, SupervisorConfig{kPeriod, 3}, nullptr, &sb};
    Watch wa, wb;
    Outcome oa, ob;
    int pings_a = 0;
    int pings_b = 0;

    explicit Link(bool forward_events = true)
    {
        Supervisor::Events e;
        e.lost = &Watch::on_lost;
        e.up = &Watch::on_up;
        e.context = &wa;
        sup_a.set_events(e);
        e.context = &wb;
        sup_b.set_events(e);
        if (forward_events) {
            Channel::Events ce;  // as a platform forwards them
            ce.unbound = [](void* s) { static_cast<Supervisor*>(s)->on_unbound(); };
            ce.ready = [](void* s) { static_cast<Supervisor*>(s)->on_ready(); };
            ce.context = &sup_a;
            a.set_events(ce);
            ce.context = &sup_b;
            b.set_events(ce);
        }
        Streams::Events se;
        se.closed = &Outcome::on_closed;
        se.context = &oa;
        sa.set_events(se);
        se.context = &ob;
        sb.set_events(se);
        a.dispatcher().add(kPing, [](void* n, const Frame&) { ++*static_cast<int*>(n); }, &pings_a);
        b.dispatcher().add(kPing, [](void* n, const Frame&) { ++*static_cast<int*>(n); }, &pings_b);
        pair.bind();
        pair.pump();
        sup_a.poll();  // life is noticed by poll(): both saw the handshake at 0
        sup_b.poll();
    }
    // `dt` later, as a platform's loop: delivery, then the supervisors poll
    // (b's only when `b_alive`), then delivery of what they sent.
    void step(uint32_t dt, bool b_alive = true)
    {
        clock.advance(dt);
        pair.pump();
        sup_a.poll();
        if (b_alive) sup_b.poll();
        pair.pump();
    }
    uint32_t stale_a() const
    {
        return a.stats().snapshot().dropped[static_cast<size_t>(DropReason::stale)];
    }
};

}  // namespace

TEST(Supervisor, BothSidesAreUpOnceTheHandshakeIsDone)
{
    Link l;
    EXPECT_TRUE(l.sup_a.is_up());
    EXPECT_TRUE(l.sup_b.is_up());
    EXPECT_EQ(l.wa.up, 1);
    EXPECT_EQ(l.wa.session, 1u);
    EXPECT_EQ(l.wb.up, 1);
    EXPECT_EQ(l.wa.lost, 0);
    EXPECT_EQ(l.sup_a.next_due_us(), kPeriod);  // the first beat, before the loss deadline
}

TEST(Supervisor, HeartbeatsKeepAnIdleLinkUpAndOnlyWhenNothingElseWentOut)
{
    Link l;
    const uint32_t tx0 = l.a.stats().snapshot().tx_messages;
    for (int i = 0; i < 20; ++i) l.step(kPeriod / 2);  // 10 periods, idle
    EXPECT_EQ(l.a.stats().snapshot().tx_messages - tx0, 10u);
    EXPECT_EQ(l.b.stats().snapshot().total_dropped(), 0u);  // beats need no handler

    const uint32_t tx1 = l.a.stats().snapshot().tx_messages;
    for (int i = 0; i < 20; ++i) {  // 10 periods with traffic: no beats
        if (i % 2 == 0) {
            ASSERT_EQ(l.a.send(kPing, ByteSpan{}), Status::ok);
        }
        l.step(kPeriod / 2);
    }
    EXPECT_EQ(l.a.stats().snapshot().tx_messages - tx1, 10u);
    EXPECT_EQ(l.pings_b, 10);
    EXPECT_EQ(l.wa.lost, 0);
    EXPECT_EQ(l.wb.lost, 0);
    EXPECT_EQ(l.sup_a.resets(), 0u);
}

TEST(Supervisor, AnyFrameCountsAsLife)
{
    Link l;
    for (int i = 0; i < 10; ++i) {  // b sends pings but never polls its supervisor
        ASSERT_EQ(l.b.send(kPing, ByteSpan{}), Status::ok);
        l.step(kPeriod * 2, false);
    }
    EXPECT_EQ(l.wa.lost, 0);
    EXPECT_TRUE(l.sup_a.is_up());
}

TEST(Supervisor, ASilentPeerIsLostAfterTheMissedBeats)
{
    Link l;
    Outcome call;
    ASSERT_EQ(l.rpc.call(0x91, ByteSpan{}, &Outcome::on_done, &call, 1'000'000), Status::ok);
    uint8_t h = 0;
    ASSERT_EQ(l.sa.open(h), Status::ok);
    // b stops: nothing is delivered any more, a only polls.
    l.clock.advance(3 * kPeriod - 1);
    l.sup_a.poll();
    EXPECT_TRUE(l.sup_a.is_up());
    l.clock.advance(1);
    l.sup_a.poll();
    EXPECT_FALSE(l.sup_a.is_up());
    EXPECT_EQ(l.wa.lost, 1);
    EXPECT_EQ(l.wa.reason, Status::timeout);
    EXPECT_EQ(l.sup_a.resets(), 1u);
    EXPECT_EQ(l.a.stats().snapshot().resets, 1u);
    EXPECT_TRUE(l.log_a.contains("peer lost: timeout, resets 1"));
    // The pending call and the stream end with link_reset, once.
    EXPECT_EQ(call.completions, 1);
    EXPECT_EQ(call.status, Status::link_reset);
    EXPECT_EQ(l.oa.closed, 1);
    EXPECT_EQ(l.oa.closed_reason, Status::link_reset);
    // The session is over: a waits for the peer's handshake.
    EXPECT_EQ(l.a.state(), Channel::State::handshaking);
    EXPECT_EQ(l.a.send(kPing, ByteSpan{}), Status::not_bound);
    for (int i = 0; i < 5; ++i) {
        l.clock.advance(kPeriod);
        l.sup_a.poll();
    }
    EXPECT_EQ(l.wa.lost, 1);  // lost once
    EXPECT_EQ(call.completions, 1);
}

TEST(Supervisor, TheLostPeerComesBackWithANewSessionOnBothSides)
{
    Link l;
    Outcome call;
    ASSERT_EQ(l.rpc.call(0x91, ByteSpan{}, &Outcome::on_done, &call, 1'000'000), Status::ok);
    uint8_t h = 0;
    ASSERT_EQ(l.sa.open(h), Status::ok);
    l.clock.advance(3 * kPeriod);
    l.sup_a.poll();  // lost
    ASSERT_EQ(l.wa.lost, 1);
    // b was only slow: it still answers the old call and grants the old stream.
    l.step(0);
    EXPECT_GE(l.stale_a(), 2u);  // the answer and the grant, from before the reset
    EXPECT_EQ(call.completions, 1);
    EXPECT_EQ(l.oa.closed, 1);
    EXPECT_EQ(l.rpc.counters().late, 0u);  // never reached the client
    // a's handshake made b start a new session too: a reset there as well.
    EXPECT_EQ(l.wb.lost, 1);
    EXPECT_EQ(l.wb.reason, Status::link_reset);
    EXPECT_EQ(l.ob.closed, 1);  // the stream b had opened for a
    EXPECT_EQ(l.ob.closed_reason, Status::link_reset);
    EXPECT_TRUE(l.sup_a.is_up());
    EXPECT_TRUE(l.sup_b.is_up());
    EXPECT_EQ(l.wa.up, 2);
    EXPECT_EQ(l.wb.up, 2);
    EXPECT_EQ(l.wa.session, 2u);
    EXPECT_EQ(l.sup_a.resets(), 1u);
    EXPECT_EQ(l.sup_b.resets(), 1u);
    // Traffic flows again and stays up.
    ASSERT_EQ(l.b.send(kPing, ByteSpan{}), Status::ok);
    for (int i = 0; i < 10; ++i) l.step(kPeriod / 2);
    EXPECT_EQ(l.pings_a, 1);
    EXPECT_EQ(l.wa.lost, 1);
    EXPECT_EQ(l.wb.lost, 1);
}

TEST(Supervisor, StaleFramesFromBeforeTheResetAreDroppedAndCounted)
{
    Link l;
    l.clock.advance(3 * kPeriod);
    l.sup_a.poll();  // a gives b up and restarts its session
    ASSERT_EQ(l.wa.lost, 1);
    // b, alive but slow, sent these before it saw a's new handshake.
    ASSERT_EQ(l.b.send(kPing, ByteSpan{}), Status::ok);
    ASSERT_EQ(l.b.send(kPing, ByteSpan{}), Status::ok);
    l.pair.pump();
    EXPECT_EQ(l.pings_a, 0);
    EXPECT_EQ(l.stale_a(), 2u);
    EXPECT_TRUE(l.log_a.contains("dropped frame (link_reset"));
    // Once b answered, the new session's frames are delivered.
    EXPECT_TRUE(l.a.is_ready());
    ASSERT_EQ(l.b.send(kPing, ByteSpan{}), Status::ok);
    l.pair.pump();
    EXPECT_EQ(l.pings_a, 1);
    EXPECT_EQ(l.stale_a(), 2u);
    // Sequence numbers restarted with the new session.
    struct Seq {
        uint32_t seq = 99;
        static void on(void* s, const Frame& f) { static_cast<Seq*>(s)->seq = f.header.seq; }
    } seq;
    l.a.dispatcher().remove(kPing);
    l.a.dispatcher().add(kPing, &Seq::on, &seq);
    ASSERT_EQ(l.b.send(kPing, ByteSpan{}), Status::ok);
    l.pair.pump();
    EXPECT_LT(seq.seq, 3u);
}

TEST(Supervisor, UnboundIsALossAtOnce)
{
    Link l;
    Outcome call;
    ASSERT_EQ(l.rpc.call(0x91, ByteSpan{}, &Outcome::on_done, &call, 1'000'000), Status::ok);
    l.pair.unbind();  // no poll: the forwarded event does it
    EXPECT_EQ(l.wa.lost, 1);
    EXPECT_EQ(l.wa.reason, Status::link_reset);
    EXPECT_EQ(l.wb.lost, 1);
    EXPECT_EQ(call.completions, 1);
    EXPECT_EQ(call.status, Status::link_reset);
    l.step(10 * kPeriod);
    EXPECT_EQ(l.wa.lost, 1);
    l.pair.bind();
    l.pair.pump();
    EXPECT_EQ(l.wa.up, 2);
    EXPECT_EQ(l.wb.up, 2);
    EXPECT_EQ(l.sup_a.resets(), 1u);
}

TEST(Supervisor, PollNoticesAnUnbindWithoutTheEvent)
{
    Link l(false);
    EXPECT_EQ(l.wa.up, 1);  // no ready event forwarded: poll() noticed it
    l.pair.unbind();
    EXPECT_EQ(l.wa.lost, 0);
    l.step(1);
    EXPECT_EQ(l.wa.lost, 1);
    EXPECT_EQ(l.wa.reason, Status::link_reset);
}

TEST(Supervisor, APeerThatRestartsIsAReset)
{
    Link l;
    uint8_t h = 0;
    ASSERT_EQ(l.sa.open(h), Status::ok);
    l.pair.pump();
    l.b.on_bound();  // b's core restarted and bound again; a saw no unbound
    l.pair.pump();
    EXPECT_EQ(l.wa.lost, 1);
    EXPECT_EQ(l.wa.reason, Status::link_reset);
    EXPECT_EQ(l.wa.up, 2);
    EXPECT_EQ(l.oa.closed, 1);
    EXPECT_EQ(l.oa.closed_reason, Status::link_reset);
    EXPECT_TRUE(l.sup_a.is_up());
}

TEST(Supervisor, TheSummaryLineCountsResets)
{
    Link l;
    Role role(CoreId::cm7, l.a, RoleConfig{0, 0, 0});
    l.pair.unbind();
    l.pair.bind();
    l.pair.pump();
    role.log_summary();
    EXPECT_TRUE(l.log_a.contains("CM7 summary: sent 0, received 0, errors 0, resets 1"));
    EXPECT_EQ(role.counters().resets, 1u);
}

namespace {

// Keeps what a channel sends, to drive one channel by hand.
struct TapEndpoint final : Endpoint {
    int sent = 0;
    std::array<uint8_t, kMaxMessageSize> last{};
    Status send(ByteSpan data) override
    {
        ++sent;
        std::copy(data.begin(), data.end(), last.begin());
        return Status::ok;
    }
    size_t max_message_size() const override { return kMaxMessageSize; }
    bool is_bound() const override { return true; }
    uint8_t last_type() const { return last[wire_offset::kType]; }
    uint8_t last_handshake_flags() const { return last[kFrameHeaderSize + 2]; }
};

struct PeerHandshake {
    std::array<uint8_t, kMaxMessageSize> bytes{};
    size_t len = 0;
    explicit PeerHandshake(uint8_t flags)
    {
        const Handshake hs{kProtocolVersion, flags, 0, kEmptyTypeTableHash};
        FrameHeader h;
        h.type = msg::kHandshake;
        encode_frame(h, as_bytes(hs), bytes, len);
    }
    ByteSpan span() const { return ByteSpan{bytes.data(), len}; }
};

}  // namespace

TEST(Supervisor, AfterARestartTheNextPeersHandshakeIsAnswered)
{
    ManualClock clock;
    TapEndpoint ep;
    Channel ch{ep, clock, nullptr};
    ch.on_bound();
    ch.on_received(PeerHandshake(0).span());
    ASSERT_TRUE(ch.is_ready());
    const int before = ep.sent;
    ch.restart();  // our handshake goes out again, without "seen peer"
    EXPECT_EQ(ep.sent, before + 1);
    EXPECT_EQ(ep.last_type(), msg::kHandshake);
    EXPECT_EQ(ep.last_handshake_flags(), 0u);
    EXPECT_FALSE(ch.is_ready());
    // A new peer that never saw ours announces itself: it is answered.
    ch.on_received(PeerHandshake(0).span());
    EXPECT_TRUE(ch.is_ready());
    EXPECT_EQ(ch.session(), 2u);
    EXPECT_EQ(ep.sent, before + 2);
    EXPECT_EQ(ep.last_handshake_flags(), Handshake::kSeenPeer);
    // Its later handshakes that did see ours are not answered.
    ch.on_received(PeerHandshake(Handshake::kSeenPeer).span());
    EXPECT_EQ(ep.sent, before + 2);
    EXPECT_EQ(ch.session(), 2u);
}
