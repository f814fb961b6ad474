// A blocking call with a timeout on Zephyr: the same shape as the host's
// amp::host::call_blocking() (host/include/amp_host/blocking_rpc.h), with a
// k_sem that the completion gives.
//
//   amp::services::StatsReply reply;
//   amp::Status st = amp_zephyr::call_blocking(rpc, amp::services::StatsRequest{}, reply,
//                                              100, &endpoint, apps);
//
// Threads, and why there are two ways to wait. The completion runs where
// the library runs: in the thread that calls endpoint.process(), which
// hands the k_msgq's frames to the channel (zephyr_endpoint.h).
//  - Called FROM that thread (the sample's main thread), a plain
//    k_sem_take() would deadlock: the response would wait in the k_msgq that
//    only this thread empties. Pass `pump` = the endpoint: while the
//    semaphore is not given, the wait keeps delivering queued frames (at
//    most OPENAMP_POLL_INTERVAL_MS per wait) and polls the client and
//    `pollers` (heartbeats, timeouts), so the library keeps running.
//  - Called from ANOTHER thread (a work item, a shell command), pass
//    `pump` = nullptr: it blocks in k_sem_take(timeout) while the main
//    thread delivers the response and gives the semaphore.
// On a timeout the request is cancelled (RpcClient::cancel(), which
// completes it with timeout). If another thread is completing it at that
// moment (cancel() says not_found), that completion is awaited, so the
// waiter never returns while the completion could still touch it.
#pragma once

#include <zephyr/kernel.h>

#include <cstdint>

#include "amp/rpc.h"
#include "openamp_common.h"
#include "zephyr_endpoint.h"

namespace amp_zephyr {

/// Calls `Req::kType` and waits up to `timeout_ms`. Returns ok (and sets
/// `response`), the server's error status, timeout, the reason of a
/// fail_all() (link_reset), or why the request could not be sent.
template <amp::Message Req, amp::WireLayout Resp, typename... Pollers>
amp::Status call_blocking(amp::RpcClient& rpc, const Req& request, Resp& response,
                          uint32_t timeout_ms, ZephyrEndpoint* pump, Pollers&... pollers)
{
    struct Waiter {
        struct k_sem done;
        amp::Status status = amp::Status::timeout;
        Resp response{};

        static void on_done(void* self, amp::Status st, const Resp& r)
        {
            auto* w = static_cast<Waiter*>(self);
            w->status = st;
            w->response = r;
            k_sem_give(&w->done);  // last touch: the waiter may return now
        }
    } waiter;
    k_sem_init(&waiter.done, 0, 1);

    const uint32_t max_ms = amp::RpcClient::kMaxTimeoutUs / 1000u;
    if (timeout_ms > max_ms) timeout_ms = max_ms;
    uint32_t id = 0;
    const amp::Status sent = rpc.call(request, &Waiter::on_done, &waiter, timeout_ms * 1000u, &id);
    if (sent != amp::Status::ok) return sent;

    int taken = 0;
    if (pump == nullptr) {
        taken = k_sem_take(&waiter.done, K_MSEC(timeout_ms));
    } else {
        // The client expires the request itself (rpc.poll()); the deadline
        // here only bounds the wait should the clock and the uptime disagree.
        const int64_t deadline = k_uptime_get() + timeout_ms + OPENAMP_POLL_INTERVAL_MS;
        while ((taken = k_sem_take(&waiter.done, K_NO_WAIT)) != 0 && k_uptime_get() < deadline) {
            pump->process(K_MSEC(OPENAMP_POLL_INTERVAL_MS));
            rpc.poll();
            (pollers.poll(), ...);
        }
    }
    if (taken != 0) {
        // not_found: being completed right now (only from another thread).
        rpc.cancel(id, amp::Status::timeout);
        k_sem_take(&waiter.done, K_FOREVER);
    }
    if (waiter.status == amp::Status::ok) response = waiter.response;
    return waiter.status;
}

}  // namespace amp_zephyr
