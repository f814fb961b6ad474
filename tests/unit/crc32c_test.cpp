// CRC-32C: whatever implementation crc32c() picks on this CPU (SSE4.2's
// crc32 instruction on x86-64, a table elsewhere) gives the bit-by-bit
// result for every length, alignment and split of the data.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "amp/crc32c.h"

using namespace amp;

namespace {

// The definition, one bit at a time.
uint32_t crc32c_bitwise(uint32_t crc, const uint8_t* data, size_t len)
{
    crc = ~crc;
    for (size_t i = 0; i < len; ++i) {
        crc ^= data[i];
        for (int k = 0; k < 8; ++k) crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

struct Data {
    std::array<uint8_t, 520> bytes{};
    Data()
    {
        uint32_t x = 0x12345678u;
        for (uint8_t& b : bytes) {
            x = x * 1103515245u + 12345u;
            b = static_cast<uint8_t>(x >> 24);
        }
    }
};

// Every length up to 40 (all the tails of an 8-byte step), the frame sizes
// of the link, at every offset modulo 8.
constexpr size_t kLengths[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,  13,  14,
                               15, 16, 17, 18, 19, 20, 23, 24, 25, 31, 32, 33, 39,  40,  52,
                               63, 64, 65, 127, 128, 476, 496, 505, 511};

}  // namespace

TEST(Crc32c, EqualsTheBitwiseDefinitionAtEveryLengthAndAlignment)
{
    const Data d;
    for (size_t len : kLengths) {
        for (size_t off = 0; off < 8; ++off) {
            const uint8_t* p = d.bytes.data() + off;
            EXPECT_EQ(crc32c(0, p, len), crc32c_bitwise(0, p, len)) << len << " at +" << off;
            EXPECT_EQ(crc32c(0xA5A5A5A5u, p, len), crc32c_bitwise(0xA5A5A5A5u, p, len)) << len;
        }
    }
}

TEST(Crc32c, SplitAnywhereEqualsOneShot)
{
    const Data d;
    const uint8_t* p = d.bytes.data() + 3;
    const uint32_t whole = crc32c(0, p, 100);
    for (size_t cut = 0; cut <= 100; ++cut) {
        EXPECT_EQ(crc32c(crc32c(0, p, cut), p + cut, 100 - cut), whole) << "cut at " << cut;
    }
}

#if defined(AMP_CRC32C_X86)
// The table that runs on an x86-64 without SSE4.2 agrees with the instruction.
TEST(Crc32c, TableFallbackEqualsTheInstruction)
{
    const Data d;
    for (size_t len : kLengths) {
        for (size_t off = 0; off < 8; ++off) {
            const uint8_t* p = d.bytes.data() + off;
            EXPECT_EQ(detail::crc32c_table(7, p, len), crc32c(7, p, len)) << len << " at +" << off;
        }
    }
}
#endif
