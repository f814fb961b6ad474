#include "amp/crc32c.h"

#include <array>

namespace amp {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

// Byte-wise table on the host (speed); a 16-entry nibble table on small
// targets keeps flash use at 64 bytes instead of 1 KiB.
#if defined(AMP_CRC32C_SMALL) || defined(__ARM_ARCH)
constexpr unsigned kBits = 4;
#else
constexpr unsigned kBits = 8;
#endif

constexpr std::array<uint32_t, 1u << kBits> make_table()
{
    std::array<uint32_t, 1u << kBits> table{};
    for (uint32_t i = 0; i < table.size(); ++i) {
        uint32_t c = i;
        for (unsigned k = 0; k < kBits; ++k) c = (c & 1u) ? (c >> 1) ^ kPoly : c >> 1;
        table[i] = c;
    }
    return table;
}

constexpr auto kTable = make_table();

}  // namespace

uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t len)
{
    crc = ~crc;
    for (size_t i = 0; i < len; ++i) {
        crc ^= data[i];
        if constexpr (kBits == 8) {
            crc = (crc >> 8) ^ kTable[crc & 0xFFu];
        } else {
            crc = (crc >> 4) ^ kTable[crc & 0x0Fu];
            crc = (crc >> 4) ^ kTable[crc & 0x0Fu];
        }
    }
    return ~crc;
}

}  // namespace amp
