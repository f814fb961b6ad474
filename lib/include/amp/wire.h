// The wire format: a fixed 20-byte little-endian header in front of every
// payload, protected with CRC-32C over header and payload.
//
//   offset size field
//        0    2 magic        'A' 'M' (0x4D41)
//        2    1 version      kProtocolVersion
//        3    1 type         message type, 0 is invalid
//        4    1 flags        kFlagRequest | kFlagResponse, other bits reserved
//        5    1 reserved     must be 0
//        6    2 payload_len  bytes after the header
//        8    4 seq          per-sender sequence number
//       12    4 correlation  request/response pairing, 0 when unused
//       16    4 crc          CRC-32C of bytes 0..15 followed by the payload
//
// A later version must keep magic, version, payload_len and crc where they
// are, with the same CRC coverage: a receiver believes a frame of another
// version only when that CRC holds (else it is damage, see amp::Channel).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "amp/amp.h"
#include "amp/link.h"
#include "amp/status.h"

namespace amp {

inline constexpr size_t kMaxMessageSize = AMP_MAX_MESSAGE_SIZE;
inline constexpr size_t kFrameHeaderSize = AMP_FRAME_HEADER_SIZE;
inline constexpr size_t kMaxPayloadSize = AMP_MAX_PAYLOAD_SIZE;
inline constexpr uint16_t kFrameMagic = AMP_FRAME_MAGIC;
inline constexpr uint8_t kProtocolVersion = AMP_PROTOCOL_VERSION;

inline constexpr uint8_t kFlagRequest = AMP_FLAG_REQUEST;
inline constexpr uint8_t kFlagResponse = AMP_FLAG_RESPONSE;
inline constexpr uint8_t kKnownFlags = kFlagRequest | kFlagResponse;

namespace msg {
inline constexpr uint8_t kHello = AMP_MSG_HELLO;
inline constexpr uint8_t kGoodbye = AMP_MSG_GOODBYE;
inline constexpr uint8_t kHandshake = AMP_MSG_HANDSHAKE;
inline constexpr uint8_t kHeartbeat = AMP_MSG_HEARTBEAT;
inline constexpr uint8_t kUserFirst = AMP_MSG_USER_FIRST;
}  // namespace msg

/// Field offsets of the header on the wire.
namespace wire_offset {
inline constexpr size_t kMagic = 0;
inline constexpr size_t kVersion = 2;
inline constexpr size_t kType = 3;
inline constexpr size_t kFlags = 4;
inline constexpr size_t kReserved = 5;
inline constexpr size_t kPayloadLen = 6;
inline constexpr size_t kSeq = 8;
inline constexpr size_t kCorrelation = 12;
inline constexpr size_t kCrc = 16;
}  // namespace wire_offset

static_assert(wire_offset::kCrc + 4 == kFrameHeaderSize, "header layout");
static_assert(kMaxPayloadSize + kFrameHeaderSize == kMaxMessageSize, "limits");
static_assert(kMaxPayloadSize <= UINT16_MAX, "payload_len is 16 bits");

struct FrameHeader {
    uint8_t version = kProtocolVersion;
    uint8_t type = 0;
    uint8_t flags = 0;
    uint16_t payload_len = 0;
    uint32_t seq = 0;
    uint32_t correlation = 0;
};

/// A decoded frame; `payload` points into the buffer given to decode_frame().
struct Frame {
    FrameHeader header;
    ByteSpan payload;
};

/// Encodes `header` (its payload_len is taken from `payload`) into `out`.
/// The payload may already be in place at out[kFrameHeaderSize] (then it is
/// not copied); any other overlap is not allowed.
/// On success `written` is the frame length. Errors: too_large (payload over
/// kMaxPayloadSize), no_buffer (`out` too small), invalid_argument (type 0 or
/// reserved flags).
Status encode_frame(const FrameHeader& header, ByteSpan payload, MutableByteSpan out,
                    size_t& written);

/// Validates every field of `raw` and fills `out`. Errors, checked in this
/// order: truncated, bad_magic, bad_version, bad_flags, bad_length,
/// crc_mismatch. Type 0 is reported as unknown_type.
Status decode_frame(ByteSpan raw, Frame& out);

// Little-endian helpers, also used by payload codecs. On a little-endian
// core a fixed-size memcpy is one (unaligned) load or store.
inline void store_le16(uint8_t* p, uint16_t v)
{
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(p, &v, sizeof v);
    } else {
        p[0] = static_cast<uint8_t>(v);
        p[1] = static_cast<uint8_t>(v >> 8);
    }
}
inline void store_le32(uint8_t* p, uint32_t v)
{
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(p, &v, sizeof v);
    } else {
        p[0] = static_cast<uint8_t>(v);
        p[1] = static_cast<uint8_t>(v >> 8);
        p[2] = static_cast<uint8_t>(v >> 16);
        p[3] = static_cast<uint8_t>(v >> 24);
    }
}
inline uint16_t load_le16(const uint8_t* p)
{
    return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t load_le32(const uint8_t* p)
{
    return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
           (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace amp
