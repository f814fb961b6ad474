// The portable shared-memory link over a plain in-memory region with fake
// doorbells: layout, RPMsg framing, binding, flow, and every validation of
// what the peer writes into the region.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstring>

#include "amp/channel.h"
#include "amp/role.h"
#include "amp/shm_link.h"
#include "test_support.h"

using namespace amp;
using shm::Side;

namespace {

constexpr size_t kGuard = 64;
constexpr size_t kMaxRegion = 32768;
constexpr uint8_t kGuardByte = 0xA5;
alignas(64) uint8_t g_mem[kGuard + kMaxRegion + kGuard];

struct FakeDoorbell final : Doorbell {
    uint32_t rings = 0;
    void ring() override { ++rings; }
};

struct Recorder final : EndpointListener {
    int bound = 0;
    int unbound = 0;
    int received = 0;
    std::array<uint8_t, 512> last{};
    size_t last_len = 0;
    Endpoint* echo = nullptr;  // sends every message back through this endpoint

    void on_bound() override { ++bound; }
    void on_unbound() override { ++unbound; }
    void on_received(ByteSpan d) override
    {
        ++received;
        last_len = d.size();
        std::memcpy(last.data(), d.data(), d.size() < last.size() ? d.size() : last.size());
        if (echo != nullptr) echo->send(d);
    }
};

// Two links over one region inside guard bytes that must never change.
struct Board {
    FakeDoorbell to_remote;
    FakeDoorbell to_primary;
    test::CaptureSink log_p;
    test::CaptureSink log_r;
    ShmLink primary{Side::primary, to_remote, &log_p};
    ShmLink remote{Side::remote, to_primary, &log_r};
    Recorder rp;
    Recorder rr;
    MutableByteSpan region;
    ShmLinkConfig cfg;

    explicit Board(size_t size = 2048, uint32_t buffer_size = 128) : region(g_mem + kGuard, size)
    {
        std::memset(g_mem, kGuardByte, sizeof g_mem);
        primary.set_listener(&rp);
        remote.set_listener(&rr);
        cfg.name = "amp-test";
        cfg.buffer_size = buffer_size;
    }
    bool guards_intact() const
    {
        for (size_t i = 0; i < kGuard; ++i) {
            if (g_mem[i] != kGuardByte) return false;
        }
        for (size_t i = kGuard + region.size(); i < sizeof g_mem; ++i) {
            if (g_mem[i] != kGuardByte) return false;
        }
        return true;
    }
    void pump(int rounds = 4)
    {
        for (int i = 0; i < rounds; ++i) {
            primary.poll();
            remote.poll();
        }
    }
    bool bind()
    {
        if (primary.create(region, cfg) != Status::ok) return false;
        if (remote.attach(region, cfg) != Status::ok) return false;
        pump();
        return primary.is_bound() && remote.is_bound();
    }
    uint8_t* at(uint32_t offset) { return region.data() + offset; }
    void put16(uint32_t offset, uint16_t v) { std::memcpy(at(offset), &v, 2); }
    void put32(uint32_t offset, uint32_t v) { std::memcpy(at(offset), &v, 4); }
    uint16_t get16(uint32_t offset) const
    {
        uint16_t v = 0;
        std::memcpy(&v, region.data() + offset, 2);
        return v;
    }
    const shm::Layout& layout() const { return primary.layout(); }
    // Plays a rogue remote that asks for a session without attaching, so
    // that the primary reads the remote's ring.
    void rogue_session()
    {
        const uint32_t epoch = offsetof(shm::RegionHeader, side) + sizeof(shm::SideBlock) +
                               offsetof(shm::SideBlock, epoch);
        put32(static_cast<uint32_t>(epoch), 1);
        primary.poll();
    }

    // Plays a rogue `sender`: publishes `bytes` (RPMsg header included) in
    // buffer `id` of its ring, with a well-formed descriptor.
    void inject(Side sender, uint32_t id, const uint8_t* bytes, uint32_t len)
    {
        const shm::Layout& l = layout();
        std::memcpy(at(l.buffer(sender, id)), bytes, len);
        put32(l.desc(sender, id), l.buffer(sender, id));
        put32(l.desc(sender, id) + 4, 0);
        put32(l.desc(sender, id) + 8, len);
        put16(l.desc(sender, id) + 12, 0);
        const uint16_t idx = get16(l.avail_idx(sender));
        put16(l.avail_entry(sender, idx % l.num_buffers), static_cast<uint16_t>(id));
        put16(l.avail_idx(sender), static_cast<uint16_t>(idx + 1));
    }
};

// A name-service message from a rogue remote: header + name + addr + flags.
uint32_t make_ns(uint8_t* out, const char* name, uint32_t addr, uint32_t payload_len)
{
    rpmsg::Header h;
    h.src = 1024;
    h.dst = rpmsg::kNsAddress;
    h.len = static_cast<uint16_t>(payload_len);
    rpmsg::encode_header(h, out);
    std::memset(out + rpmsg::kHeaderSize, 'x', payload_len);
    if (name != nullptr)
        (void)rpmsg::encode_ns(name, addr, rpmsg::kNsCreate, out + rpmsg::kHeaderSize);
    return static_cast<uint32_t>(rpmsg::kHeaderSize + payload_len);
}

const uint8_t kMsg[] = {'p', 'i', 'n', 'g', 0, 1, 2, 3};

// After a fault: counted, logged with its reason, link dead, listener told,
// nothing outside the region touched.
void expect_fault(Board& b, ShmLink& link, Recorder& rec, test::CaptureSink& log, ShmFault why)
{
    EXPECT_TRUE(link.faulted());
    EXPECT_EQ(link.fault(), why) << to_string(link.fault());
    EXPECT_GE(link.counters().faults, 1u);
    EXPECT_TRUE(log.contains(to_string(why)));
    EXPECT_GE(log.count_at(LogLevel::error), 1u);
    EXPECT_EQ(link.send(kMsg), Status::faulted);
    EXPECT_EQ(link.poll(), 0u);
    EXPECT_EQ(rec.unbound, 1);
    EXPECT_EQ(link.peer_state() == shm::SideState::faulted, false);
    EXPECT_TRUE(b.guards_intact());
}

}  // namespace

