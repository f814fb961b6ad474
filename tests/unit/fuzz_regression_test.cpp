// Regressions found by the fuzz targets (tests/fuzz/). Each case names the
// target and the saved input in tests/fuzz/corpus/<target>/.
#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "amp/amp.h"
#include "amp/channel.h"
#include "amp/crc32c.h"
#include "amp/loopback.h"
#include "amp/shm_link.h"
#include "amp/wire.h"

using namespace amp;

namespace {

// A frame one byte over the maximum, otherwise perfect: length field matching
// the bytes, correct CRC. Such a frame can only come from a broken or hostile peer.
struct OversizedFrame {
    static constexpr size_t kSize = kFrameHeaderSize + kMaxPayloadSize + 1;
    std::array<uint8_t, kSize> bytes{};

    OversizedFrame()
    {
        uint8_t* p = bytes.data();
        store_le16(p + wire_offset::kMagic, kFrameMagic);
        p[wire_offset::kVersion] = kProtocolVersion;
        p[wire_offset::kType] = msg::kUserFirst;
        store_le16(p + wire_offset::kPayloadLen, static_cast<uint16_t>(kMaxPayloadSize + 1));
        for (size_t i = kFrameHeaderSize; i < kSize; ++i) p[i] = static_cast<uint8_t>(i);
        uint32_t crc = crc32c(0, p, wire_offset::kCrc);
        crc = crc32c(crc, p + kFrameHeaderSize, kMaxPayloadSize + 1);
        store_le32(p + wire_offset::kCrc, crc);
    }
};

int g_handled = 0;
void count_frame(void* /*context*/, const Frame& /*frame*/)
{
    ++g_handled;
}

}  // namespace

// frame_decode: regress-oversized-payload. The decoder accepted payloads
// longer than kMaxPayloadSize (the encoder refuses them), so a handler
// copying a payload into a kMaxPayloadSize buffer could overflow it.
TEST(FuzzRegression, DecoderRefusesPayloadOverMaximum)
{
    const OversizedFrame f;
    Frame out;
    EXPECT_EQ(decode_frame(f.bytes, out), Status::bad_length);

    amp_frame_t c{};
    EXPECT_EQ(amp_frame_decode(f.bytes.data(), f.bytes.size(), &c), -EBADMSG);
}

TEST(FuzzRegression, ChannelDropsPayloadOverMaximum)
{
    LoopbackPair<2, 1024> pair;
    ManualClock clock;
    Channel ch{pair.b(), clock, nullptr};
    g_handled = 0;
    ASSERT_EQ(ch.dispatcher().add(msg::kUserFirst, &count_frame, nullptr), Status::ok);

    const OversizedFrame f;
    ch.on_received(f.bytes);
    EXPECT_EQ(g_handled, 0);
    const StatsSnapshot s = ch.stats().snapshot();
    EXPECT_EQ(s.rx_messages, 0u);
    EXPECT_EQ(s.dropped[static_cast<size_t>(DropReason::bad_length)], 1u);
}

namespace {

struct NoBell final : Doorbell {
    void ring() override {}
};

// One region for the shared-memory cases (the same tests run on the
// Cortex-M cores, where RAM is scarce), cleared for each.
alignas(64) uint8_t g_region[4096];

MutableByteSpan fresh_region()
{
    std::memset(g_region, 0, sizeof g_region);
    return MutableByteSpan{g_region, sizeof g_region};
}

struct BindCounter final : EndpointListener {
    int bound = 0;
    void on_bound() override { ++bound; }
    void on_received(ByteSpan /*data*/) override {}
};

}  // namespace

// shm_link: regress-tiny-buffers. Buffers of 32 bytes were accepted, but the
// remote's name-service announcement (16-byte RPMsg header + 40 bytes) does
// not fit one: the link wrote it past its buffer, into the next one or past
// the end of the region.
TEST(FuzzRegression, ShmLayoutRefusesBuffersTooSmallForTheNameService)
{
    shm::Layout l;
    EXPECT_EQ(shm::make_layout(4, 48, l), Status::invalid_argument);
    EXPECT_EQ(shm::make_layout(4, rpmsg::kHeaderSize + rpmsg::kNsMessageSize, l), Status::ok);
    EXPECT_EQ(shm::kMinBufferSize, rpmsg::kHeaderSize + rpmsg::kNsMessageSize);
}

TEST(FuzzRegression, ShmAnnouncementStaysInItsBuffer)
{
    const MutableByteSpan mem = fresh_region();
    NoBell bell_p;
    NoBell bell_r;
    ShmLink primary{shm::Side::primary, bell_p, nullptr};
    ShmLink remote{shm::Side::remote, bell_r, nullptr};
    BindCounter lp;
    BindCounter lr;
    primary.set_listener(&lp);
    remote.set_listener(&lr);
    ShmLinkConfig cfg;
    cfg.buffer_size = shm::kMinBufferSize;
    cfg.num_buffers = 2;
    ASSERT_EQ(primary.create(mem, cfg), Status::ok);
    ASSERT_EQ(remote.attach(mem, cfg), Status::ok);
    for (int i = 0; i < 4; ++i) {
        primary.poll();
        remote.poll();
    }
    EXPECT_TRUE(primary.is_bound());
    EXPECT_TRUE(remote.is_bound());
    EXPECT_EQ(lp.bound + lr.bound, 2);
    // The announcement went into the remote's first buffer; its second one,
    // and everything after the layout, were never written.
    const shm::Layout& l = remote.layout();
    for (uint32_t i = l.buffer(shm::Side::remote, 1); i < mem.size(); ++i) {
        ASSERT_EQ(static_cast<unsigned>(mem[i]), 0u) << "byte " << i;
    }
}

