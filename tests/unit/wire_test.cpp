// Wire format: encoding, and a decoder that rejects every malformed frame
// with a precise status.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "amp/crc32c.h"
#include "amp/wire.h"

using namespace amp;

namespace {

struct Encoded {
    std::array<uint8_t, kMaxMessageSize + 8> bytes{};
    size_t len = 0;
    ByteSpan span() const { return {bytes.data(), len}; }
};

Encoded encode(uint8_t type, size_t payload_len, uint8_t flags = 0, uint32_t seq = 7,
               uint32_t corr = 9)
{
    std::array<uint8_t, kMaxPayloadSize + 1> payload{};
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7 + 1);
    FrameHeader h;
    h.type = type;
    h.flags = flags;
    h.seq = seq;
    h.correlation = corr;
    Encoded e;
    EXPECT_EQ(encode_frame(h, ByteSpan{payload.data(), payload_len}, e.bytes, e.len), Status::ok);
    return e;
}

}  // namespace

TEST(Crc32c, KnownCheckValue)
{
    const char* text = "123456789";
    EXPECT_EQ(crc32c(0, reinterpret_cast<const uint8_t*>(text), 9), 0xE3069283u);
}

TEST(Crc32c, IncrementalEqualsOneShot)
{
    const char* text = "123456789";
    const auto* p = reinterpret_cast<const uint8_t*>(text);
    EXPECT_EQ(crc32c(crc32c(0, p, 4), p + 4, 5), 0xE3069283u);
    EXPECT_EQ(crc32c(0, p, 0), 0u);
}

TEST(Wire, HeaderLayoutIsLittleEndian)
{
    const Encoded e = encode(0x42, 3, kFlagRequest, 0x01020304u, 0xA0B0C0D0u);
    ASSERT_EQ(e.len, kFrameHeaderSize + 3);
    EXPECT_EQ(e.bytes[0], 'A');
    EXPECT_EQ(e.bytes[1], 'M');
    EXPECT_EQ(e.bytes[2], kProtocolVersion);
    EXPECT_EQ(e.bytes[3], 0x42);
    EXPECT_EQ(e.bytes[4], kFlagRequest);
    EXPECT_EQ(e.bytes[5], 0);
    EXPECT_EQ(e.bytes[6], 3);
    EXPECT_EQ(e.bytes[7], 0);
    EXPECT_EQ(e.bytes[8], 0x04);
    EXPECT_EQ(e.bytes[11], 0x01);
    EXPECT_EQ(e.bytes[12], 0xD0);
    EXPECT_EQ(e.bytes[15], 0xA0);
    uint32_t crc = crc32c(0, e.bytes.data(), 16);
    crc = crc32c(crc, e.bytes.data() + kFrameHeaderSize, 3);
    EXPECT_EQ(load_le32(e.bytes.data() + 16), crc);
}

TEST(Wire, RoundTripKeepsEveryField)
{
    const Encoded e = encode(0x81, 10, kFlagResponse, 123456, 654321);
    Frame f;
    ASSERT_EQ(decode_frame(e.span(), f), Status::ok);
    EXPECT_EQ(f.header.version, kProtocolVersion);
    EXPECT_EQ(f.header.type, 0x81);
    EXPECT_EQ(f.header.flags, kFlagResponse);
    EXPECT_EQ(f.header.payload_len, 10);
    EXPECT_EQ(f.header.seq, 123456u);
    EXPECT_EQ(f.header.correlation, 654321u);
    ASSERT_EQ(f.payload.size(), 10u);
    EXPECT_EQ(f.payload.data(), e.bytes.data() + kFrameHeaderSize);
    EXPECT_EQ(f.payload[9], static_cast<uint8_t>(9 * 7 + 1));
}

TEST(Wire, EmptyPayload)
{
    const Encoded e = encode(1, 0);
    EXPECT_EQ(e.len, kFrameHeaderSize);
    Frame f;
    ASSERT_EQ(decode_frame(e.span(), f), Status::ok);
    EXPECT_TRUE(f.payload.empty());
}

TEST(Wire, MaximumPayload)
{
    const Encoded e = encode(1, kMaxPayloadSize);
    EXPECT_EQ(e.len, kMaxMessageSize);
    Frame f;
    ASSERT_EQ(decode_frame(e.span(), f), Status::ok);
    EXPECT_EQ(f.payload.size(), kMaxPayloadSize);
}