TEST(ShmLayout, DefaultsFollowZephyrStaticVrings)
{
    // 32 KiB per instance as on the MIMXRT1160-EVK, 512-byte buffers.
    EXPECT_EQ(shm::buffers_for(32768, shm::kDefaultBufferSize), 16u);
    EXPECT_LE(shm::region_size_for(16, 512), 32768u);
    EXPECT_EQ(shm::kDefaultBufferSize - rpmsg::kHeaderSize, kMaxMessageSize);
}

TEST(ShmLayout, CountIsTheLargestPowerOfTwoThatFits)
{
    const size_t eight = shm::region_size_for(8, 512);
    EXPECT_EQ(shm::buffers_for(eight, 512), 8u);
    EXPECT_EQ(shm::buffers_for(eight - 1, 512), 4u);
    EXPECT_EQ(shm::buffers_for(100, 512), 0u);
    EXPECT_EQ(shm::buffers_for(size_t{1} << 30, 512), shm::kMaxBuffers);
}

TEST(ShmLayout, RejectsBadParameters)
{
    shm::Layout l;
    EXPECT_EQ(shm::make_layout(0, 512, l), Status::invalid_argument);
    EXPECT_EQ(shm::make_layout(3, 512, l), Status::invalid_argument);
    EXPECT_EQ(shm::make_layout(shm::kMaxBuffers * 2, 512, l), Status::invalid_argument);
    EXPECT_EQ(shm::make_layout(4, 16, l), Status::invalid_argument);
    EXPECT_EQ(shm::make_layout(4, 513, l), Status::invalid_argument);
    EXPECT_EQ(shm::make_layout(4, shm::kMaxBufferSize + 8, l), Status::invalid_argument);
    EXPECT_EQ(shm::region_size_for(3, 512), 0u);
}

TEST(ShmLayout, BlocksAreAlignedAndDisjoint)
{
    shm::Layout l;
    ASSERT_EQ(shm::make_layout(16, 512, l), Status::ok);
    EXPECT_EQ(l.ring[0].desc, sizeof(shm::RegionHeader));
    uint32_t end = static_cast<uint32_t>(sizeof(shm::RegionHeader));
    for (int s = 0; s < 2; ++s) {
        EXPECT_EQ(l.ring[s].desc % shm::kAlign, 0u);
        EXPECT_GE(l.ring[s].desc, end);
        EXPECT_EQ(l.ring[s].avail, l.ring[s].desc + 16 * 16);
        EXPECT_EQ(l.ring[s].used % shm::kAlign, 0u);
        EXPECT_GE(l.ring[s].used, l.ring[s].avail + 6 + 2 * 16);
        end = l.ring[s].used + 6 + 8 * 16;
    }
    EXPECT_GE(l.buffers[0], end);
    EXPECT_EQ(l.buffers[0] % shm::kAlign, 0u);
    EXPECT_GE(l.buffers[1], l.buffers[0] + 16 * 512);
    EXPECT_GE(l.total_size, l.buffers[1] + 16 * 512);
}

TEST(Rpmsg, HeaderIsLittleEndian)
{
    rpmsg::Header h;
    h.src = 0x04030201;
    h.dst = 0x35;
    h.len = 0x0201;
    std::array<uint8_t, rpmsg::kHeaderSize> b{};
    rpmsg::encode_header(h, b.data());
    EXPECT_EQ(b[0], 1);
    EXPECT_EQ(b[3], 4);
    EXPECT_EQ(b[4], 0x35);
    EXPECT_EQ(b[12], 1);
    EXPECT_EQ(b[13], 2);
    const rpmsg::Header d = rpmsg::decode_header(b.data());
    EXPECT_EQ(d.src, h.src);
    EXPECT_EQ(d.dst, h.dst);
    EXPECT_EQ(d.len, h.len);
    EXPECT_EQ(d.flags, 0u);
}

TEST(Rpmsg, NameServiceMessageIsValidated)
{
    std::array<uint8_t, rpmsg::kNsMessageSize> b{};
    ASSERT_EQ(rpmsg::encode_ns("amp", 1024, rpmsg::kNsCreate, b.data()), Status::ok);
    rpmsg::NsMessage ns;
    ASSERT_EQ(rpmsg::decode_ns(b, ns), Status::ok);
    EXPECT_STREQ(ns.name, "amp");
    EXPECT_EQ(ns.addr, 1024u);
    EXPECT_EQ(ns.flags, rpmsg::kNsCreate);
    EXPECT_EQ(rpmsg::decode_ns(ByteSpan{b.data(), 39}, ns), Status::bad_length);
    std::memset(b.data(), 'a', rpmsg::kNameSize);  // no terminator
    EXPECT_EQ(rpmsg::decode_ns(b, ns), Status::invalid_argument);
    b[0] = 0;  // empty name
    EXPECT_EQ(rpmsg::decode_ns(b, ns), Status::invalid_argument);
    EXPECT_EQ(rpmsg::encode_ns("", 1, 0, b.data()), Status::invalid_argument);
    EXPECT_EQ(rpmsg::encode_ns("0123456789012345678901234567890x", 1, 0, b.data()),
              Status::invalid_argument);
}

TEST(ShmLink, CreateRejectsBadConfiguration)
{
    Board b(256);
    EXPECT_EQ(b.primary.create(b.region, b.cfg), Status::invalid_argument);
    EXPECT_TRUE(b.log_p.contains("cannot lay out"));
    Board c;
    c.cfg.name = "0123456789012345678901234567890x";  // 32 characters
    EXPECT_EQ(c.primary.create(c.region, c.cfg), Status::invalid_argument);
    c.cfg.name = "ok";
    EXPECT_EQ(c.primary.create(MutableByteSpan{c.region.data() + 4, 2000}, c.cfg),
              Status::invalid_argument);
    c.cfg.num_buffers = 3;
    EXPECT_EQ(c.primary.create(c.region, c.cfg), Status::invalid_argument);
    EXPECT_EQ(c.remote.create(c.region, c.cfg), Status::busy);
    EXPECT_EQ(c.primary.attach(c.region, c.cfg), Status::busy);
    EXPECT_TRUE(c.guards_intact());
}

