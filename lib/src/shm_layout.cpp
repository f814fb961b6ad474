#include "amp/shm_layout.h"

namespace amp::shm {
namespace {

constexpr uint64_t align_up(uint64_t v)
{
    return (v + kAlign - 1) & ~static_cast<uint64_t>(kAlign - 1);
}

constexpr bool power_of_two(uint32_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

}  // namespace

Status make_layout(uint32_t num_buffers, uint32_t buffer_size, Layout& out)
{
    if (!power_of_two(num_buffers) || num_buffers > kMaxBuffers) return Status::invalid_argument;
    if (buffer_size < kMinBufferSize || buffer_size > kMaxBufferSize || buffer_size % 8 != 0) {
        return Status::invalid_argument;
    }
    // 64-bit arithmetic: the largest layouts exceed 32 bits and are refused.
    Layout l;
    l.num_buffers = num_buffers;
    l.buffer_size = buffer_size;
    uint64_t off = align_up(sizeof(RegionHeader));
    for (VringOffsets& r : l.ring) {
        r.desc = static_cast<uint32_t>(off);
        off += uint64_t{sizeof(VringDesc)} * num_buffers;
        r.avail = static_cast<uint32_t>(off);
        off = align_up(off + 6 + uint64_t{2} * num_buffers);  // flags, idx, ring, used_event
        r.used = static_cast<uint32_t>(off);
        off = align_up(off + 6 + uint64_t{sizeof(VringUsedElem)} * num_buffers);
    }
    for (uint32_t& b : l.buffers) {
        b = static_cast<uint32_t>(off);
        off = align_up(off + uint64_t{buffer_size} * num_buffers);
    }
    if (off > UINT32_MAX) return Status::invalid_argument;
    l.total_size = static_cast<uint32_t>(off);
    out = l;
    return Status::ok;
}

size_t region_size_for(uint32_t num_buffers, uint32_t buffer_size)
{
    Layout l;
    return make_layout(num_buffers, buffer_size, l) == Status::ok ? l.total_size : 0;
}

uint32_t buffers_for(size_t region_size, uint32_t buffer_size)
{
    for (uint32_t n = kMaxBuffers; n != 0; n /= 2) {
        const size_t need = region_size_for(n, buffer_size);
        if (need != 0 && need <= region_size) return n;
    }
    return 0;
}

}  // namespace amp::shm
