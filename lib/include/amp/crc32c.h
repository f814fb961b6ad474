// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI,
// ext4 and SCTP. Check value: crc32c("123456789") == 0xE3069283.
//
// On x86-64 it uses SSE4.2's crc32 instruction when the CPU has it (checked
// once at run time) and a byte-wise table otherwise; on Arm a 16-entry
// nibble table (64 bytes of flash).
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) && !defined(AMP_CRC32C_SMALL)
#define AMP_CRC32C_X86 1
#endif

namespace amp {

/// Continues a CRC: pass 0 for the first block, then the previous result.
uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t len);

#if defined(AMP_CRC32C_X86)
namespace detail {
/// The table implementation crc32c() falls back to without SSE4.2 (for tests).
uint32_t crc32c_table(uint32_t crc, const uint8_t* data, size_t len);
}  // namespace detail
#endif

}  // namespace amp