TEST(ShmLink, DerivesBufferCountFromRegionSize)
{
    Board b(kMaxRegion, shm::kDefaultBufferSize);
    ASSERT_EQ(b.primary.create(b.region, b.cfg), Status::ok);
    EXPECT_EQ(b.primary.num_buffers(), 16u);
    EXPECT_EQ(b.primary.free_buffers(), 16u);
    EXPECT_EQ(b.primary.max_message_size(), kMaxMessageSize);
    ASSERT_EQ(b.remote.attach(b.region, b.cfg), Status::ok);
    EXPECT_EQ(b.remote.num_buffers(), 16u);
    EXPECT_EQ(b.remote.max_message_size(), kMaxMessageSize);
}

TEST(ShmLink, AttachWaitsForTheHeader)
{
    Board b;
    std::memset(b.region.data(), 0, b.region.size());
    EXPECT_EQ(b.remote.attach(b.region, b.cfg), Status::not_found);
    EXPECT_EQ(b.remote.poll(), 0u);
    ASSERT_EQ(b.primary.create(b.region, b.cfg), Status::ok);
    EXPECT_EQ(b.remote.attach(b.region, b.cfg), Status::ok);
    EXPECT_EQ(b.remote.attach(b.region, b.cfg), Status::busy);
}

TEST(ShmLink, SecondRemoteIsRefused)
{
    Board b;
    ASSERT_EQ(b.primary.create(b.region, b.cfg), Status::ok);
    ASSERT_EQ(b.remote.attach(b.region, b.cfg), Status::ok);
    FakeDoorbell bell;
    ShmLink second(Side::remote, bell, nullptr);
    EXPECT_EQ(second.attach(b.region, b.cfg), Status::busy);
}

TEST(ShmLink, AttachRejectsAnIncompatibleHeader)
{
    Board b;
    ASSERT_EQ(b.primary.create(b.region, b.cfg), Status::ok);
    b.put16(offsetof(shm::RegionHeader, version), 9);
    EXPECT_EQ(b.remote.attach(b.region, b.cfg), Status::version_mismatch);
    b.put16(offsetof(shm::RegionHeader, version), shm::kLayoutVersion);
    b.put16(offsetof(shm::RegionHeader, num_buffers), 64);  // does not fit the region
    EXPECT_EQ(b.remote.attach(b.region, b.cfg), Status::invalid_argument);
    EXPECT_TRUE(b.log_r.contains("header describes"));
    EXPECT_TRUE(b.guards_intact());
}

TEST(ShmLink, BindsOnlyAfterTheAnnouncementIsAnswered)
{
    Board b;
    ASSERT_EQ(b.primary.create(b.region, b.cfg), Status::ok);
    b.primary.poll();
    EXPECT_FALSE(b.primary.is_bound());
    EXPECT_EQ(b.primary.peer_state(), shm::SideState::absent);

    ASSERT_EQ(b.remote.attach(b.region, b.cfg), Status::ok);  // requests a session
    EXPECT_EQ(b.to_primary.rings, 1u);
    b.remote.poll();  // nothing until the primary answers
    EXPECT_FALSE(b.remote.work_pending());
    EXPECT_TRUE(b.primary.work_pending());
    b.primary.poll();  // clears the rings, answers the request
    EXPECT_EQ(b.to_remote.rings, 1u);
    EXPECT_FALSE(b.primary.is_bound());
    EXPECT_TRUE(b.remote.work_pending());
    b.remote.poll();  // announces
    b.remote.poll();
    EXPECT_FALSE(b.remote.is_bound());
    EXPECT_EQ(b.rr.bound, 0);
    EXPECT_TRUE(b.primary.work_pending());
    EXPECT_EQ(b.primary.counters().sessions, 1u);
    EXPECT_EQ(b.remote.counters().sessions, 1u);

    b.primary.poll();  // sees the announcement, answers
    EXPECT_TRUE(b.primary.is_bound());
    EXPECT_EQ(b.rp.bound, 1);
    EXPECT_FALSE(b.remote.is_bound());
    EXPECT_TRUE(b.remote.work_pending());

    b.remote.poll();  // sees the answer
    EXPECT_TRUE(b.remote.is_bound());
    EXPECT_EQ(b.rr.bound, 1);
    EXPECT_EQ(b.primary.peer_state(), shm::SideState::bound);
    EXPECT_EQ(b.remote.peer_state(), shm::SideState::bound);
    b.pump();
    EXPECT_EQ(b.rp.bound, 1);
    EXPECT_EQ(b.rr.bound, 1);
    EXPECT_EQ(b.primary.free_buffers(), b.primary.num_buffers());
    EXPECT_EQ(b.remote.free_buffers(), b.remote.num_buffers());
    EXPECT_FALSE(b.primary.work_pending());
    EXPECT_FALSE(b.remote.work_pending());
}

TEST(ShmLink, AnnouncementOfAnotherNameIsIgnored)
{
    Board b;
    ASSERT_EQ(b.primary.create(b.region, b.cfg), Status::ok);
    ShmLinkConfig other = b.cfg;
    other.name = "someone-else";
    ASSERT_EQ(b.remote.attach(b.region, other), Status::ok);
    b.pump();
    EXPECT_FALSE(b.primary.is_bound());
    EXPECT_FALSE(b.remote.is_bound());
    EXPECT_EQ(b.primary.counters().ns_ignored, 1u);
    EXPECT_TRUE(b.log_p.contains("'someone-else'"));
    EXPECT_FALSE(b.primary.faulted());
}

TEST(ShmLink, SendBeforeBindingAndEmptySendAreRefused)
{
    Board b;
    EXPECT_EQ(b.primary.send(kMsg), Status::not_bound);
    ASSERT_EQ(b.primary.create(b.region, b.cfg), Status::ok);
    EXPECT_EQ(b.primary.send(kMsg), Status::not_bound);
    ASSERT_EQ(b.remote.attach(b.region, b.cfg), Status::ok);
    EXPECT_EQ(b.remote.send(kMsg), Status::not_bound);
    b.pump();
    EXPECT_EQ(b.primary.send(ByteSpan{}), Status::invalid_argument);
}

