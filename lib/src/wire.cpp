#include "amp/wire.h"

#include <cstring>

#include "amp/config.h"
#include "amp/crc32c.h"

namespace amp {
namespace {

uint32_t frame_crc(const uint8_t* header, ByteSpan payload)
{
    uint32_t crc = crc32c(0, header, wire_offset::kCrc);
    return crc32c(crc, payload.data(), payload.size());
}

}  // namespace

Status encode_frame(const FrameHeader& header, ByteSpan payload, MutableByteSpan out,
                    size_t& written)
{
    written = 0;
    if (header.type == 0 || (header.flags & ~kKnownFlags) != 0) return Status::invalid_argument;
    if (payload.size() > kMaxPayloadSize) return Status::too_large;
    const size_t total = kFrameHeaderSize + payload.size();
    if (out.size() < total) return Status::no_buffer;

    uint8_t* p = out.data();
    store_le16(p + wire_offset::kMagic, kFrameMagic);
    p[wire_offset::kVersion] = header.version;
    p[wire_offset::kType] = header.type;
    p[wire_offset::kFlags] = header.flags;
    p[wire_offset::kReserved] = 0;
    store_le16(p + wire_offset::kPayloadLen, static_cast<uint16_t>(payload.size()));
    store_le32(p + wire_offset::kSeq, header.seq);
    store_le32(p + wire_offset::kCorrelation, header.correlation);
    if (!payload.empty() && payload.data() != p + kFrameHeaderSize) {
        std::memcpy(p + kFrameHeaderSize, payload.data(), payload.size());
    }
    const ByteSpan copied{p + kFrameHeaderSize, payload.size()};
    store_le32(p + wire_offset::kCrc, config::kCrcEnabled ? frame_crc(p, copied) : 0u);
    written = total;
    return Status::ok;
}

Status decode_frame(ByteSpan raw, Frame& out)
{
    if (raw.size() < kFrameHeaderSize) return Status::truncated;
    const uint8_t* p = raw.data();
    if (load_le16(p + wire_offset::kMagic) != kFrameMagic) return Status::bad_magic;
    if (p[wire_offset::kVersion] != kProtocolVersion) return Status::bad_version;
    if ((p[wire_offset::kFlags] & ~kKnownFlags) != 0 || p[wire_offset::kReserved] != 0) {
        return Status::bad_flags;
    }
    const uint16_t payload_len = load_le16(p + wire_offset::kPayloadLen);
    // Never more than a sender may encode: handlers rely on kMaxPayloadSize.
    if (payload_len > kMaxPayloadSize || payload_len != raw.size() - kFrameHeaderSize) {
        return Status::bad_length;
    }
    const ByteSpan payload = raw.subspan(kFrameHeaderSize);
    if (config::kCrcEnabled && load_le32(p + wire_offset::kCrc) != frame_crc(p, payload)) {
        return Status::crc_mismatch;
    }

    out.header.version = p[wire_offset::kVersion];
    out.header.type = p[wire_offset::kType];
    out.header.flags = p[wire_offset::kFlags];
    out.header.payload_len = payload_len;
    out.header.seq = load_le32(p + wire_offset::kSeq);
    out.header.correlation = load_le32(p + wire_offset::kCorrelation);
    out.payload = payload;
    return out.header.type == 0 ? Status::unknown_type : Status::ok;
}

}  // namespace amp
