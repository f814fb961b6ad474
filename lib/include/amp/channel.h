// A channel is one endpoint seen through the wire format: it frames and
// sends messages, and decodes, validates, counts and dispatches what arrives.
// Every layer above (roles, request/response, streams) talks through one.
#pragma once

#include <atomic>
#include <cstdint>

#include "amp/clock.h"
#include "amp/dispatcher.h"
#include "amp/link.h"
#include "amp/log.h"
#include "amp/stats.h"
#include "amp/wire.h"

namespace amp {

class Channel final : public EndpointListener {
public:
    /// Optional hooks for link events (called from the transport's context).
    struct Events {
        void (*bound)(void* context) = nullptr;
        void (*unbound)(void* context) = nullptr;
        void* context = nullptr;
    };

    /// Registers itself as the endpoint's listener. `log` may be null.
    Channel(Endpoint& endpoint, const Clock& clock, LogSink* log);

    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    /// Frames `payload` and sends it. The frame is built on the stack
    /// (kMaxMessageSize bytes), so concurrent senders are safe. Errors:
    /// too_large, and whatever the endpoint's send returns; each failure is
    /// counted in stats().
    Status send(uint8_t type, ByteSpan payload, uint8_t flags = 0, uint32_t correlation = 0);

    Dispatcher& dispatcher() { return dispatcher_; }
    Stats& stats() { return stats_; }
    const Stats& stats() const { return stats_; }
    const Clock& clock() const { return clock_; }
    LogSink* log() const { return log_; }
    Endpoint& endpoint() { return endpoint_; }

    bool is_bound() const { return bound_.load(std::memory_order_acquire); }
    /// Largest payload one frame carries over this endpoint.
    size_t max_payload() const;
    void set_events(const Events& events) { events_ = events; }

    // EndpointListener
    void on_bound() override;
    void on_received(ByteSpan data) override;
    void on_unbound() override;

private:
    void drop(Status why, ByteSpan data);

    Endpoint& endpoint_;
    const Clock& clock_;
    LogSink* log_;
    Dispatcher dispatcher_;
    Stats stats_;
    Events events_;
    std::atomic<uint32_t> next_seq_{0};
    std::atomic<bool> bound_{false};
};

}  // namespace amp