TEST(ShmLink, ExchangesMessagesBothWaysByteForByte)
{
    Board b;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    EXPECT_EQ(b.rr.received, 0);  // delivered by poll(), never from send()
    b.remote.poll();
    ASSERT_EQ(b.rr.received, 1);
    ASSERT_EQ(b.rr.last_len, sizeof kMsg);
    EXPECT_EQ(std::memcmp(b.rr.last.data(), kMsg, sizeof kMsg), 0);

    std::array<uint8_t, 112> big{};
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7 + 1);
    ASSERT_EQ(b.remote.send(big), Status::ok);
    b.primary.poll();
    ASSERT_EQ(b.rp.received, 1);
    ASSERT_EQ(b.rp.last_len, big.size());
    EXPECT_EQ(std::memcmp(b.rp.last.data(), big.data(), big.size()), 0);

    b.pump();
    const ShmLinkCounters cp = b.primary.counters();
    const ShmLinkCounters cr = b.remote.counters();
    EXPECT_EQ(cp.tx_messages, 1u);
    EXPECT_EQ(cp.rx_messages, 1u);
    EXPECT_EQ(cp.rx_bytes, 112u);
    EXPECT_EQ(cr.tx_bytes, 112u);
    EXPECT_EQ(cr.rx_bytes, sizeof kMsg);
    EXPECT_EQ(cp.faults + cr.faults, 0u);
    EXPECT_EQ(b.primary.free_buffers(), b.primary.num_buffers());
    EXPECT_EQ(b.remote.free_buffers(), b.remote.num_buffers());
}

TEST(ShmLink, LargestMessageFitsAndOneMoreByteIsTooLarge)
{
    Board b(kMaxRegion, shm::kDefaultBufferSize);
    ASSERT_TRUE(b.bind());
    std::array<uint8_t, kMaxMessageSize + 1> m{};
    for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<uint8_t>(255 - i);
    EXPECT_EQ(b.primary.send(ByteSpan{m.data(), kMaxMessageSize}), Status::ok);
    EXPECT_EQ(b.primary.send(m), Status::too_large);
    EXPECT_EQ(b.primary.counters().too_large, 1u);
    b.remote.poll();
    ASSERT_EQ(b.rr.last_len, kMaxMessageSize);
    EXPECT_EQ(std::memcmp(b.rr.last.data(), m.data(), kMaxMessageSize), 0);
}

TEST(ShmLink, FullRingFailsAtOnceWithNoBuffer)
{
    Board b;  // 4 buffers per direction
    ASSERT_TRUE(b.bind());
    const size_t n = b.primary.num_buffers();
    ASSERT_EQ(n, 4u);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    EXPECT_EQ(b.primary.free_buffers(), 0u);
    EXPECT_EQ(b.primary.send(kMsg), Status::no_buffer);
    EXPECT_EQ(b.primary.counters().no_buffer, 1u);
    b.remote.poll();  // consumes all four, gives them back
    EXPECT_EQ(b.rr.received, 4);
    EXPECT_EQ(b.primary.send(kMsg), Status::ok);  // send takes them back itself
    b.pump();
    EXPECT_EQ(b.primary.free_buffers(), n);
    EXPECT_EQ(b.remote.free_buffers(), n);
}

TEST(ShmLink, ListenerMayReplyFromItsCallback)
{
    Board b;
    b.rr.echo = &b.remote;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    b.pump();
    EXPECT_EQ(b.rp.received, 1);
    EXPECT_EQ(b.rp.last_len, sizeof kMsg);
    EXPECT_EQ(b.primary.free_buffers(), b.primary.num_buffers());
    EXPECT_EQ(b.remote.free_buffers(), b.remote.num_buffers());
}

namespace {
// Replies to every message and notes the used index the sender sees then.
struct Replier final : EndpointListener {
    Endpoint* link = nullptr;
    const uint8_t* used_idx = nullptr;  // the sender's used index in the region
    uint16_t seen[8] = {};
    int received = 0;
    void on_bound() override {}
    void on_received(ByteSpan d) override
    {
        link->send(d);
        uint16_t v = 0;
        std::memcpy(&v, used_idx, 2);
        if (received < 8) seen[received] = v;
        ++received;
    }
};
}  // namespace

TEST(ShmLink, AReplyFromTheCallbackReturnsTheBuffersHandledBefore)
{
    // Returns are published once per batch, but before anything this side
    // sends: the peer may answer a reply (a stream credit) with new messages
    // and must have its buffers back by then.
    Board b;
    ASSERT_TRUE(b.bind());
    Replier rep;
    rep.link = &b.remote;
    rep.used_idx = b.at(b.layout().used_idx(Side::primary));
    b.remote.set_listener(&rep);
    uint16_t before = 0;
    std::memcpy(&before, rep.used_idx, 2);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    b.remote.poll();  // one batch of three
    ASSERT_EQ(rep.received, 3);
    EXPECT_EQ(rep.seen[0], before);  // the message being handled is not returned yet
    EXPECT_EQ(rep.seen[1], static_cast<uint16_t>(before + 1));
    EXPECT_EQ(rep.seen[2], static_cast<uint16_t>(before + 2));
    uint16_t after = 0;
    std::memcpy(&after, rep.used_idx, 2);
    EXPECT_EQ(after, static_cast<uint16_t>(before + 3));
}

TEST(ShmLink, RingsOnSendAndOnReturnOnlyWhenTheSenderRanOut)
{
    Board b;
    ASSERT_TRUE(b.bind());
    const uint32_t to_remote = b.to_remote.rings;
    const uint32_t to_primary = b.to_primary.rings;
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    EXPECT_EQ(b.to_remote.rings, to_remote + 1);
    b.remote.poll();  // gives the buffer back; the primary has buffers: no ring
    EXPECT_EQ(b.to_primary.rings, to_primary);
    EXPECT_TRUE(b.primary.work_pending());
    b.primary.poll();
    EXPECT_FALSE(b.primary.work_pending());

    for (size_t i = 0; i < b.primary.num_buffers(); ++i)
        ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    EXPECT_EQ(b.primary.send(kMsg), Status::no_buffer);  // asks to be rung on return
    b.remote.poll();
    EXPECT_EQ(b.to_primary.rings, to_primary + 1);
    EXPECT_EQ(b.primary.send(kMsg), Status::ok);
    b.remote.poll();  // has buffers again: no ring
    EXPECT_EQ(b.to_primary.rings, to_primary + 1);
    EXPECT_EQ(b.primary.counters().doorbells, b.to_remote.rings);
    EXPECT_EQ(b.remote.counters().doorbells, b.to_primary.rings);
}

