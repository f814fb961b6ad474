// The applications both images run on the channel after the hello exchange,
// wired as the host virtual board (amp-board, host/src/board_core.cpp) wires
// them: the demo protocol, the rpc services and scenario (the CM7 calls, the
// CM4 serves), one stream transfer (CM7 -> CM4) and the supervisor
// (heartbeats, loss and return of the peer).
//
// Threads: everything here runs in the thread that calls endpoint.process()
// (see zephyr_endpoint.h); poll() is one of the `scenarios` of serve_until().
#pragma once

#include <cstdint>

#include "amp/channel.h"
#include "amp/role.h"
#include "amp/rpc.h"
#include "amp/services.h"
#include "amp/stream.h"
#include "amp/stream_scenario.h"
#include "amp/supervisor.h"
#include "openamp_common.h"

namespace amp_zephyr {

class DemoApps {
public:
    /// Construct it after `role` (static objects: in the same file, below it).
    DemoApps(amp::CoreId core, amp::Channel& channel, amp::Role& role)
        : primary_(core == amp::CoreId::cm7),
          channel_(channel),
          role_(role),
          rpc_(channel),
          streams_(channel),
          supervisor_(channel, supervisor_config(), &rpc_, &streams_),
          rpc_scenario_(core, rpc_, primary_ ? &role : nullptr, rpc_config(primary_)),
          stream_(core, streams_, primary_ ? &role : nullptr, stream_config())
    {
    }

    DemoApps(const DemoApps&) = delete;
    DemoApps& operator=(const DemoApps&) = delete;

    /// Before the endpoint opens: the protocol both cores announce in the
    /// handshake, and the channel events the supervisor needs.
    void start()
    {
        channel_.set_protocol(amp::services::protocol());
        amp::Channel::Events events;
        events.unbound = [](void* self) { static_cast<DemoApps*>(self)->supervisor_.on_unbound(); };
        events.ready = [](void* self) { static_cast<DemoApps*>(self)->supervisor_.on_ready(); };
        events.context = this;
        channel_.set_events(events);
    }

    /// amp-board's order: supervisor, rpc scenario (only while the channel
    /// is ready: calls refused while the peer is away would count as
    /// failures), stream, then the role, whose goodbye (CM7) waits for both.
    void poll()
    {
        supervisor_.poll();
        if (channel_.is_ready()) rpc_scenario_.poll();
        stream_.poll();
        if (primary_) role_.hold_goodbye(!done());
        role_.poll();
    }

    /// CM7: every call completed and the transfer confirmed. CM4: true (it
    /// serves and receives whatever comes).
    bool done() const { return !primary_ || (rpc_scenario_.done() && stream_.done()); }
    /// No service failed to register, no call failed, the transfer went through.
    bool ok() const
    {
        return rpc_scenario_.status() == amp::Status::ok && rpc_scenario_.counters().failed == 0 &&
               (!primary_ || stream_.ok());
    }

    /// The summary lines, before the role's (which stays last).
    void log_summaries() const
    {
        if (primary_) rpc_scenario_.log_summary();
        stream_.log_summary();
    }

    amp::RpcClient& rpc() { return rpc_; }

private:
    static amp::SupervisorConfig supervisor_config()
    {
        amp::SupervisorConfig c;
        c.period_us = OPENAMP_HEARTBEAT_MS * 1000u;
        return c;
    }
    static amp::services::ScenarioConfig rpc_config(bool primary)
    {
        amp::services::ScenarioConfig c;
        c.calls = primary ? OPENAMP_RPC_CALLS : 0;
        c.timeout_us = OPENAMP_RPC_TIMEOUT_MS * 1000u;
        return c;
    }
    static amp::StreamScenarioConfig stream_config()
    {
        amp::StreamScenarioConfig c;
        c.bytes = OPENAMP_STREAM_BYTES;
        return c;
    }

    bool primary_;
    amp::Channel& channel_;
    amp::Role& role_;
    amp::RpcClient rpc_;
    amp::Streams streams_;
    amp::Supervisor supervisor_;
    amp::services::RpcScenario rpc_scenario_;
    amp::StreamScenario stream_;
};

}  // namespace amp_zephyr