TEST(Wire, OneByteOverMaximumIsRefused)
{
    std::array<uint8_t, kMaxPayloadSize + 1> payload{};
    std::array<uint8_t, kMaxMessageSize + 1> out{};
    FrameHeader h;
    h.type = 1;
    size_t len = 99;
    EXPECT_EQ(encode_frame(h, payload, out, len), Status::too_large);
    EXPECT_EQ(len, 0u);
}

TEST(Wire, EncodeIntoTooSmallBuffer)
{
    std::array<uint8_t, 4> payload{};
    std::array<uint8_t, kFrameHeaderSize + 3> out{};
    FrameHeader h;
    h.type = 1;
    size_t len = 0;
    EXPECT_EQ(encode_frame(h, payload, out, len), Status::no_buffer);
}

TEST(Wire, EncodeRefusesTypeZeroAndReservedFlags)
{
    std::array<uint8_t, kMaxMessageSize> out{};
    size_t len = 0;
    FrameHeader h;
    h.type = 0;
    EXPECT_EQ(encode_frame(h, ByteSpan{}, out, len), Status::invalid_argument);
    h.type = 1;
    h.flags = 0x80;
    EXPECT_EQ(encode_frame(h, ByteSpan{}, out, len), Status::invalid_argument);
}

TEST(Wire, TruncatedHeader)
{
    const Encoded e = encode(1, 0);
    Frame f;
    for (size_t n = 0; n < kFrameHeaderSize; ++n) {
        EXPECT_EQ(decode_frame(ByteSpan{e.bytes.data(), n}, f), Status::truncated);
    }
}

TEST(Wire, BadMagic)
{
    Encoded e = encode(1, 4);
    e.bytes[0] ^= 0xFF;
    Frame f;
    EXPECT_EQ(decode_frame(e.span(), f), Status::bad_magic);
}

TEST(Wire, BadVersion)
{
    Encoded e = encode(1, 4);
    e.bytes[2] = kProtocolVersion + 1;
    Frame f;
    EXPECT_EQ(decode_frame(e.span(), f), Status::bad_version);
}

TEST(Wire, ReservedFlagBitsAndByte)
{
    Encoded e = encode(1, 4);
    e.bytes[4] |= 0x40;
    Frame f;
    EXPECT_EQ(decode_frame(e.span(), f), Status::bad_flags);
    e = encode(1, 4);
    e.bytes[5] = 1;
    EXPECT_EQ(decode_frame(e.span(), f), Status::bad_flags);
}

TEST(Wire, LengthFieldLargerThanReceivedBuffer)
{
    Encoded e = encode(1, 8);
    Frame f;
    // The sender claims 8 bytes but only 5 arrived.
    EXPECT_EQ(decode_frame(ByteSpan{e.bytes.data(), kFrameHeaderSize + 5}, f), Status::bad_length);
    // A length field far beyond any buffer.
    store_le16(e.bytes.data() + wire_offset::kPayloadLen, 0xFFFF);
    EXPECT_EQ(decode_frame(e.span(), f), Status::bad_length);
}

TEST(Wire, TrailingBytesAfterPayload)
{
    Encoded e = encode(1, 8);
    Frame f;
    EXPECT_EQ(decode_frame(ByteSpan{e.bytes.data(), e.len + 1}, f), Status::bad_length);
}

TEST(Wire, CrcMismatchInPayloadAndHeader)
{
    Encoded e = encode(1, 8);
    Frame f;
    e.bytes[kFrameHeaderSize + 3] ^= 0x01;
    EXPECT_EQ(decode_frame(e.span(), f), Status::crc_mismatch);
    e = encode(1, 8);
    e.bytes[wire_offset::kSeq] ^= 0x10;
    EXPECT_EQ(decode_frame(e.span(), f), Status::crc_mismatch);
    e = encode(1, 8);
    e.bytes[wire_offset::kCrc] ^= 0x01;
    EXPECT_EQ(decode_frame(e.span(), f), Status::crc_mismatch);
}

TEST(Wire, EverySingleBitFlipIsDetected)
{
    const Encoded good = encode(1, 24);
    for (size_t bit = 0; bit < good.len * 8; ++bit) {
        Encoded e = good;
        e.bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        Frame f;
        EXPECT_NE(decode_frame(e.span(), f), Status::ok) << "bit " << bit;
    }
}

TEST(Wire, TypeZeroIsUnknown)
{
    Encoded e = encode(1, 0);
    e.bytes[wire_offset::kType] = 0;
    uint32_t crc = crc32c(0, e.bytes.data(), 16);
    store_le32(e.bytes.data() + wire_offset::kCrc, crc);
    Frame f;
    EXPECT_EQ(decode_frame(e.span(), f), Status::unknown_type);
}