TEST(ShmLink, IndicesWrapAroundSixteenBits)
{
    Board b;
    b.rr.echo = &b.remote;
    ASSERT_TRUE(b.bind());
    const uint32_t total = 65536 + 100;
    for (uint32_t i = 0; i < total; ++i) {
        ASSERT_EQ(b.primary.send(kMsg), Status::ok) << i;
        b.remote.poll();
        b.primary.poll();
    }
    EXPECT_EQ(static_cast<uint32_t>(b.rr.received), total);
    EXPECT_EQ(static_cast<uint32_t>(b.rp.received), total);
    b.pump();
    EXPECT_FALSE(b.primary.faulted());
    EXPECT_FALSE(b.remote.faulted());
    EXPECT_EQ(b.primary.free_buffers(), b.primary.num_buffers());
    EXPECT_EQ(b.remote.free_buffers(), b.remote.num_buffers());
}

TEST(ShmLink, CloseUnbindsThePeer)
{
    Board b;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.close(), Status::ok);
    EXPECT_FALSE(b.primary.is_bound());
    EXPECT_EQ(b.primary.send(kMsg), Status::not_bound);
    b.remote.poll();
    EXPECT_FALSE(b.remote.is_bound());
    EXPECT_EQ(b.rr.unbound, 1);
    EXPECT_EQ(b.remote.send(kMsg), Status::not_bound);
    EXPECT_FALSE(b.remote.faulted());
    b.pump();
    EXPECT_EQ(b.primary.free_buffers(), b.primary.num_buffers());
}

TEST(ShmLink, RolesRunTheHelloExchange)
{
    Board b(kMaxRegion, shm::kDefaultBufferSize);
    ManualClock clock;
    Channel ch7(b.primary, clock, &b.log_p);
    Channel ch4(b.remote, clock, &b.log_r);
    RoleConfig cfg;
    cfg.payload_size = static_cast<uint32_t>(kMaxPayloadSize);
    Role cm7(CoreId::cm7, ch7, cfg);
    Role cm4(CoreId::cm4, ch4, cfg);
    cm7.start();
    cm4.start();
    ASSERT_TRUE(b.bind());
    for (int i = 0; i < 1000 && !(cm7.done() && cm4.done()); ++i) {
        cm7.poll();
        b.pump(1);
        clock.advance(10);
    }
    ASSERT_TRUE(cm7.done());
    ASSERT_TRUE(cm4.done());
    const RoleCounters c7 = cm7.counters();
    const RoleCounters c4 = cm4.counters();
    EXPECT_EQ(c7.sent, 10u);
    EXPECT_EQ(c7.received, 10u);
    EXPECT_EQ(c4.sent, 10u);
    EXPECT_EQ(c4.received, 10u);
    EXPECT_EQ(c7.errors + c4.errors, 0u);
    b.pump();
    EXPECT_EQ(b.primary.free_buffers(), b.primary.num_buffers());
    EXPECT_EQ(b.remote.free_buffers(), b.remote.num_buffers());
}

// ---- what the peer writes into the region is validated -------------------

TEST(ShmLinkFault, AvailIndexRunningAhead)
{
    Board b;
    ASSERT_TRUE(b.bind());
    const uint32_t at = b.layout().avail_idx(Side::primary);
    b.put16(at, static_cast<uint16_t>(b.get16(at) + 5));  // 5 > 4 buffers
    b.remote.poll();
    expect_fault(b, b.remote, b.rr, b.log_r, ShmFault::avail_idx);
    EXPECT_EQ(b.rr.received, 0);
}

// A message whose RPMsg length was zeroed in the shared memory (a flipped
// bit, a cached region) has nothing to deliver, but it is counted.
TEST(ShmLinkFault, ZeroedLengthIsCountedNotSilent)
{
    Board b;
    ASSERT_TRUE(b.bind());
    const uint16_t idx = b.get16(b.layout().avail_idx(Side::primary));
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    const uint16_t id = b.get16(b.layout().avail_entry(Side::primary, idx % 4));
    ASSERT_LT(id, 4u);
    b.put16(b.layout().buffer(Side::primary, id) + 12, 0);  // RPMsg len
    b.remote.poll();
    EXPECT_EQ(b.rr.received, 0);
    EXPECT_EQ(b.remote.counters().rx_empty, 1u);
    EXPECT_EQ(b.remote.counters().rx_messages, 0u);
    EXPECT_FALSE(b.remote.faulted());
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);  // the link goes on
    b.pump();
    EXPECT_EQ(b.rr.received, 1);
    EXPECT_EQ(b.remote.counters().rx_empty, 1u);
}

TEST(ShmLinkFault, AvailEntryOutOfRange)
{
    Board b;
    ASSERT_TRUE(b.bind());
    const uint16_t idx = b.get16(b.layout().avail_idx(Side::primary));
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    b.put16(b.layout().avail_entry(Side::primary, idx % 4), 4);
    b.remote.poll();
    expect_fault(b, b.remote, b.rr, b.log_r, ShmFault::avail_entry);
}

TEST(ShmLinkFault, DescriptorFlags)
{
    Board b;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    for (uint32_t d = 0; d < 4; ++d)
        b.put16(b.layout().desc(Side::primary, d) + 12, shm::kDescFlagNext);
    b.remote.poll();
    expect_fault(b, b.remote, b.rr, b.log_r, ShmFault::desc_flags);
}

TEST(ShmLinkFault, DescriptorAddressOutsideTheSendersBuffers)
{
    // Into the header, into the receiver's own buffers, misaligned, far
    // outside the region, and with the high half set.
    const uint32_t bad[] = {0, 1, 2, 3, 0xFFFFFF00u};
    for (uint32_t k = 0; k < 5; ++k) {
        Board b;
        ASSERT_TRUE(b.bind());
        ASSERT_EQ(b.primary.send(kMsg), Status::ok);
        const shm::Layout& l = b.layout();
        uint32_t addr = bad[k];
        if (k == 1) addr = l.buffer(Side::remote, 0);
        if (k == 2) addr = l.buffer(Side::primary, 0) + 8;
        if (k == 3) addr = l.buffer(Side::primary, 4);  // one past the last buffer
        for (uint32_t d = 0; d < 4; ++d) b.put32(l.desc(Side::primary, d), addr);
        b.remote.poll();
        expect_fault(b, b.remote, b.rr, b.log_r, ShmFault::desc_addr);
    }
    Board b;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    for (uint32_t d = 0; d < 4; ++d) b.put32(b.layout().desc(Side::primary, d) + 4, 1);
    b.remote.poll();
    expect_fault(b, b.remote, b.rr, b.log_r, ShmFault::desc_addr);
}

