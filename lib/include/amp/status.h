// Status codes: every fallible call in the library returns one.
#pragma once

#include <cstdint>

namespace amp {

enum class Status : uint8_t {
    ok = 0,
    no_buffer,         ///< no free transmit buffer; try again later (Zephyr: -ENOMEM)
    too_large,         ///< message longer than the link's max_message_size()
    not_bound,         ///< endpoint not bound to its peer yet
    invalid_argument,  ///< caller passed something unusable
    bad_magic,         ///< frame does not start with the frame magic
    bad_version,       ///< frame protocol version not supported
    truncated,         ///< fewer bytes than a frame header
    bad_length,        ///< payload length field disagrees with the bytes received
    crc_mismatch,      ///< CRC-32C of header and payload does not match
    bad_flags,         ///< reserved header bits set
    unknown_type,      ///< no handler registered for the message type
    wrong_size,        ///< typed payload whose length does not match its type
    table_full,        ///< a fixed-capacity table has no free slot
    timeout,           ///< a deadline passed
    link_reset,        ///< the peer reset or the link went down
    would_block,       ///< flow control: no credit to send now
    faulted,           ///< the link detected a protocol violation and stopped
    version_mismatch,  ///< the peer speaks another protocol version
    busy,              ///< the object is in a state that forbids the call
    not_found,         ///< no such id
    count_             ///< number of statuses (not a status)
};

inline constexpr unsigned kStatusCount = static_cast<unsigned>(Status::count_);

/// Short, stable, human-readable name ("no_buffer", "crc_mismatch", ...).
const char* to_string(Status s);

/// Negative errno for the C boundary (0 for ok).
int to_errno(Status s);

}  // namespace amp
