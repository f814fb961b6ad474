// The version handshake: right after the endpoint binds, each side sends one
// AMP_MSG_HANDSHAKE frame announcing its protocol version and the hash of its
// message-type table. The channel lets application traffic through only once
// the peer's announcement matches its own (amp/channel.h runs the exchange).
//
// Two versions, on purpose:
//  - the frame header's version byte is the *wire* version (kProtocolVersion:
//    the header layout and CRC). decode_frame() refuses any other value, so a
//    peer with another wire format cannot be parsed at all; the channel then
//    reports the mismatch from that byte alone (its offset, 2, never moves).
//  - the handshake payload carries the *protocol* version of the application
//    (what the messages mean; default kProtocolVersion, set at run time with
//    Channel::set_protocol(), e.g. amp-board --protocol-version N) and the hash
//    of the message-type table. Both must be equal on the two cores.
//
// The type table is declared by the application, in a header both cores
// compile, so that both compute the same hash at compile time:
//
//   inline constexpr std::array kTypes{amp::service_type<ReadReq, ReadReply>(),
//                                      amp::message_type<SetLed>()};
//   inline constexpr uint32_t kTypesHash = amp::type_table_hash(kTypes);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "amp/typed.h"
#include "amp/wire.h"

namespace amp {

/// The handshake payload (8 bytes, little-endian).
struct Handshake {
    static constexpr uint8_t kType = msg::kHandshake;
    /// flags: the sender had already received a handshake from us in this
    /// binding. One without it, arriving after the peer's first one, means the
    /// peer re-bound (reset): it is answered so that the peer completes too.
    static constexpr uint8_t kSeenPeer = 0x01;

    uint16_t protocol_version;
    uint8_t flags;
    uint8_t reserved;  ///< sent as 0, ignored
    uint32_t type_table_hash;
};
static_assert(Message<Handshake> && sizeof(Handshake) == 8, "handshake layout");

/// One line of a message-type table: the type id and the payload sizes.
struct TypeInfo {
    uint8_t type = 0;
    uint16_t request_size = 0;   ///< payload of the message (or request)
    uint16_t response_size = 0;  ///< response body (0: one-way message)
};

/// A one-way message type.
template <Message T>
constexpr TypeInfo message_type()
{
    return TypeInfo{T::kType, static_cast<uint16_t>(sizeof(T)), 0};
}

/// A service: request `Req` answered with `Resp`.
template <Message Req, WireLayout Resp>
constexpr TypeInfo service_type()
{
    return TypeInfo{Req::kType, static_cast<uint16_t>(sizeof(Req)),
                    static_cast<uint16_t>(sizeof(Resp))};
}

/// FNV-1a (32 bit) of the empty table: what a channel announces by default.
inline constexpr uint32_t kEmptyTypeTableHash = 0x811C9DC5u;

/// FNV-1a over the table sorted by type id, each entry as the 5 bytes
/// type, request_size (LE16), response_size (LE16). The order in which the
/// application lists its types does not matter.
template <size_t N>
constexpr uint32_t type_table_hash(const std::array<TypeInfo, N>& table)
{
    std::array<TypeInfo, N> sorted = table;
    for (size_t i = 1; i < N; ++i) {  // insertion sort: N is small
        for (size_t j = i; j > 0 && sorted[j - 1].type > sorted[j].type; --j) {
            const TypeInfo t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    }
    uint32_t h = kEmptyTypeTableHash;
    auto mix = [&h](uint32_t byte) { h = (h ^ (byte & 0xFFu)) * 0x01000193u; };
    for (const TypeInfo& t : sorted) {
        mix(t.type);
        mix(t.request_size);
        mix(t.request_size >> 8);
        mix(t.response_size);
        mix(t.response_size >> 8);
    }
    return h;
}

/// What a channel announces in its handshake.
struct ProtocolInfo {
    uint16_t version = kProtocolVersion;
    uint32_t type_table_hash = kEmptyTypeTableHash;

    friend constexpr bool operator==(const ProtocolInfo&, const ProtocolInfo&) = default;
};

}  // namespace amp