TEST(ShmLinkFault, DescriptorLength)
{
    const uint32_t bad[] = {129, 15, 0xFFFFFFFFu};  // buffers are 128 bytes
    for (uint32_t len : bad) {
        Board b;
        ASSERT_TRUE(b.bind());
        ASSERT_EQ(b.primary.send(kMsg), Status::ok);
        for (uint32_t d = 0; d < 4; ++d) b.put32(b.layout().desc(Side::primary, d) + 8, len);
        b.remote.poll();
        expect_fault(b, b.remote, b.rr, b.log_r, ShmFault::desc_len);
    }
}

TEST(ShmLinkFault, RpmsgLengthPastTheDescriptor)
{
    Board b;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    // RPMsg len field (offset 12) of every primary buffer: 9 > the 8 bytes sent.
    for (uint32_t i = 0; i < 4; ++i) b.put16(b.layout().buffer(Side::primary, i) + 12, 9);
    b.remote.poll();
    expect_fault(b, b.remote, b.rr, b.log_r, ShmFault::rpmsg_len);
}

TEST(ShmLinkFault, UsedIndexRunningAhead)
{
    Board b;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);  // one buffer in flight
    const uint32_t at = b.layout().used_idx(Side::primary);
    b.put16(at, static_cast<uint16_t>(b.get16(at) + 2));
    b.primary.poll();
    expect_fault(b, b.primary, b.rp, b.log_p, ShmFault::used_idx);
}

TEST(ShmLinkFault, UsedEntryOutOfRange)
{
    Board b;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    const uint16_t used = b.get16(b.layout().used_idx(Side::primary));
    b.remote.poll();
    b.put32(b.layout().used_entry(Side::primary, used % 4), 77);
    b.primary.poll();
    expect_fault(b, b.primary, b.rp, b.log_p, ShmFault::used_id);
}

TEST(ShmLinkFault, UsedEntryReturningABufferNotInFlight)
{
    Board b;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    const uint16_t used = b.get16(b.layout().used_idx(Side::primary));
    b.remote.poll();
    // The second entry returns the first buffer again.
    uint32_t first = 0;
    std::memcpy(&first, b.at(b.layout().used_entry(Side::primary, used % 4)), 4);
    b.put32(b.layout().used_entry(Side::primary, (used + 1) % 4), first);
    b.primary.poll();
    expect_fault(b, b.primary, b.rp, b.log_p, ShmFault::used_not_owned);
    EXPECT_EQ(b.primary.free_buffers(), 3u);  // the first one was taken back
}

TEST(ShmLinkFault, UsedLength)
{
    Board b;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.send(kMsg), Status::ok);
    const uint16_t used = b.get16(b.layout().used_idx(Side::primary));
    b.remote.poll();
    b.put32(b.layout().used_entry(Side::primary, used % 4) + 4, 129);
    b.primary.poll();
    expect_fault(b, b.primary, b.rp, b.log_p, ShmFault::used_len);
}

TEST(ShmLinkFault, MalformedNameServiceMessages)
{
    // Too short, name without terminator, reserved address.
    for (int k = 0; k < 3; ++k) {
        Board b;
        ASSERT_EQ(b.primary.create(b.region, b.cfg), Status::ok);
        b.rogue_session();
        std::array<uint8_t, 128> m{};
        uint32_t len = 0;
        if (k == 0) len = make_ns(m.data(), "amp-test", 1024, 12);
        if (k == 1) len = make_ns(m.data(), nullptr, 0, rpmsg::kNsMessageSize);
        if (k == 2) len = make_ns(m.data(), "amp-test", rpmsg::kNsAddress, rpmsg::kNsMessageSize);
        b.inject(Side::remote, 0, m.data(), len);
        b.primary.poll();
        expect_fault(b, b.primary, b.rp, b.log_p, ShmFault::ns_message);
        EXPECT_FALSE(b.primary.is_bound());
        EXPECT_EQ(b.rp.bound, 0);
    }
}

TEST(ShmLinkFault, WellFormedRogueAnnouncementBinds)
{
    // The check above is not too strict: the same message, well formed, binds.
    Board b;
    ASSERT_EQ(b.primary.create(b.region, b.cfg), Status::ok);
    b.rogue_session();
    std::array<uint8_t, 128> m{};
    const uint32_t len = make_ns(m.data(), "amp-test", 1024, rpmsg::kNsMessageSize);
    b.inject(Side::remote, 0, m.data(), len);
    b.primary.poll();
    EXPECT_FALSE(b.primary.faulted());
    EXPECT_TRUE(b.primary.is_bound());
}

TEST(ShmLinkFault, ViolationWhileThePrimaryReformatsIsAReset)
{
    // The remote reads a ring the restarting primary is clearing: what looks
    // like a violation is a reset when the header changed under it.
    Board b;
    ASSERT_TRUE(b.bind());
    b.put32(offsetof(shm::RegionHeader, magic), 0);      // formatting...
    b.put16(b.layout().avail_idx(Side::primary), 1000);  // ...half-cleared ring
    b.remote.poll();
    EXPECT_FALSE(b.remote.faulted());
    EXPECT_EQ(b.remote.counters().faults, 0u);
    EXPECT_FALSE(b.remote.is_bound());
    EXPECT_EQ(b.rr.unbound, 1);
    EXPECT_TRUE(b.remote.attached());
    EXPECT_TRUE(b.guards_intact());
}

TEST(ShmLinkFault, PeerSeesTheFaultedState)
{
    Board b;
    ASSERT_TRUE(b.bind());
    b.put16(b.layout().avail_idx(Side::primary), 1000);
    b.remote.poll();
    ASSERT_TRUE(b.remote.faulted());
    EXPECT_EQ(b.primary.peer_state(), shm::SideState::faulted);
    EXPECT_FALSE(b.primary.faulted());
}

// ---- recovery after a peer reset (see "Sessions and resets" in shm_layout.h) ----