namespace {

struct LineCounter final : LogSink {
    int lines = 0;
    void write(LogLevel /*level*/, const char* /*line*/) override { ++lines; }
};

}  // namespace

// shm_link: regress-detached-spins. A remote whose side another remote took
// over kept running its control step: every poll() logged "another remote
// took over the side" again and returned 1, and once the primary's epoch
// changed work_pending() stayed true, so a platform that polls while work is
// pending spun for ever.
TEST(FuzzRegression, ShmReplacedRemoteStaysIdle)
{
    const MutableByteSpan mem = fresh_region();
    NoBell bell;
    LineCounter log;
    ShmLink primary{shm::Side::primary, bell, nullptr};
    ShmLink remote{shm::Side::remote, bell, &log};
    ShmLinkConfig cfg;
    cfg.buffer_size = 128;
    cfg.tag = 1;
    ASSERT_EQ(primary.create(mem, cfg), Status::ok);
    ASSERT_EQ(remote.attach(mem, cfg), Status::ok);
    for (int i = 0; i < 4; ++i) {
        primary.poll();
        remote.poll();
    }
    ASSERT_TRUE(remote.is_bound());

    ShmLink next{shm::Side::remote, bell, nullptr};
    ShmLinkConfig next_cfg = cfg;
    next_cfg.tag = 2;
    next_cfg.replaces = 1;
    ASSERT_EQ(next.attach(mem, next_cfg), Status::ok);
    EXPECT_TRUE(remote.work_pending());  // the take-over is work: a sleeping platform wakes
    remote.poll();                       // sees the new holder: stops
    EXPECT_FALSE(remote.attached());
    primary.peer_lost();  // the primary's epoch changes

    const int lines = log.lines;
    EXPECT_FALSE(remote.work_pending());
    EXPECT_EQ(remote.poll(), 0u);
    EXPECT_EQ(remote.poll(), 0u);
    EXPECT_EQ(log.lines, lines);
    EXPECT_FALSE(remote.attached());

    // attach() takes the side back.
    cfg.replaces = 2;
    cfg.tag = 3;
    EXPECT_EQ(remote.attach(mem, cfg), Status::ok);
    EXPECT_TRUE(remote.attached());
}

// shm_link: regress-refused-attach. attach() took the new tag and name before
// it could fail: a remote waiting for the primary that called attach() again
// and was refused (busy) then saw its own side as taken over and stopped (or
// announced the other name and was never answered).
TEST(FuzzRegression, ShmRefusedAttachChangesNothing)
{
    const MutableByteSpan mem = fresh_region();
    NoBell bell;
    ShmLink primary{shm::Side::primary, bell, nullptr};
    ShmLink remote{shm::Side::remote, bell, nullptr};
    ShmLinkConfig cfg;
    cfg.buffer_size = 128;
    cfg.tag = 1;
    ASSERT_EQ(primary.create(mem, cfg), Status::ok);
    ASSERT_EQ(remote.attach(mem, cfg), Status::ok);  // waits for the primary

    ShmLinkConfig other = cfg;
    other.name = "another-name";
    other.tag = 2;
    EXPECT_EQ(remote.attach(mem, other), Status::busy);  // the side is held with tag 1
    for (int i = 0; i < 4; ++i) {
        primary.poll();
        remote.poll();
    }
    EXPECT_TRUE(remote.attached());
    EXPECT_TRUE(remote.is_bound());
    EXPECT_TRUE(primary.is_bound());
    EXPECT_EQ(primary.counters().ns_ignored, 0u);
}

// shm_link: regress-refused-header. A remote that refused a re-formatted
// header (another layout version, logged once) never reported work again,
// not even when the primary formatted the region once more, correctly: a
// remote that sleeps while nothing is pending never attached again.
TEST(FuzzRegression, ShmRemoteWakesForANewHeaderAfterARefusedOne)
{
    const MutableByteSpan mem = fresh_region();
    NoBell bell;
    ShmLink primary{shm::Side::primary, bell, nullptr};
    ShmLink remote{shm::Side::remote, bell, nullptr};
    ShmLinkConfig cfg;
    cfg.buffer_size = 128;
    cfg.tag = 1;
    ASSERT_EQ(primary.create(mem, cfg), Status::ok);
    ASSERT_EQ(remote.attach(mem, cfg), Status::ok);
    for (int i = 0; i < 4; ++i) {
        primary.poll();
        remote.poll();
    }
    ASSERT_TRUE(remote.is_bound());

    // A primary speaking another layout version formats the region.
    ShmLink other{shm::Side::primary, bell, nullptr};
    ASSERT_EQ(other.create(mem, cfg), Status::ok);
    const uint16_t version = shm::kLayoutVersion + 1;
    std::memcpy(mem.data() + offsetof(shm::RegionHeader, version), &version, sizeof version);
    remote.poll();  // refuses it (logged once) and waits
    EXPECT_FALSE(remote.is_bound());
    EXPECT_FALSE(remote.work_pending());

    // The right primary formats it again: the remote has work.
    ShmLink again{shm::Side::primary, bell, nullptr};
    ASSERT_EQ(again.create(mem, cfg), Status::ok);
    EXPECT_TRUE(remote.work_pending());
    for (int i = 0; i < 4; ++i) {
        again.poll();
        remote.poll();
    }
    EXPECT_TRUE(remote.is_bound());
    EXPECT_TRUE(again.is_bound());
}
