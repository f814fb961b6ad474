#include "amp/loopback.h"

#include <cstring>

namespace amp {

LoopbackPairBase::LoopbackPairBase(uint8_t* storage_a, uint16_t* lengths_a, uint8_t* storage_b,
                                   uint16_t* lengths_b, uint32_t num_buffers, uint32_t buffer_size)
{
    a_.storage_ = storage_a;
    a_.lengths_ = lengths_a;
    b_.storage_ = storage_b;
    b_.lengths_ = lengths_b;
    a_.num_buffers_ = b_.num_buffers_ = num_buffers;
    a_.buffer_size_ = b_.buffer_size_ = buffer_size;
}

Status LoopbackEndpoint::send(ByteSpan data)
{
    if (!bound_) return Status::not_bound;
    if (data.size() > buffer_size_) return Status::too_large;
    if (queued_ == num_buffers_) return Status::no_buffer;
    const uint32_t slot = (head_ + queued_) % num_buffers_;
    if (!data.empty())
        std::memcpy(storage_ + static_cast<size_t>(slot) * buffer_size_, data.data(), data.size());
    lengths_[slot] = static_cast<uint16_t>(data.size());
    ++queued_;
    return Status::ok;
}

// Hands this side's oldest queued message to `to`; the buffer stays owned by
// the sender until the callback returns, as with a real transport.
bool LoopbackEndpoint::deliver_one(LoopbackEndpoint& to)
{
    if (queued_ == 0) return false;
    const uint32_t slot = head_;
    to.notify_received(
        ByteSpan{storage_ + static_cast<size_t>(slot) * buffer_size_, lengths_[slot]});
    if (queued_ == 0) return true;  // the callback unbound the pair
    head_ = (head_ + 1) % num_buffers_;
    --queued_;
    return true;
}

void LoopbackPairBase::bind()
{
    a_.bound_ = b_.bound_ = true;
    a_.notify_bound();
    b_.notify_bound();
}

void LoopbackPairBase::unbind()
{
    a_.bound_ = b_.bound_ = false;
    a_.head_ = a_.queued_ = b_.head_ = b_.queued_ = 0;
    a_.notify_unbound();
    b_.notify_unbound();
}

size_t LoopbackPairBase::pump(size_t max)
{
    if (pumping_) return 0;
    pumping_ = true;
    size_t delivered = 0;
    bool progress = true;
    while (progress && delivered < max) {
        progress = false;
        if (a_.deliver_one(b_)) {
            ++delivered;
            progress = true;
        }
        if (delivered < max && b_.deliver_one(a_)) {
            ++delivered;
            progress = true;
        }
    }
    pumping_ = false;
    return delivered;
}

}  // namespace amp
