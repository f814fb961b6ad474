#include "zephyr_endpoint.h"

#include <cerrno>
#include <cstring>

#include "ipc_status.h"

namespace amp_zephyr {
namespace {

// Largest message the backend carries, capped at one frame.
size_t backend_max_size(struct ipc_ept* ept)
{
    size_t max = amp::kMaxMessageSize;
#if defined(CONFIG_IPC_SERVICE_BACKEND_RPMSG)
    // The RPMsg payload of one static-vrings buffer (512 B buffers: 496).
    const int tx = ipc_service_get_tx_buffer_size(ept);
    if (tx > 0 && static_cast<size_t>(tx) < max) max = static_cast<size_t>(tx);
#else
    ARG_UNUSED(ept);
#endif
#if defined(CONFIG_PBUF_RX_READ_BUF_SIZE)
    // icmsg hands the receiver at most one read buffer; the peer is built
    // with the same configuration.
    if (CONFIG_PBUF_RX_READ_BUF_SIZE < max) max = CONFIG_PBUF_RX_READ_BUF_SIZE;
#endif
    return max;
}

}  // namespace

int ZephyrEndpoint::open(const struct device* instance)
{
    if (instance == nullptr || !device_is_ready(instance)) return -ENODEV;
    int err = k_sem_init(&bound_sem_, 0, 1);
    if (err != 0) return err;
    k_msgq_init(&rx_queue_, rx_buffer_, sizeof(Item), OPENAMP_RX_QUEUE_DEPTH);

    err = ipc_service_open_instance(instance);
    if (err < 0 && err != -EALREADY) return err;

    cfg_.name = name_;
    cfg_.cb.bound = &ZephyrEndpoint::on_bound_cb;
    cfg_.cb.unbound = &ZephyrEndpoint::on_unbound_cb;
    cfg_.cb.received = &ZephyrEndpoint::on_received_cb;
    cfg_.priv = this;
    err = ipc_service_register_endpoint(instance, &ept_, &cfg_);
    if (err < 0) return err;
    max_size_ = backend_max_size(&ept_);
    return 0;
}

int ZephyrEndpoint::wait_bound(k_timeout_t timeout)
{
    return k_sem_take(&bound_sem_, timeout) == 0 ? 0 : -ETIMEDOUT;
}

int ZephyrEndpoint::process(k_timeout_t timeout)
{
    int delivered = 0;
    while (k_msgq_get(&rx_queue_, &app_item_, delivered == 0 ? timeout : K_NO_WAIT) == 0) {
        deliver(app_item_);
        ++delivered;
    }
    // A bound/unbound event that found the queue full: resynchronise the
    // listener with the current state (a bind always restarts the handshake).
    if (event_lost_.exchange(false, std::memory_order_acq_rel)) {
        notify_unbound();
        if (is_bound()) notify_bound();
        ++delivered;
    }
    return delivered;
}

void ZephyrEndpoint::deliver(const Item& item)
{
    switch (item.kind) {
    case Kind::bound: notify_bound(); break;
    case Kind::unbound: notify_unbound(); break;
    case Kind::data: notify_received(amp::ByteSpan{item.data, item.len}); break;
    }
}

amp::Status ZephyrEndpoint::send(amp::ByteSpan data)
{
    if (!is_bound()) return amp::Status::not_bound;
    if (data.size() > max_size_) return amp::Status::too_large;
    if (data.empty()) return amp::Status::invalid_argument;
#if defined(CONFIG_IPC_SERVICE_BACKEND_RPMSG)
    // ipc_service_send() would wait inside OpenAMP (up to about 15 s) for a
    // free buffer before it returns -ENOMEM. Claiming the buffer with
    // K_NO_WAIT keeps the link contract: no buffer, no wait.
    void* buffer = nullptr;
    uint32_t size = static_cast<uint32_t>(data.size());
    int rc = ipc_service_get_tx_buffer(&ept_, &buffer, &size, K_NO_WAIT);
    if (rc == 0) {
        std::memcpy(buffer, data.data(), data.size());
        // Fails only for a bad endpoint or length, both excluded above (the
        // backend cannot drop a claimed buffer: drop_tx_buffer is -ENOTSUP).
        rc = ipc_service_send_nocopy(&ept_, buffer, data.size());
    }
#else
    // icmsg copies into its ring at once, or fails with -ENOMEM.
    const int rc = ipc_service_send(&ept_, data.data(), data.size());
#endif
    return status_from_ipc(rc);
}

void ZephyrEndpoint::reset_counters()
{
    rx_queue_full_.store(0, std::memory_order_relaxed);
    rx_oversize_.store(0, std::memory_order_relaxed);
}

// ---- backend callbacks: work queue context, keep them short ----

void ZephyrEndpoint::post_event(Kind kind)
{
    static constexpr Item kBound{Kind::bound, 0, {}};
    static constexpr Item kUnbound{Kind::unbound, 0, {}};
    const Item& item = kind == Kind::bound ? kBound : kUnbound;
    if (k_msgq_put(&rx_queue_, &item, K_NO_WAIT) != 0) {
        event_lost_.store(true, std::memory_order_release);
    }
}

void ZephyrEndpoint::on_bound_cb(void* priv)
{
    auto* self = static_cast<ZephyrEndpoint*>(priv);
    self->bound_.store(true, std::memory_order_release);
    self->post_event(Kind::bound);
    k_sem_give(&self->bound_sem_);
}

void ZephyrEndpoint::on_unbound_cb(void* priv)
{
    auto* self = static_cast<ZephyrEndpoint*>(priv);
    self->bound_.store(false, std::memory_order_release);
    self->post_event(Kind::unbound);
}

void ZephyrEndpoint::on_received_cb(const void* data, size_t len, void* priv)
{
    auto* self = static_cast<ZephyrEndpoint*>(priv);
    if (len > sizeof(self->wq_item_.data)) {
        self->rx_oversize_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    self->wq_item_.kind = Kind::data;
    self->wq_item_.len = static_cast<uint16_t>(len);
    std::memcpy(self->wq_item_.data, data, len);
    if (k_msgq_put(&self->rx_queue_, &self->wq_item_, K_NO_WAIT) != 0) {
        self->rx_queue_full_.fetch_add(1, std::memory_order_relaxed);
    }
}

}  // namespace amp_zephyr
