// The layout of the shared region of the portable shared-memory link: a
// header, then one virtio split ring per direction (as in the virtio 1.x
// specification and OpenAMP's static vrings), then the buffers.
//
//   offset                 contents
//   0                      RegionHeader (192 bytes: common part + one SideBlock per side)
//   ring[0].desc           descriptor table, primary -> remote  (num x 16 bytes)
//   ring[0].avail          available ring: flags u16, idx u16, ring[num] u16, used_event u16
//   ring[0].used           used ring: flags u16, idx u16, ring[num] {id u32, len u32}, avail_event
//   u16 ring[1].*              the same, remote -> primary buffers[0]             num buffers of
//   buffer_size bytes, primary -> remote buffers[1]             num buffers, remote -> primary
//
// Every block starts on a 64-byte boundary, so the fields one side writes and
// the fields the other side writes never share a cache line. All multi-byte
// fields are little-endian, as virtio requires.
//
// Each side drives the ring it sends on (the virtio "driver"): it owns that
// direction's buffers, fills one, points a descriptor at it and publishes the
// descriptor's index in the available ring. The receiver (the "device")
// consumes it and gives the index back through the used ring. A descriptor's
// `addr` is the buffer's OFFSET from the start of the region, not a pointer:
// the two sides map the region at different addresses (two processes, or two
// cores with different memory maps).
//
// Event suppression as in virtio: a sender sets VRING_AVAIL_F_NO_INTERRUPT
// (kAvailFlagNoInterrupt) in its available ring while it has free buffers,
// and clears it when it runs out; the receiver rings after giving buffers
// back only when the flag is clear. New messages always ring.
//
// Sessions and resets. The rings belong to one session at a time. Only the
// primary initialises them, and only when the remote asked and is not
// touching them: the remote writes a new `epoch` in its SideBlock (a reset
// request: at every attach, and after it lost the primary), then waits; the
// primary zeroes both rings and its own view of them, and answers by copying
// that epoch into its own `ack` word (store-release). The remote then starts
// from empty rings and announces its endpoint again. Nothing from the old
// session survives: its ring entries are gone, so no message sent before a
// reset is delivered after it. The primary bumps its own `epoch` when it
// drops the remote (declared lost); a remote that is still alive sees the
// change and requests a new session. A primary that restarts re-formats the
// region, which bumps the header's `generation`; the remote sees the change
// and attaches again.
//
// The indices `avail.idx` and `used.idx` are free-running 16-bit counters;
// the slot is `idx % num`, so `num` is a power of two. Chained and indirect
// descriptors and the event-index feature (used_event, avail_event) are not
// used; the fields exist so the layout matches the specification.
#pragma once

#include <cstddef>
#include <cstdint>

#include "amp/status.h"

#ifndef AMP_CONFIG_SHM_MAX_BUFFERS
#define AMP_CONFIG_SHM_MAX_BUFFERS 256  // buffers per direction one link can track
#endif