namespace {

// Runs `a` and `b` until both are bound (or `rounds` run out).
bool pump_until_bound(ShmLink& a, ShmLink& b, int rounds = 8)
{
    for (int i = 0; i < rounds && !(a.is_bound() && b.is_bound()); ++i) {
        a.poll();
        b.poll();
    }
    return a.is_bound() && b.is_bound();
}

const uint8_t kOld[] = {'o', 'l', 'd'};
const uint8_t kNew[] = {'n', 'e', 'w', '!'};

}  // namespace

TEST(ShmLinkRecovery, NewRemoteTakesOverTheSideOfADeadOne)
{
    Board b;
    b.cfg.tag = 100;  // the "process id" of the first remote
    ASSERT_TRUE(b.bind());
    FakeDoorbell bell;
    ShmLink next(Side::remote, bell, nullptr);
    ShmLinkConfig cfg = b.cfg;
    cfg.tag = 200;
    EXPECT_EQ(next.attach(b.region, cfg), Status::busy);  // held, and not told it is gone
    cfg.replaces = 99;
    EXPECT_EQ(next.attach(b.region, cfg), Status::busy);  // held by someone else than 99
    cfg.replaces = 100;
    EXPECT_EQ(next.attach(b.region, cfg), Status::ok);
    EXPECT_EQ(b.primary.peer_tag(), 200u);
    ShmLink third(Side::remote, bell, nullptr);
    cfg.tag = 300;
    EXPECT_EQ(third.attach(b.region, cfg), Status::busy);  // 100 does not hold it any more
    cfg.replaces = ShmLinkConfig::kReplaceAny;             // firmware after its own reboot
    cfg.tag = 0;
    EXPECT_EQ(third.attach(b.region, cfg), Status::ok);
}

TEST(ShmLinkRecovery, RemoteRestartRebindsAndDropsWhatTheOldOneSent)
{
    Board b;
    b.cfg.tag = 100;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.remote.send(kMsg), Status::ok);
    b.primary.poll();
    ASSERT_EQ(b.rp.received, 1);
    // The remote sends two more and dies before the primary reads them; a
    // message of the primary is in flight to it.
    ASSERT_EQ(b.remote.send(kOld), Status::ok);
    ASSERT_EQ(b.remote.send(kOld), Status::ok);
    ASSERT_EQ(b.primary.send(kOld), Status::ok);

    FakeDoorbell bell;
    Recorder rec;
    ShmLink next(Side::remote, bell, nullptr);
    next.set_listener(&rec);
    ShmLinkConfig cfg = b.cfg;
    cfg.tag = 200;
    cfg.replaces = 100;
    ASSERT_EQ(next.attach(b.region, cfg), Status::ok);
    EXPECT_TRUE(b.primary.work_pending());
    b.primary.poll();  // the request ends the old session
    EXPECT_FALSE(b.primary.is_bound());
    EXPECT_EQ(b.rp.unbound, 1);
    EXPECT_EQ(b.rp.received, 1);  // the old remote's last two are never delivered
    const ShmLinkCounters c = b.primary.counters();
    EXPECT_EQ(c.resets, 1u);
    EXPECT_EQ(c.stale_dropped, 3u);  // its two, and ours it never gave back
    EXPECT_EQ(c.sessions, 2u);
    EXPECT_TRUE(b.log_p.contains("session ended (the remote attached again), 3 stale"));
    EXPECT_EQ(b.primary.free_buffers(), b.primary.num_buffers());

    ASSERT_TRUE(pump_until_bound(b.primary, next));
    EXPECT_EQ(b.rp.bound, 2);
    EXPECT_EQ(rec.bound, 1);
    EXPECT_EQ(rec.received, 0);  // nothing from before the reset
    EXPECT_EQ(b.rp.received, 1);
    ASSERT_EQ(next.send(kNew), Status::ok);
    ASSERT_EQ(b.primary.send(kNew), Status::ok);
    pump_until_bound(b.primary, next);
    next.poll();
    b.primary.poll();
    EXPECT_EQ(b.rp.received, 2);
    EXPECT_EQ(b.rp.last_len, sizeof kNew);
    EXPECT_EQ(rec.received, 1);
    EXPECT_EQ(rec.last_len, sizeof kNew);
    EXPECT_FALSE(b.primary.faulted());
    EXPECT_FALSE(next.faulted());
    EXPECT_TRUE(b.guards_intact());
}

TEST(ShmLinkRecovery, PrimaryRestartReformatsAndTheRemoteAttachesAgain)
{
    Board b;
    b.cfg.tag = 7;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.send(kOld), Status::ok);  // never delivered: the primary dies
    ASSERT_EQ(b.remote.send(kOld), Status::ok);   // never given back

    FakeDoorbell bell;
    Recorder rec;
    ShmLink restarted(Side::primary, bell, nullptr);
    restarted.set_listener(&rec);
    ASSERT_EQ(restarted.create(b.region, b.cfg), Status::ok);
    EXPECT_EQ(restarted.generation(), b.primary.generation() + 1);

    EXPECT_TRUE(b.remote.work_pending());
    b.remote.poll();  // sees the new generation: ends the session, attaches again
    EXPECT_FALSE(b.remote.faulted());
    EXPECT_FALSE(b.remote.is_bound());
    EXPECT_EQ(b.rr.unbound, 1);
    EXPECT_EQ(b.remote.generation(), restarted.generation());
    EXPECT_EQ(b.remote.counters().resets, 1u);
    EXPECT_EQ(b.remote.counters().stale_dropped, 1u);  // ours, not given back
    EXPECT_TRUE(b.log_r.contains("re-formatted the region"));

    ASSERT_TRUE(pump_until_bound(restarted, b.remote));
    EXPECT_EQ(b.rr.bound, 2);
    EXPECT_EQ(b.rr.received, 0);  // the old primary's message is gone
    EXPECT_EQ(rec.received, 0);
    ASSERT_EQ(restarted.send(kNew), Status::ok);
    b.remote.poll();
    EXPECT_EQ(b.rr.received, 1);
    EXPECT_EQ(b.rr.last_len, sizeof kNew);
    EXPECT_EQ(b.remote.free_buffers(), b.remote.num_buffers());
    EXPECT_TRUE(b.guards_intact());
}

