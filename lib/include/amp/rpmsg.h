// RPMsg framing as OpenAMP and Zephyr's IPC service use it: every message in
// a shared buffer starts with a 16-byte header, and endpoints are announced
// to the name service at address 53.
//
//   RPMsg header (little-endian)         name-service message (payload)
//   offset size field                    offset size field
//        0    4 src   sender address          0   32 name  NUL-terminated
//        4    4 dst   receiver address       32    4 addr  announced address
//        8    4 reserved (0)                 36    4 flags create 0, destroy 1
//       12    2 len   payload bytes
//       14    2 flags (0)
#pragma once

#include <cstddef>
#include <cstdint>

#include "amp/link.h"
#include "amp/status.h"

namespace amp::rpmsg {

inline constexpr size_t kHeaderSize = 16;
/// Address of the name service (RPMSG_NS_EPT_ADDR).
inline constexpr uint32_t kNsAddress = 53;
/// Addresses below this are reserved; endpoints are numbered from here.
inline constexpr uint32_t kFirstEndpointAddress = 1024;
/// "Any address" (RPMSG_ADDR_ANY); never a valid endpoint address.
inline constexpr uint32_t kAddrAny = 0xFFFFFFFFu;
/// Bytes of an endpoint name, including its NUL terminator.
inline constexpr size_t kNameSize = 32;
inline constexpr size_t kNsMessageSize = kNameSize + 8;
inline constexpr uint32_t kNsCreate = 0;
inline constexpr uint32_t kNsDestroy = 1;

struct Header {
    uint32_t src = 0;
    uint32_t dst = 0;
    uint32_t reserved = 0;
    uint16_t len = 0;
    uint16_t flags = 0;
};

/// A decoded name-service message; `name` is NUL-terminated.
struct NsMessage {
    char name[kNameSize] = {};
    uint32_t addr = 0;
    uint32_t flags = 0;
};

/// Writes `h` as 16 little-endian bytes at `out`.
void encode_header(const Header& h, uint8_t* out);
/// Reads 16 little-endian bytes at `in`.
Header decode_header(const uint8_t* in);

/// Writes a name-service message (kNsMessageSize bytes) at `out`. Errors:
/// invalid_argument when `name` is empty or does not fit with its NUL.
Status encode_ns(const char* name, uint32_t addr, uint32_t flags, uint8_t* out);
/// Decodes an untrusted name-service payload. Errors: bad_length (not
/// kNsMessageSize bytes), invalid_argument (name empty or not NUL-terminated).
Status decode_ns(ByteSpan payload, NsMessage& out);

}  // namespace amp::rpmsg
