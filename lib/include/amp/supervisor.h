// Link supervision: heartbeats, loss of the peer, and its return.
//
// While the channel is ready the supervisor sends an AMP_MSG_HEARTBEAT every
// `period_us` in which nothing else was sent, and watches what arrives: any
// frame the channel accepts is a sign of life. The peer is declared lost
//  - after `max_missed` periods without a frame (reason timeout): the channel
//    then restarts its session (Channel::restart()), so that nothing the old
//    peer sent is delivered once the new session begins,
//  - at once when the link unbinds, or when the peer starts a new session
//    (it reset and handshook again) (reason link_reset).
// On loss: pending requests complete with link_reset (RpcClient::fail_all),
// streams are aborted with link_reset (Streams::reset), the reset is counted
// (Stats::record_reset: the role's summary shows it), a warning is logged,
// and Events::lost runs. When the channel is ready again (new session)
// Events::up runs; it also runs for the first session.
//
// Both cores must supervise with similar periods: a peer that never sends
// would be declared lost over and over.
//
// Context: poll() and the hooks run on the channel's receive context (or
// serialised with it), like amp::Streams.
#pragma once

#include <cstdint>

#include "amp/channel.h"
#include "amp/rpc.h"
#include "amp/stream.h"

namespace amp {

struct SupervisorConfig {
    uint32_t period_us = 100'000;  ///< heartbeat period; 0: no heartbeats, no loss by silence
    uint32_t max_missed = 3;       ///< periods without a frame before the peer is lost (>= 1)
};

class Supervisor {
public:
    struct Events {
        /// The peer was lost: timeout (silent) or link_reset (unbound, reset).
        void (*lost)(void* context, Status reason) = nullptr;
        /// A session started: the first one, or again after a loss.
        void (*up)(void* context, uint32_t session) = nullptr;
        void* context = nullptr;
    };

    /// `rpc` and `streams` (may be null) are failed on loss.
    Supervisor(Channel& channel, const SupervisorConfig& config, RpcClient* rpc = nullptr,
               Streams* streams = nullptr);

    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    void set_events(const Events& events) { events_ = events; }

    /// Sends a heartbeat when one is due, and notices loss and return. Call
    /// it at least every period (next_due_us() says when).
    void poll();
    /// Forward Channel::Events::unbound and ::ready here so that loss and
    /// return are handled at once (poll() notices them too, later).
    void on_unbound() { update(); }
    void on_ready() { update(); }

    /// True while the peer is up (a session runs and the peer is not lost).
    bool is_up() const { return up_; }
    /// Losses so far.
    uint32_t resets() const { return resets_; }
    /// When poll() wants to run next (absolute, us).
    uint32_t next_due_us() const;

private:
    void update();
    void lose(Status reason);

    Channel& channel_;
    RpcClient* rpc_;
    Streams* streams_;
    Events events_;
    uint32_t period_us_;
    uint32_t timeout_us_;
    uint32_t session_ = 0;
    uint32_t resets_ = 0;
    uint32_t last_rx_ = 0;
    uint32_t last_tx_ = 0;
    uint32_t life_us_ = 0;  // when a frame was last seen to arrive
    uint32_t beat_us_ = 0;  // when the next heartbeat is due
    bool up_ = false;
};

}  // namespace amp
