// amp-board --corrupt-every N (testing): damages messages in the shared
// memory, as an IPC region that is cached or wrongly attributed on one core
// would, to show that the CRC-32C of every frame catches it.
//
// Before each poll this core looks at the messages the other core has
// published on its ring and this core has not read yet, and flips one bit
// in every Nth request or response frame, in a byte only the CRC protects
// (type, sequence number, correlation id, CRC, payload). The sender is done
// with a published buffer, and this core reads it only afterwards, so each
// damaged frame is seen damaged, exactly once. Requests and responses only:
// the demo survives their loss (the call times out), not that of a hello or
// a handshake, which nobody sends again.
#include <atomic>
#include <cstddef>

#include "amp/rpmsg.h"
#include "amp/shm_layout.h"
#include "amp/wire.h"
#include "board.h"

namespace amp::host::board {
namespace {

template <class T>
T load(uint8_t* base, uint32_t offset, std::memory_order order = std::memory_order_relaxed)
{
    return std::atomic_ref<T>(*static_cast<T*>(static_cast<void*>(base + offset))).load(order);
}

}  // namespace

void Corrupter::before_poll(MutableByteSpan region, const shm::Layout& l, shm::Side me)
{
    const uint32_t num = l.num_buffers;
    if (every_ == 0 || num == 0 || region.size() < l.total_size) return;
    uint8_t* base = region.data();
    const shm::Side peer = shm::other(me);
    // Acquire: the entries, descriptors and buffers published before are visible.
    const uint16_t avail = load<uint16_t>(base, l.avail_idx(peer), std::memory_order_acquire);
    // Outside poll() the used index this core published counts what it has read.
    const uint16_t used = load<uint16_t>(base, l.used_idx(peer));
    if (static_cast<int16_t>(next_ - used) < 0 || static_cast<uint16_t>(avail - next_) > num) {
        next_ = used;  // read without a look, or a new session
    }
    for (; next_ != avail; ++next_) {
        const uint32_t head = load<uint16_t>(base, l.avail_entry(peer, next_ & (num - 1)));
        if (head >= num) return;  // the link faults on it
        const uint32_t d = l.desc(peer, head);
        const uint32_t addr = load<uint32_t>(base, d + offsetof(shm::VringDesc, addr_lo));
        const uint32_t len = load<uint32_t>(base, d + offsetof(shm::VringDesc, len));
        if (addr > region.size() || len > region.size() - addr) return;  // the link faults
        if (len < rpmsg::kHeaderSize + kFrameHeaderSize) continue;
        const rpmsg::Header h = rpmsg::decode_header(base + addr);
        if (h.dst == rpmsg::kNsAddress || h.len < kFrameHeaderSize ||
            h.len > len - rpmsg::kHeaderSize) {
            continue;
        }
        uint8_t* frame = base + addr + rpmsg::kHeaderSize;
        const bool ours = load_le16(frame + wire_offset::kMagic) == kFrameMagic &&
                          frame[wire_offset::kVersion] == kProtocolVersion;
        if (!ours || (frame[wire_offset::kFlags] & (kFlagRequest | kFlagResponse)) == 0) continue;
        if (++seen_ % every_ != 0) continue;
        // Byte 3 (type), or one of bytes 8.. (sequence, correlation, CRC, payload).
        const uint32_t r = next_random() % (h.len - 7u);
        const uint32_t byte = r == 0 ? wire_offset::kType : 7u + r;
        frame[byte] ^= static_cast<uint8_t>(1u << (next_random() % 8u));
        ++flipped_;
    }
}

uint32_t Corrupter::next_random()
{
    // xorshift32: the same damage on every run.
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
}

}  // namespace amp::host::board
