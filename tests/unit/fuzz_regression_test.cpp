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
