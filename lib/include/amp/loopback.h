// In-process loopback link: two endpoints joined back to back, for tests and
// for running both roles in one process. Each direction owns a fixed ring of
// buffers; `send` fails with no_buffer when the ring is full, exactly as a
// real transport does when the peer has not consumed its messages yet.
// Messages are delivered by pump(), never from inside send(), so a listener
// may reply from its callback without recursion.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "amp/link.h"

namespace amp {

class LoopbackPairBase;

class LoopbackEndpoint final : public Endpoint {
public:
    Status send(ByteSpan data) override;
    size_t max_message_size() const override { return buffer_size_; }
    bool is_bound() const override { return bound_; }

    /// Buffers this side can still send into.
    size_t free_buffers() const { return num_buffers_ - queued_; }

private:
    friend class LoopbackPairBase;

    bool deliver_one(LoopbackEndpoint& to);

    uint8_t* storage_ = nullptr;
    uint16_t* lengths_ = nullptr;
    uint32_t num_buffers_ = 0;
    uint32_t buffer_size_ = 0;
    uint32_t head_ = 0;    // oldest queued message
    uint32_t queued_ = 0;  // messages waiting for the peer
    bool bound_ = false;
};

class LoopbackPairBase {
public:
    LoopbackEndpoint& a() { return a_; }
    LoopbackEndpoint& b() { return b_; }

    /// Marks both endpoints bound and fires both `bound` callbacks (a first).
    void bind();
    /// Marks both endpoints unbound, drops queued messages, fires `unbound`.
    void unbind();
    /// Delivers up to `max` queued messages, alternating directions.
    /// Returns how many were delivered. Re-entrant calls deliver nothing.
    size_t pump(size_t max = SIZE_MAX);
    /// Messages waiting in either direction.
    size_t pending() const { return a_.queued_ + b_.queued_; }

protected:
    LoopbackPairBase(uint8_t* storage_a, uint16_t* lengths_a, uint8_t* storage_b,
                     uint16_t* lengths_b, uint32_t num_buffers, uint32_t buffer_size);
    ~LoopbackPairBase() = default;

private:
    LoopbackEndpoint a_;
    LoopbackEndpoint b_;
    bool pumping_ = false;
};

namespace detail {
template <size_t NumBuffers, size_t BufferSize>
struct LoopbackStorage {
    std::array<uint8_t, NumBuffers * BufferSize> storage_a{};
    std::array<uint8_t, NumBuffers * BufferSize> storage_b{};
    std::array<uint16_t, NumBuffers> lengths_a{};
    std::array<uint16_t, NumBuffers> lengths_b{};
};
}  // namespace detail

/// A loopback pair with `NumBuffers` buffers of `BufferSize` bytes per direction.
/// The storage base comes first so it exists before the pair points into it.
template <size_t NumBuffers, size_t BufferSize = 496>
class LoopbackPair final : private detail::LoopbackStorage<NumBuffers, BufferSize>,
                           public LoopbackPairBase {
    static_assert(NumBuffers > 0 && BufferSize > 0 && BufferSize <= UINT16_MAX);
    using Storage = detail::LoopbackStorage<NumBuffers, BufferSize>;

public:
    LoopbackPair()
        : LoopbackPairBase(Storage::storage_a.data(), Storage::lengths_a.data(),
                           Storage::storage_b.data(), Storage::lengths_b.data(), NumBuffers,
                           BufferSize)
    {
    }
};

}  // namespace amp
