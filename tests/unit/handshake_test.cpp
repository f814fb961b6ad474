// The version handshake: agreement, mismatch on both sides, gating of
// application traffic, re-runs after a re-bind, and a refused first send.
#include <gtest/gtest.h>

#include <array>

#include "amp/channel.h"
#include "amp/crc32c.h"
#include "amp/handshake.h"
#include "amp/loopback.h"
#include "test_support.h"

using namespace amp;

namespace {

struct Ping {
    static constexpr uint8_t kType = 0x90;
    uint32_t value;
};
struct Pong {
    uint32_t value;
    uint16_t extra;
    uint16_t pad;
};
struct Note {
    static constexpr uint8_t kType = 0x91;
    uint8_t bytes[6];
};

struct Fixture {
    LoopbackPair<4> pair;
    ManualClock clock;
    test::CaptureSink log_a, log_b;
    Channel a{pair.a(), clock, &log_a};
    Channel b{pair.b(), clock, &log_b};
    int got = 0;

    Fixture() { b.dispatcher().add<Ping>(&Fixture::on_ping, this); }
    static void on_ping(void* self, const Ping& /*ping*/) { ++static_cast<Fixture*>(self)->got; }
    void connect()
    {
        pair.bind();
        pair.pump();
    }
    static uint32_t dropped_other(const Channel& c)
    {
        return c.stats().snapshot().dropped[static_cast<size_t>(DropReason::other)];
    }
};

// A frame as the peer would send it, for feeding a channel by hand.
struct RawFrame {
    std::array<uint8_t, kMaxMessageSize> bytes{};
    size_t len = 0;

    RawFrame(uint8_t type, ByteSpan payload, uint8_t flags = 0)
    {
        FrameHeader h;
        h.type = type;
        h.flags = flags;
        encode_frame(h, payload, bytes, len);
    }
    ByteSpan span() const { return ByteSpan{bytes.data(), len}; }
    // The CRC-32C again, after a field was changed on purpose.
    void seal()
    {
        const uint32_t crc = crc32c(0, bytes.data(), wire_offset::kCrc);
        store_le32(bytes.data() + wire_offset::kCrc,
                   crc32c(crc, bytes.data() + kFrameHeaderSize, len - kFrameHeaderSize));
    }
};

// An endpoint that keeps what is sent and can refuse sends, to drive a
// single channel by hand.
struct ManualEndpoint final : Endpoint {
    int sent = 0;
    bool refuse = false;
    bool bound = true;
    std::array<uint8_t, kMaxMessageSize> last{};

    Status send(ByteSpan data) override
    {
        if (refuse) return Status::no_buffer;
        ++sent;
        std::copy(data.begin(), data.end(), last.begin());
        return Status::ok;
    }
    size_t max_message_size() const override { return kMaxMessageSize; }
    bool is_bound() const override { return bound; }
    uint8_t last_type() const { return last[wire_offset::kType]; }
    uint8_t last_handshake_flags() const { return last[kFrameHeaderSize + 2]; }
};

Handshake handshake_of(uint16_t version, uint8_t flags = 0)
{
    return Handshake{version, flags, 0, kEmptyTypeTableHash};
}

}  // namespace

TEST(Handshake, TypeTableHashIgnoresOrderButSeesEverySize)
{
    constexpr std::array<TypeInfo, 2> t1{service_type<Ping, Pong>(), message_type<Note>()};
    constexpr std::array<TypeInfo, 2> t2{message_type<Note>(), service_type<Ping, Pong>()};
    constexpr std::array<TypeInfo, 1> t3{service_type<Ping, Pong>()};
    constexpr std::array<TypeInfo, 2> t4{service_type<Ping, Ping>(), message_type<Note>()};
    static_assert(type_table_hash(t1) == type_table_hash(t2));
    EXPECT_EQ(type_table_hash(t1), type_table_hash(t2));
    EXPECT_NE(type_table_hash(t1), type_table_hash(t3));
    EXPECT_NE(type_table_hash(t1), type_table_hash(t4));
    EXPECT_EQ(type_table_hash(std::array<TypeInfo, 0>{}), kEmptyTypeTableHash);
}

