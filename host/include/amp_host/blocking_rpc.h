// A blocking call on the host: send a request through an amp::RpcClient and
// wait on a condition variable until its completion or a timeout.
//
//   Squared out;
//   amp::Status st = amp::host::call_blocking(rpc, Square{12}, out, 10ms);
//
// The library's call is asynchronous (a completion called exactly once);
// this only waits for it. When the wait times out first, the request is
// cancelled with RpcClient::cancel(), which completes it at once with
// timeout, unless another thread is completing it at that very moment, in
// which case that completion is awaited. So the waiter never returns while a
// completion could still touch it. The Zephyr glue does the same with a
// k_sem: k_sem_give() in the completion, k_sem_take(timeout), and cancel()
// followed by k_sem_take(K_FOREVER) on -EAGAIN.
//
// Never call it from the context that delivers received frames (the link's
// receive thread): the response could not arrive while it waits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "amp/rpc.h"

namespace amp::host {

/// Calls `Req::kType` and waits up to `timeout`. Returns ok (and sets
/// `response`), the server's error status, timeout, the reason of a
/// fail_all() (e.g. link_reset), or why the request could not be sent
/// (not_bound, table_full, no_buffer, ...).
template <Message Req, WireLayout Resp>
Status call_blocking(RpcClient& rpc, const Req& request, Resp& response,
                     std::chrono::microseconds timeout)
{
    struct Waiter {
        std::mutex mutex;
        std::condition_variable cv;
        bool done = false;
        Status status = Status::timeout;
        Resp response{};

        static void on_done(void* self, Status st, const Resp& r)
        {
            auto* w = static_cast<Waiter*>(self);
            std::lock_guard<std::mutex> lock(w->mutex);
            w->status = st;
            w->response = r;
            w->done = true;
            w->cv.notify_one();  // under the lock: *w may vanish once it is released
        }
    } waiter;

    const auto us = timeout.count() < 0 ? 0 : timeout.count();
    const uint32_t timeout_us = us > static_cast<long long>(RpcClient::kMaxTimeoutUs)
                                    ? RpcClient::kMaxTimeoutUs
                                    : static_cast<uint32_t>(us);
    uint32_t id = 0;
    const Status sent = rpc.call(request, &Waiter::on_done, &waiter, timeout_us, &id);
    if (sent != Status::ok) return sent;

    std::unique_lock<std::mutex> lock(waiter.mutex);
    if (!waiter.cv.wait_for(lock, timeout, [&] { return waiter.done; })) {
        lock.unlock();
        rpc.cancel(id, Status::timeout);  // not_found: someone is completing it now
        lock.lock();
        waiter.cv.wait(lock, [&] { return waiter.done; });
    }
    if (waiter.status == Status::ok) response = waiter.response;
    return waiter.status;
}

}  // namespace amp::host
