// Typed messages: a message is a plain C++ struct whose bytes are its payload.
//
//   struct SetLed {
//       static constexpr uint8_t kType = 0x90;  // its message type on the wire
//       uint8_t led;
//       uint8_t on;
//       uint16_t blink_ms;
//   };
//   static_assert(amp::Message<SetLed>);
//
// The layout is the wire format: fixed-size integer fields in little-endian
// order (both Cortex-M cores and the host are little-endian, checked below),
// no padding (has_unique_object_representations), no pointers that mean
// anything to the peer. Floating-point fields are refused by the padding
// check; send scaled integers (or a std::bit_cast to uint32_t). A received
// payload whose length is not exactly sizeof(T) is rejected (wrong_size).
#pragma once

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "amp/link.h"
#include "amp/status.h"
#include "amp/wire.h"

namespace amp {

static_assert(std::endian::native == std::endian::little,
              "typed messages are sent as their in-memory bytes: a little-endian host is "
              "required (add an explicit codec for big-endian hosts)");

/// A struct that can travel as a payload: its bytes are its wire form.
template <typename T>
concept WireLayout = std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T> &&
                     std::has_unique_object_representations_v<T> && sizeof(T) <= kMaxPayloadSize;

/// A WireLayout with a message type id `static constexpr uint8_t kType` (not 0).
template <typename T>
concept Message = WireLayout<T> && requires
{
    {
        T::kType
        } -> std::convertible_to<uint8_t>;
} &&(T::kType != 0);

/// The payload bytes of `value`.
template <WireLayout T>
ByteSpan as_bytes(const T& value)
{
    return ByteSpan{reinterpret_cast<const uint8_t*>(&value), sizeof(T)};
}

/// Copies `payload` into `out` (the payload may be unaligned). Errors:
/// wrong_size when its length is not exactly sizeof(T); `out` is unchanged then.
template <WireLayout T>
Status decode_as(ByteSpan payload, T& out)
{
    if (payload.size() != sizeof(T)) return Status::wrong_size;
    std::memcpy(&out, payload.data(), sizeof(T));
    return Status::ok;
}

}  // namespace amp