TEST(Handshake, SucceedsAndOpensTheChannel)
{
    Fixture fx;
    EXPECT_EQ(fx.a.state(), Channel::State::unbound);
    fx.pair.bind();
    EXPECT_EQ(fx.a.state(), Channel::State::handshaking);
    EXPECT_TRUE(fx.a.is_bound());
    EXPECT_FALSE(fx.a.is_ready());
    EXPECT_EQ(fx.a.send(Ping{1}), Status::not_bound);
    fx.pair.pump();
    EXPECT_TRUE(fx.a.is_ready());
    EXPECT_TRUE(fx.b.is_ready());
    EXPECT_EQ(fx.a.session(), 1u);
    EXPECT_EQ(fx.a.peer_protocol(), fx.b.protocol());
    EXPECT_TRUE(fx.log_a.contains(
        "protocol agreed: local v1 (hash 0x811c9dc5), peer v1 (hash 0x811c9dc5)"));
    EXPECT_TRUE(fx.log_b.contains("protocol agreed: "));
    EXPECT_EQ(fx.a.send(Ping{1}), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.got, 1);
    // One handshake frame each way, nothing dropped.
    EXPECT_EQ(fx.a.stats().snapshot().rx_messages, 1u);
    EXPECT_EQ(fx.b.stats().snapshot().total_dropped(), 0u);
}

TEST(Handshake, VersionMismatchIsRefusedOnBothSidesAndLogged)
{
    Fixture fx;
    fx.b.set_protocol(ProtocolInfo{2, kEmptyTypeTableHash});
    fx.connect();
    EXPECT_EQ(fx.a.state(), Channel::State::mismatch);
    EXPECT_EQ(fx.b.state(), Channel::State::mismatch);
    EXPECT_TRUE(fx.log_a.contains(
        "protocol mismatch: local v1 (hash 0x811c9dc5), peer v2 (hash 0x811c9dc5)"));
    EXPECT_TRUE(fx.log_b.contains(
        "protocol mismatch: local v2 (hash 0x811c9dc5), peer v1 (hash 0x811c9dc5)"));
    EXPECT_EQ(fx.log_a.count_at(LogLevel::error), 1u);
    EXPECT_EQ(fx.a.peer_protocol().version, 2u);
    EXPECT_EQ(fx.a.send(Ping{1}), Status::version_mismatch);
    EXPECT_EQ(fx.b.send(Ping{1}), Status::version_mismatch);
    EXPECT_EQ(fx.a.session(), 0u);
}

TEST(Handshake, TypeTableMismatchIsRefused)
{
    Fixture fx;
    constexpr std::array<TypeInfo, 1> table{service_type<Ping, Pong>()};
    fx.a.set_protocol(ProtocolInfo{kProtocolVersion, type_table_hash(table)});
    fx.connect();
    EXPECT_EQ(fx.a.state(), Channel::State::mismatch);
    EXPECT_EQ(fx.b.state(), Channel::State::mismatch);
    EXPECT_TRUE(fx.log_b.contains("protocol mismatch: local v1 (hash 0x811c9dc5), peer v1 (hash"));
}

TEST(Handshake, ApplicationFramesAreDroppedUntilTheHandshakeSucceeded)
{
    Fixture fx;
    fx.pair.bind();  // handshakes queued, not delivered
    const Ping ping{5};
    const RawFrame early(Ping::kType, as_bytes(ping));
    fx.b.on_received(early.span());
    EXPECT_EQ(fx.got, 0);
    // Before the peer's handshake: from an older session, dropped as stale.
    EXPECT_EQ(fx.b.stats().snapshot().dropped[static_cast<size_t>(DropReason::stale)], 1u);
    EXPECT_TRUE(fx.log_b.contains("dropped frame (link_reset"));
    EXPECT_EQ(fx.a.send(ping), Status::not_bound);
    EXPECT_EQ(fx.a.stats().snapshot().send_failures, 1u);

    fx.pair.pump();
    fx.b.on_received(early.span());
    EXPECT_EQ(fx.got, 1);
}

