// The link contract: what every transport (Zephyr IPC service, the portable
// shared-memory link, the in-process loopback) offers the layers above.
//
// It mirrors Zephyr's IPC service endpoint: the endpoint is registered with a
// listener, the `bound` callback fires once both sides are connected, each
// received message is handed to `on_received` and is valid only during the
// call, and `send` never blocks: with no free buffer it fails with
// Status::no_buffer at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "amp/status.h"

namespace amp {

using ByteSpan = std::span<const uint8_t>;
using MutableByteSpan = std::span<uint8_t>;

/// Receives the endpoint's events. Called from the transport's context
/// (a Zephyr work queue, a host receive thread, or the caller of pump()).
class EndpointListener {
public:
    virtual void on_bound() = 0;
    /// `data` is only valid during the call.
    virtual void on_received(ByteSpan data) = 0;
    /// The peer went away (Zephyr's `unbound` callback, a faulted ring, ...).
    virtual void on_unbound() {}

protected:
    ~EndpointListener() = default;
};

class Endpoint {
public:
    /// Copies `data` into a transmit buffer and hands it to the peer.
    /// Errors: not_bound, too_large, no_buffer, faulted.
    virtual Status send(ByteSpan data) = 0;
    /// Largest message `send` accepts, in bytes.
    virtual size_t max_message_size() const = 0;
    virtual bool is_bound() const = 0;

    void set_listener(EndpointListener* listener) { listener_ = listener; }
    EndpointListener* listener() const { return listener_; }

protected:
    ~Endpoint() = default;

    void notify_bound()
    {
        if (listener_ != nullptr) listener_->on_bound();
    }
    void notify_received(ByteSpan data)
    {
        if (listener_ != nullptr) listener_->on_received(data);
    }
    void notify_unbound()
    {
        if (listener_ != nullptr) listener_->on_unbound();
    }

private:
    EndpointListener* listener_ = nullptr;
};

}  // namespace amp
