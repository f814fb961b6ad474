// amp::Endpoint over one endpoint of Zephyr's IPC service (RPMsg static
// vrings or icmsg, whichever backend the devicetree selects).
//
// Threads. The backend calls bound/unbound/received from its work queue. Those
// callbacks stay short: they copy the event (and the message) into a k_msgq
// and return. The application thread calls process(), which hands the queued
// events to the listener (the amp::Channel) in the order they arrived, so the
// whole library (channel, roles, services) runs in that one thread. send() is
// called from the same thread and never waits: with no free buffer it fails
// with Status::no_buffer at once.
#pragma once

#include <zephyr/device.h>
#include <zephyr/ipc/ipc_service.h>
#include <zephyr/kernel.h>

#include <atomic>
#include <cstdint>

#include "amp/link.h"
#include "amp/wire.h"
#include "openamp_common.h"

namespace amp_zephyr {

class ZephyrEndpoint final : public amp::Endpoint {
public:
    /// `name` must match the peer's endpoint name (RPMsg binds on it).
    explicit ZephyrEndpoint(const char* name) : name_(name) {}

    ZephyrEndpoint(const ZephyrEndpoint&) = delete;
    ZephyrEndpoint& operator=(const ZephyrEndpoint&) = delete;

    /// Opens `instance` (already open is fine) and registers the endpoint.
    /// Returns 0 or the negative errno of ipc_service_open_instance() /
    /// ipc_service_register_endpoint() (-ENODEV: the instance is not ready).
    int open(const struct device* instance);
    /// Waits for the bound callback. Returns 0 or -ETIMEDOUT.
    int wait_bound(k_timeout_t timeout);
    /// Waits up to `timeout` for the first queued event, then delivers it and
    /// every other queued one to the listener. Returns how many it delivered.
    int process(k_timeout_t timeout);

    // amp::Endpoint
    amp::Status send(amp::ByteSpan data) override;
    size_t max_message_size() const override { return max_size_; }
    bool is_bound() const override { return bound_.load(std::memory_order_acquire); }

    /// Messages lost because the receive queue was full.
    uint32_t rx_queue_full() const { return rx_queue_full_.load(std::memory_order_relaxed); }
    /// Messages longer than a frame can be, dropped on receipt.
    uint32_t rx_oversize() const { return rx_oversize_.load(std::memory_order_relaxed); }
    void reset_counters();

private:
    enum class Kind : uint16_t { data, bound, unbound };
    struct Item {
        Kind kind;
        uint16_t len;
        uint8_t data[amp::kMaxMessageSize];
    };
    static_assert(sizeof(Item) % 4 == 0, "k_msgq items stay word aligned");

    static void on_bound_cb(void* priv);
    static void on_unbound_cb(void* priv);
    static void on_received_cb(const void* data, size_t len, void* priv);
    void post_event(Kind kind);
    void deliver(const Item& item);

    const char* name_;
    struct ipc_ept ept_ {};
    struct ipc_ept_cfg cfg_ {};
    struct k_sem bound_sem_ {};
    struct k_msgq rx_queue_ {};
    alignas(4) char rx_buffer_[OPENAMP_RX_QUEUE_DEPTH * sizeof(Item)] = {};
    Item wq_item_{};   // filled by the received callback (work queue only)
    Item app_item_{};  // read by process() (application thread only)
    size_t max_size_ = amp::kMaxMessageSize;
    std::atomic<bool> bound_{false};
    std::atomic<bool> event_lost_{false};  // a bound/unbound event found the queue full
    std::atomic<uint32_t> rx_queue_full_{0};
    std::atomic<uint32_t> rx_oversize_{0};
};

}  // namespace amp_zephyr
