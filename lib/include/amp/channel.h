// A channel is one endpoint seen through the wire format: it frames and
// sends messages, and decodes, validates, counts and dispatches what arrives.
// Every layer above (roles, request/response, streams) talks through one.
//
// Version handshake (amp/handshake.h): when the endpoint binds, the channel
// announces its ProtocolInfo and waits for the peer's. Until both agree
// (state() == ready) application messages are refused on send (not_bound;
// version_mismatch after a mismatch) and dropped and counted on receipt.
// Control types (handshake, heartbeat) always pass; a heartbeat needs no
// handler. A mismatch is logged as "protocol mismatch: local v1 (hash 0x...),
// peer v2 (hash 0x...)". Every re-bind runs the handshake again.
//
// Sessions: each agreed handshake starts a session (session() grows) and
// sequence numbers restart at 0. Links deliver in order, and the peer sends
// its handshake before any application frame, so the handshake separates its
// old frames from its new ones: an application frame that arrives while the
// channel is not ready was sent before a reset (to an older session, or to a
// previous incarnation of this core) and is dropped as stale
// (Status::link_reset, DropReason::stale).
#pragma once

#include <atomic>
#include <cstdint>

#include "amp/clock.h"
#include "amp/dispatcher.h"
#include "amp/handshake.h"
#include "amp/link.h"
#include "amp/log.h"
#include "amp/stats.h"
#include "amp/typed.h"
#include "amp/wire.h"

namespace amp {

/// Types that pass before the handshake completed: link control, not application data.
constexpr bool is_control_type(uint8_t type)
{
    return type == msg::kHandshake || type == msg::kHeartbeat;
}

class Channel final : public EndpointListener {
public:
    /// Optional hooks for link events (called from the transport's context).
    struct Events {
        void (*bound)(void* context) = nullptr;
        void (*unbound)(void* context) = nullptr;
        void* context = nullptr;
        /// The handshake succeeded (again after every re-bind or peer reset).
        void (*ready)(void* context) = nullptr;
    };

    enum class State : uint8_t {
        unbound,      ///< the endpoint is not bound
        handshaking,  ///< bound, waiting for the peer's handshake
        ready,        ///< the peer speaks our protocol: application traffic flows
        mismatch,     ///< the peer speaks another protocol: nothing flows
    };

    /// Receives every frame flagged kFlagResponse instead of the dispatcher
    /// (the RpcClient installs itself). A non-ok result drops the frame.
    using ResponseSink = Status (*)(void* context, const Frame& frame);

    /// Registers itself as the endpoint's listener. `log` may be null.
    Channel(Endpoint& endpoint, const Clock& clock, LogSink* log);

    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    /// Frames `payload` and sends it. The frame is built on the stack
    /// (kMaxMessageSize bytes), so concurrent senders are safe. Errors:
    /// not_bound (also before the handshake completed), version_mismatch,
    /// too_large, and whatever the endpoint's send returns; each failure is
    /// counted in stats().
    Status send(uint8_t type, ByteSpan payload, uint8_t flags = 0, uint32_t correlation = 0);

    /// Sends a typed message (amp/typed.h); one-way unless `flags` says otherwise.
    template <Message T>
    Status send(const T& message, uint8_t flags = 0, uint32_t correlation = 0)
    {
        return send(T::kType, as_bytes(message), flags, correlation);
    }

    /// Answers `request` (a frame flagged kFlagRequest): a frame of the same
    /// type and correlation id, flagged kFlagResponse, whose payload is the
    /// status byte (an amp::Status value) followed by `body`. Errors:
    /// invalid_argument (not a request), too_large, and those of send()
    /// (counted in stats() as send failures; the client sees a timeout).
    Status respond(const FrameHeader& request, Status status, ByteSpan body = {});

    /// What the next handshake announces (default: kProtocolVersion and the
    /// empty type table). Set it before the endpoint binds.
    void set_protocol(const ProtocolInfo& protocol);
    ProtocolInfo protocol() const;
    /// What the peer announced last (zero before its first handshake).
    ProtocolInfo peer_protocol() const;
    State state() const { return state_.load(std::memory_order_acquire); }
    bool is_ready() const { return state() == State::ready; }
    /// Completed handshakes so far: grows after each re-bind or peer reset.
    uint32_t session() const { return session_.load(std::memory_order_acquire); }

    /// Sends the handshake again if the link refused it (no buffer). Cheap;
    /// Role::poll() and RpcClient::poll() call it, and so does every receipt.
    void poll();
    /// Ends the session although the link stays bound (the peer was declared
    /// lost, amp/supervisor.h): back to handshaking, and our handshake goes
    /// out as after a bind. Until the peer answers, its frames are stale.
    void restart();

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
    void set_response_sink(ResponseSink sink, void* context);

    // EndpointListener
    void on_bound() override;
    void on_received(ByteSpan data) override;
    void on_unbound() override;

private:
    Status transmit(uint8_t* frame, uint8_t type, ByteSpan payload, uint8_t flags,
                    uint32_t correlation);
    Status deliver(const Frame& frame);
    Status on_handshake(const Frame& frame);
    void on_foreign_version(ByteSpan data);
    void evaluate_handshake(bool peer_restarted);
    void drop(Status why, ByteSpan data);

    Endpoint& endpoint_;
    const Clock& clock_;
    LogSink* log_;
    Dispatcher dispatcher_;
    Stats stats_;
    Events events_;
    ResponseSink response_sink_ = nullptr;
    void* response_context_ = nullptr;
    std::atomic<uint32_t> next_seq_{0};
    std::atomic<uint32_t> session_{0};
    // Handshake: ours, the peer's, and where the exchange stands.
    std::atomic<uint32_t> local_version_{kProtocolVersion};
    std::atomic<uint32_t> local_hash_{kEmptyTypeTableHash};
    std::atomic<uint32_t> peer_version_{0};
    std::atomic<uint32_t> peer_hash_{0};
    std::atomic<State> state_{State::unbound};
    std::atomic<bool> bound_{false};
    std::atomic<bool> peer_seen_{false};          // a handshake arrived in this binding
    std::atomic<bool> handshake_pending_{false};  // ours still has to go out
    std::atomic<bool> answer_peer_{false};        // restart(): answer the peer's first handshake
    std::atomic<uint8_t> peer_wire_version_{0};  // != 0: the peer's frames are another wire version
};

}  // namespace amp