TEST(ShmLinkRecovery, RemoteWaitsWhileThePrimaryIsFormatting)
{
    Board b;
    ASSERT_TRUE(b.bind());
    b.put32(offsetof(shm::RegionHeader, magic), 0);  // a primary formatting the region
    b.remote.poll();
    EXPECT_FALSE(b.remote.is_bound());
    EXPECT_FALSE(b.remote.work_pending());  // nothing to do until a header is there
    b.remote.poll();
    EXPECT_EQ(b.remote.send(kMsg), Status::not_bound);
    FakeDoorbell bell;
    ShmLink restarted(Side::primary, bell, nullptr);
    ASSERT_EQ(restarted.create(b.region, b.cfg), Status::ok);  // magic 0: generation 1 again
    EXPECT_TRUE(b.remote.work_pending());
    EXPECT_TRUE(pump_until_bound(restarted, b.remote));
}

TEST(ShmLinkRecovery, PrimaryDropsALostRemoteThatIsStillAlive)
{
    // The supervisor declared the remote lost (heartbeat) although it runs.
    Board b;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.remote.send(kOld), Status::ok);
    b.primary.peer_lost();
    EXPECT_FALSE(b.primary.is_bound());
    EXPECT_EQ(b.rp.unbound, 1);
    EXPECT_EQ(b.primary.send(kMsg), Status::not_bound);
    EXPECT_EQ(b.primary.counters().stale_dropped, 1u);
    b.primary.peer_lost();  // once is enough
    EXPECT_EQ(b.rp.unbound, 1);
    EXPECT_EQ(b.primary.counters().resets, 1u);
    b.primary.poll();  // the rings are left alone until the remote asks
    EXPECT_EQ(b.rp.received, 0);

    EXPECT_TRUE(b.remote.work_pending());
    b.remote.poll();  // sees the primary's new epoch: unbinds and requests
    EXPECT_EQ(b.rr.unbound, 1);
    ASSERT_TRUE(pump_until_bound(b.primary, b.remote));
    EXPECT_EQ(b.rp.bound, 2);
    EXPECT_EQ(b.rr.bound, 2);
    EXPECT_EQ(b.rp.received, 0);
    ASSERT_EQ(b.remote.send(kNew), Status::ok);
    b.primary.poll();
    EXPECT_EQ(b.rp.received, 1);
    EXPECT_EQ(b.rp.last_len, sizeof kNew);
}

TEST(ShmLinkRecovery, RemoteDeclaresThePrimaryLost)
{
    Board b;
    ASSERT_TRUE(b.bind());
    ASSERT_EQ(b.primary.send(kOld), Status::ok);
    b.remote.peer_lost();  // requests a new session at once
    EXPECT_FALSE(b.remote.is_bound());
    EXPECT_EQ(b.rr.unbound, 1);
    EXPECT_EQ(b.remote.counters().stale_dropped, 1u);
    ASSERT_TRUE(pump_until_bound(b.primary, b.remote));  // a live primary answers
    EXPECT_EQ(b.rp.unbound, 1);
    EXPECT_EQ(b.rr.received, 0);
    EXPECT_EQ(b.primary.counters().resets, 1u);
    ASSERT_EQ(b.primary.send(kNew), Status::ok);
    b.remote.poll();
    EXPECT_EQ(b.rr.received, 1);
}

TEST(ShmLinkRecovery, ManyResetsInARow)
{
    Board b(kMaxRegion, shm::kDefaultBufferSize);
    b.cfg.tag = 1;
    ASSERT_TRUE(b.bind());
    uint32_t tag = 1;
    for (int round = 0; round < 40; ++round) {
        // Fill part of both rings, then reset one side or the other.
        for (int k = 0; k < round % 5; ++k) {
            ASSERT_EQ(b.primary.send(kOld), Status::ok);
            ASSERT_EQ(b.remote.send(kOld), Status::ok);
        }
        if (round % 3 == 0) {
            b.primary.peer_lost();
        } else if (round % 3 == 1) {
            b.remote.peer_lost();
        } else {
            FakeDoorbell bell;
            ShmLink next(Side::remote, bell, nullptr);
            ShmLinkConfig cfg = b.cfg;
            cfg.replaces = tag;
            cfg.tag = ++tag;
            ASSERT_EQ(next.attach(b.region, cfg), Status::ok);
            b.primary.poll();
            // Back to the long-lived remote link: it takes the side over again.
            cfg.replaces = tag;
            cfg.tag = ++tag;
            b.remote.poll();  // sees the new holder: stops, detached
            ASSERT_FALSE(b.remote.attached());
            ASSERT_EQ(b.remote.attach(b.region, cfg), Status::ok);
        }
        ASSERT_TRUE(pump_until_bound(b.primary, b.remote)) << round;
        ASSERT_EQ(b.primary.send(kNew), Status::ok);
        ASSERT_EQ(b.remote.send(kNew), Status::ok);
        const int rp = b.rp.received;
        const int rr = b.rr.received;
        b.pump(2);
        ASSERT_EQ(b.rp.received, rp + 1) << round;  // only the new one
        ASSERT_EQ(b.rr.received, rr + 1) << round;
        ASSERT_EQ(b.rp.last_len, sizeof kNew);
        ASSERT_EQ(b.rr.last_len, sizeof kNew);
    }
    EXPECT_FALSE(b.primary.faulted());
    EXPECT_FALSE(b.remote.faulted());
    EXPECT_EQ(b.primary.counters().faults + b.remote.counters().faults, 0u);
    EXPECT_EQ(b.rp.received, 40);
    EXPECT_EQ(b.rr.received, 40);
    EXPECT_TRUE(b.guards_intact());
}

TEST(ShmLinkRecovery, ChannelsHandshakeAgainAfterAReset)
{
    Board b(kMaxRegion, shm::kDefaultBufferSize);
    ManualClock clock;
    Channel ch7(b.primary, clock, &b.log_p);
    Channel ch4(b.remote, clock, &b.log_r);
    ASSERT_TRUE(b.bind());
    b.pump();
    ASSERT_TRUE(ch7.is_ready());
    ASSERT_TRUE(ch4.is_ready());
    EXPECT_EQ(ch7.session(), 1u);
    b.remote.peer_lost();
    EXPECT_FALSE(ch4.is_ready());
    b.pump(8);
    EXPECT_TRUE(ch7.is_ready());
    EXPECT_TRUE(ch4.is_ready());
    EXPECT_EQ(ch7.session(), 2u);
    EXPECT_EQ(ch4.session(), 2u);
}
