// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI,
// ext4 and SCTP. Check value: crc32c("123456789") == 0xE3069283.
#pragma once

#include <cstddef>
#include <cstdint>

namespace amp {

/// Continues a CRC: pass 0 for the first block, then the previous result.
uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t len);

}  // namespace amp
