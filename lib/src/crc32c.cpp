#include "amp/crc32c.h"

#include <array>

#if defined(AMP_CRC32C_X86)
#include <nmmintrin.h>

#include <atomic>
#include <cstring>
#endif

namespace amp {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

// Byte-wise table on the host (the fallback when the CPU has no CRC
// instruction); a 16-entry nibble table on small targets keeps flash use at
// 64 bytes instead of 1 KiB.
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

#if defined(AMP_CRC32C_X86)

// SSE4.2's crc32 instruction computes CRC-32C (same polynomial, same bit
// order, no inversion): 8 bytes per instruction instead of one table
// lookup per byte.
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, const uint8_t* data,
                                                        size_t len)
{
    uint64_t c = ~crc;
    for (; len >= 8; data += 8, len -= 8) {
        uint64_t v;
        std::memcpy(&v, data, sizeof v);  // unaligned load
        c = _mm_crc32_u64(c, v);
    }
    auto c32 = static_cast<uint32_t>(c);
    if (len >= 4) {
        uint32_t v;
        std::memcpy(&v, data, sizeof v);
        c32 = _mm_crc32_u32(c32, v);
        data += 4;
        len -= 4;
    }
    for (; len > 0; ++data, --len) c32 = _mm_crc32_u8(c32, *data);
    return ~c32;
}

// Whether the CPU has SSE4.2, asked once (-1: not asked yet).
std::atomic<int> g_sse42{-1};

bool have_sse42()
{
#if defined(__SSE4_2__)
    return true;  // the build requires it
#else
    int has = g_sse42.load(std::memory_order_relaxed);
    if (has < 0) {
        __builtin_cpu_init();  // safe even before static constructors ran
        has = __builtin_cpu_supports("sse4.2") ? 1 : 0;
        g_sse42.store(has, std::memory_order_relaxed);
    }
    return has != 0;
#endif
}

#endif  // AMP_CRC32C_X86

// The table loop, the only implementation on Arm.
uint32_t crc32c_bytes(uint32_t crc, const uint8_t* data, size_t len)
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

}  // namespace

#if defined(AMP_CRC32C_X86)
uint32_t detail::crc32c_table(uint32_t crc, const uint8_t* data, size_t len)
{
    return crc32c_bytes(crc, data, len);
}

uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t len)
{
    return have_sse42() ? crc32c_sse42(crc, data, len) : crc32c_bytes(crc, data, len);
}
#else
uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t len)
{
    return crc32c_bytes(crc, data, len);
}
#endif

}  // namespace amp
