#include "amp/rpmsg.h"

#include <cstring>

namespace amp::rpmsg {
namespace {

void put16(uint8_t* p, uint16_t v)
{
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
}

void put32(uint8_t* p, uint32_t v)
{
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint16_t get16(const uint8_t* p)
{
    return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

uint32_t get32(const uint8_t* p)
{
    return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
           (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

void encode_header(const Header& h, uint8_t* out)
{
    put32(out + 0, h.src);
    put32(out + 4, h.dst);
    put32(out + 8, h.reserved);
    put16(out + 12, h.len);
    put16(out + 14, h.flags);
}

Header decode_header(const uint8_t* in)
{
    Header h;
    h.src = get32(in + 0);
    h.dst = get32(in + 4);
    h.reserved = get32(in + 8);
    h.len = get16(in + 12);
    h.flags = get16(in + 14);
    return h;
}

Status encode_ns(const char* name, uint32_t addr, uint32_t flags, uint8_t* out)
{
    if (name == nullptr) return Status::invalid_argument;
    size_t len = 0;
    while (len < kNameSize && name[len] != '\0') ++len;
    if (len == 0 || len >= kNameSize) return Status::invalid_argument;
    std::memset(out, 0, kNameSize);
    std::memcpy(out, name, len);
    put32(out + kNameSize, addr);
    put32(out + kNameSize + 4, flags);
    return Status::ok;
}

Status decode_ns(ByteSpan payload, NsMessage& out)
{
    if (payload.size() != kNsMessageSize) return Status::bad_length;
    // The name must end within its 32 bytes; nothing after the NUL matters.
    const void* nul = std::memchr(payload.data(), 0, kNameSize);
    if (nul == nullptr || payload[0] == 0) return Status::invalid_argument;
    std::memcpy(out.name, payload.data(), kNameSize);
    out.addr = get32(payload.data() + kNameSize);
    out.flags = get32(payload.data() + kNameSize + 4);
    return Status::ok;
}

}  // namespace amp::rpmsg