namespace amp::shm {

inline constexpr uint32_t kMagic = 0x53504D41u;  // "AMPS" in memory
inline constexpr uint16_t kLayoutVersion = 2;    // 2: epoch/ack reset words
/// Zephyr's static-vrings default: 512-byte buffers including the RPMsg header.
inline constexpr uint32_t kDefaultBufferSize = 512;
/// The RPMsg header and a name-service message (16 + 40 bytes) must fit.
inline constexpr uint32_t kMinBufferSize = 56;
/// The RPMsg length field is 16 bits.
inline constexpr uint32_t kMaxBufferSize = 65536;
inline constexpr uint32_t kMaxBuffers = AMP_CONFIG_SHM_MAX_BUFFERS;
inline constexpr uint32_t kAlign = 64;

static_assert((kMaxBuffers & (kMaxBuffers - 1)) == 0 && kMaxBuffers <= 32768,
              "AMP_CONFIG_SHM_MAX_BUFFERS must be a power of two up to 32768");

/// avail.flags: "no need to ring me when you give buffers back".
inline constexpr uint16_t kAvailFlagNoInterrupt = 1;

/// Descriptor flags of the virtio specification; none is accepted here.
inline constexpr uint16_t kDescFlagNext = 1;
inline constexpr uint16_t kDescFlagWrite = 2;
inline constexpr uint16_t kDescFlagIndirect = 4;

enum class Side : uint8_t { primary = 0, remote = 1 };

inline constexpr unsigned index(Side s)
{
    return static_cast<unsigned>(s);
}
inline constexpr Side other(Side s)
{
    return s == Side::primary ? Side::remote : Side::primary;
}

/// What a side tells the other about itself in its SideBlock::state word.
enum class SideState : uint32_t { absent = 0, ready = 1, bound = 2, faulted = 3, closed = 4 };

/// Per-side words, one cache line each. `state`, `tag`, `epoch` and `ack`
/// are written by their side only. `bell_seq` and `bell_waiting` belong to
/// the platform's doorbell when it needs memory in the region (the host
/// futex); a hardware doorbell leaves them alone.
struct SideBlock {
    uint32_t state;         ///< SideState
    uint32_t tag;           ///< set by the platform (the host stores its process id)
    uint32_t bell_seq;      ///< incremented by the peer when it rings this side asleep
    uint32_t bell_waiting;  ///< nonzero while this side sleeps on bell_seq
    /// Remote: its reset requests (bumped at every attach and after it lost
    /// the primary). Primary: bumped whenever it drops the remote.
    uint32_t epoch;
    /// Primary: the remote epoch it answered by re-initialising the rings.
    /// Remote: unused (0).
    uint32_t ack;
    uint32_t reserved[10];
};

struct RegionHeader {
    uint32_t magic;        ///< kMagic, written last by the primary (release)
    uint16_t version;      ///< kLayoutVersion
    uint16_t header_size;  ///< sizeof(RegionHeader)
    uint32_t region_size;  ///< bytes the layout uses
    uint16_t num_buffers;  ///< per direction, a power of two
    uint16_t reserved0;
    uint32_t buffer_size;  ///< bytes per buffer, RPMsg header included
    uint32_t generation;   ///< incremented by every create() over the region
    uint32_t reserved[10];
    SideBlock side[2];  ///< indexed by Side
};

/// One entry of a descriptor table; `addr` (64-bit) is split in two halves so
/// that every field is read with a 32-bit access.
struct VringDesc {
    uint32_t addr_lo;  ///< buffer offset from the region start
    uint32_t addr_hi;  ///< always 0
    uint32_t len;      ///< bytes used in the buffer (RPMsg header + payload)
    uint16_t flags;    ///< always 0
    uint16_t next;     ///< unused (no chains)
};

struct VringUsedElem {
    uint32_t id;   ///< descriptor index given back
    uint32_t len;  ///< bytes the receiver wrote into the buffer (0)
};

static_assert(sizeof(SideBlock) == 64);
static_assert(sizeof(RegionHeader) == 192);
static_assert(offsetof(RegionHeader, side) == 64);
static_assert(offsetof(SideBlock, epoch) == 16 && offsetof(SideBlock, ack) == 20);
static_assert(sizeof(VringDesc) == 16);
static_assert(sizeof(VringUsedElem) == 8);

/// Byte offsets inside the available and used rings.
namespace ring_offset {
inline constexpr uint32_t kFlags = 0;
inline constexpr uint32_t kIdx = 2;
inline constexpr uint32_t kRing = 4;
}  // namespace ring_offset

struct VringOffsets {
    uint32_t desc = 0;
    uint32_t avail = 0;
    uint32_t used = 0;
};

/// Where everything lives, computed from the number and size of buffers.
/// Both sides compute it themselves; offsets never come from shared memory.
struct Layout {
    uint32_t num_buffers = 0;
    uint32_t buffer_size = 0;
    VringOffsets ring[2];   ///< indexed by the sending Side
    uint32_t buffers[2]{};  ///< indexed by the sending Side
    uint32_t total_size = 0;

    uint32_t avail_idx(Side s) const { return ring[index(s)].avail + ring_offset::kIdx; }
    uint32_t avail_entry(Side s, uint32_t slot) const
    {
        return ring[index(s)].avail + ring_offset::kRing + 2 * slot;
    }
    uint32_t used_idx(Side s) const { return ring[index(s)].used + ring_offset::kIdx; }
    uint32_t used_entry(Side s, uint32_t slot) const
    {
        return ring[index(s)].used + ring_offset::kRing + 8 * slot;
    }
    uint32_t desc(Side s, uint32_t i) const { return ring[index(s)].desc + 16 * i; }
    uint32_t buffer(Side s, uint32_t i) const { return buffers[index(s)] + buffer_size * i; }
};

/// Checks the parameters (num_buffers a power of two in 1..kMaxBuffers,
/// buffer_size a multiple of 8 in kMinBufferSize..kMaxBufferSize) and fills
/// `out`. Errors: invalid_argument.
Status make_layout(uint32_t num_buffers, uint32_t buffer_size, Layout& out);

/// Bytes a region needs for `num_buffers` buffers of `buffer_size` per
/// direction; 0 if the parameters are invalid.
size_t region_size_for(uint32_t num_buffers, uint32_t buffer_size);

/// The number of buffers per direction for a region of `region_size` bytes:
/// the largest power of two, up to kMaxBuffers, whose layout fits (as Zephyr
/// derives its vring size from the shared-memory size). 0 if none fits.
uint32_t buffers_for(size_t region_size, uint32_t buffer_size);

}  // namespace amp::shm