TEST(Handshake, ApplicationFramesAreDroppedAfterAMismatch)
{
    Fixture fx;
    fx.a.set_protocol(ProtocolInfo{7, kEmptyTypeTableHash});
    fx.connect();
    const Ping ping{5};
    const RawFrame frame(Ping::kType, as_bytes(ping));
    fx.b.on_received(frame.span());
    EXPECT_EQ(fx.got, 0);
    EXPECT_EQ(Fixture::dropped_other(fx.b), 1u);
    EXPECT_TRUE(fx.log_b.contains("dropped frame (version_mismatch"));
}

TEST(Handshake, RerunsAfterUnbindAndBind)
{
    Fixture fx;
    fx.connect();
    ASSERT_TRUE(fx.a.is_ready());
    fx.pair.unbind();
    EXPECT_EQ(fx.a.state(), Channel::State::unbound);
    EXPECT_EQ(fx.a.send(Ping{1}), Status::not_bound);

    // Re-bound with another version on one side (it was reflashed): refused.
    fx.b.set_protocol(ProtocolInfo{3, kEmptyTypeTableHash});
    fx.connect();
    EXPECT_EQ(fx.a.state(), Channel::State::mismatch);
    EXPECT_TRUE(fx.log_a.contains("peer v3"));

    // And back to the same version: traffic flows again.
    fx.pair.unbind();
    fx.b.set_protocol(ProtocolInfo{});
    fx.connect();
    EXPECT_TRUE(fx.a.is_ready());
    EXPECT_TRUE(fx.b.is_ready());
    EXPECT_EQ(fx.a.session(), 2u);
    EXPECT_EQ(fx.a.send(Ping{1}), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.got, 1);
}

TEST(Handshake, PeerRebindWithoutUnbindIsAnswered)
{
    Fixture fx;
    fx.connect();
    ASSERT_TRUE(fx.b.is_ready());
    // b's endpoint binds again (its core restarted) while a saw no unbound.
    fx.b.on_bound();
    EXPECT_EQ(fx.b.state(), Channel::State::handshaking);
    fx.pair.pump();
    EXPECT_TRUE(fx.a.is_ready());
    EXPECT_TRUE(fx.b.is_ready());
    EXPECT_EQ(fx.a.session(), 2u);                     // a noticed the new peer session
    EXPECT_EQ(fx.log_a.count_at(LogLevel::info), 2u);  // agreed, and agreed again
    EXPECT_EQ(fx.b.send(Ping{2}), Status::ok);
}

TEST(Handshake, PeerHandshakeBeforeOwnBindIsKept)
{
    ManualClock clock;
    ManualEndpoint ep;
    test::CaptureSink log;
    Channel ch{ep, clock, &log};
    const Handshake peer = handshake_of(kProtocolVersion);
    ch.on_received(RawFrame(msg::kHandshake, as_bytes(peer)).span());
    EXPECT_EQ(ch.state(), Channel::State::unbound);
    EXPECT_EQ(ep.sent, 0);
    ch.on_bound();
    EXPECT_TRUE(ch.is_ready());
    ASSERT_EQ(ep.sent, 1);
    EXPECT_EQ(ep.last_type(), msg::kHandshake);
    EXPECT_EQ(ep.last_handshake_flags(), Handshake::kSeenPeer);
}

TEST(Handshake, RefusedHandshakeIsSentAgainByPoll)
{
    ManualClock clock;
    ManualEndpoint ep;
    Channel ch{ep, clock, nullptr};
    ep.refuse = true;
    ch.on_bound();
    EXPECT_EQ(ep.sent, 0);
    EXPECT_EQ(ch.stats().snapshot().send_failures, 1u);
    ch.poll();
    EXPECT_EQ(ep.sent, 0);
    ep.refuse = false;
    ch.poll();
    ASSERT_EQ(ep.sent, 1);
    EXPECT_EQ(ep.last_type(), msg::kHandshake);
    ch.poll();
    EXPECT_EQ(ep.sent, 1);  // once is enough
    ch.on_received(RawFrame(msg::kHandshake, as_bytes(handshake_of(kProtocolVersion))).span());
    EXPECT_TRUE(ch.is_ready());
}

TEST(Handshake, ShortHandshakeIsDropped)
{
    ManualClock clock;
    ManualEndpoint ep;
    Channel ch{ep, clock, nullptr};
    ch.on_bound();
    const uint8_t shorter[4] = {1, 0, 0, 0};
    ch.on_received(RawFrame(msg::kHandshake, ByteSpan{shorter, sizeof shorter}).span());
    EXPECT_EQ(ch.state(), Channel::State::handshaking);
    EXPECT_EQ(ch.stats().snapshot().dropped[static_cast<size_t>(DropReason::wrong_size)], 1u);
}

TEST(Handshake, PeerWithAnotherFrameVersionIsReported)
{
    ManualClock clock;
    ManualEndpoint ep;
    test::CaptureSink log;
    Channel ch{ep, clock, &log};
    ch.on_bound();
    RawFrame foreign(msg::kHandshake, as_bytes(handshake_of(1)));
    foreign.bytes[wire_offset::kVersion] = 2;  // a wire format we do not speak
    foreign.seal();
    ch.on_received(foreign.span());
    EXPECT_EQ(ch.state(), Channel::State::mismatch);
    EXPECT_TRUE(log.contains(
        "protocol mismatch: local v1 (hash 0x811c9dc5), peer frame version 2 (ours 1)"));
    EXPECT_EQ(ch.stats().snapshot().dropped[static_cast<size_t>(DropReason::bad_version)], 1u);
    EXPECT_EQ(ch.send(Ping{1}), Status::version_mismatch);
}

// A bit flipped in the version byte (a cached shared region, say) is damage:
// the frame is dropped, and the session goes on.
TEST(Handshake, DamagedVersionByteIsNotAnotherVersion)
{
    ManualClock clock;
    ManualEndpoint ep;
    test::CaptureSink log;
    Channel ch{ep, clock, &log};
    ch.on_bound();
    ch.on_received(RawFrame(msg::kHandshake, as_bytes(handshake_of(kProtocolVersion))).span());
    ASSERT_TRUE(ch.is_ready());
    RawFrame damaged(msg::kHandshake, as_bytes(handshake_of(kProtocolVersion)));
    damaged.bytes[wire_offset::kVersion] ^= 0x02;
    ch.on_received(damaged.span());
    EXPECT_TRUE(ch.is_ready());
    EXPECT_EQ(ch.stats().snapshot().dropped[static_cast<size_t>(DropReason::bad_version)], 1u);
    EXPECT_TRUE(log.contains("check its MPU attributes"));
    EXPECT_EQ(ch.send(Ping{1}), Status::ok);
}

TEST(Handshake, HeartbeatPassesBeforeTheHandshake)
{
    ManualClock clock;
    ManualEndpoint ep;
    Channel ch{ep, clock, nullptr};
    int beats = 0;
    ch.dispatcher().add(
        msg::kHeartbeat, [](void* c, const Frame&) { ++*static_cast<int*>(c); }, &beats);
    ch.on_bound();
    EXPECT_EQ(ch.send(msg::kHeartbeat, ByteSpan{}), Status::ok);
    ch.on_received(RawFrame(msg::kHeartbeat, ByteSpan{}).span());
    EXPECT_EQ(beats, 1);
}
