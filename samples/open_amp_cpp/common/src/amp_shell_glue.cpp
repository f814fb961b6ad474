// The C++ side of the `amp` shell commands: snapshots of the objects main()
// attached. The shell thread only reads counters (atomics and the Stats
// snapshot, which is consistent by design) and resets the link counters.
#include <atomic>
#include <cerrno>

#include "amp_shell.h"
#include "zephyr_glue.h"

namespace amp_zephyr {
namespace {

std::atomic<amp::Role*> g_role{nullptr};
std::atomic<amp::Channel*> g_channel{nullptr};
std::atomic<ZephyrEndpoint*> g_endpoint{nullptr};

static_assert(AMP_SHELL_DROP_REASONS == amp::kDropReasonCount, "amp_shell.h is out of date");

}  // namespace

void shell_attach(amp::Role& role, amp::Channel& channel, ZephyrEndpoint& endpoint)
{
    g_endpoint.store(&endpoint, std::memory_order_release);
    g_channel.store(&channel, std::memory_order_release);
    g_role.store(&role, std::memory_order_release);
}

}  // namespace amp_zephyr

using amp_zephyr::g_channel;
using amp_zephyr::g_endpoint;
using amp_zephyr::g_role;

extern "C" int amp_shell_get_snapshot(struct amp_shell_snapshot* out)
{
    const amp::Role* role = g_role.load(std::memory_order_acquire);
    const amp::Channel* channel = g_channel.load(std::memory_order_acquire);
    const amp_zephyr::ZephyrEndpoint* endpoint = g_endpoint.load(std::memory_order_acquire);
    if (role == nullptr || channel == nullptr || endpoint == nullptr || out == nullptr) {
        return -ENODEV;
    }
    const amp::RoleCounters rc = role->counters();
    const amp::StatsSnapshot s = channel->stats().snapshot();
    *out = amp_shell_snapshot{};
    out->core = amp::core_name(role->core());
    out->bound = channel->is_bound();
    out->ready = channel->is_ready();
    out->sent = rc.sent;
    out->received = rc.received;
    out->errors = rc.errors;
    out->tx_messages = s.tx_messages;
    out->tx_bytes = s.tx_bytes;
    out->rx_messages = s.rx_messages;
    out->rx_bytes = s.rx_bytes;
    out->send_failures = s.send_failures;
    for (size_t i = 0; i < amp::kDropReasonCount; ++i) out->dropped[i] = s.dropped[i];
    out->latency_samples = s.latency_samples();
    static constexpr uint32_t kPercent[AMP_SHELL_PERCENTILES] = {50, 90, 99};
    for (size_t i = 0; i < AMP_SHELL_PERCENTILES; ++i) {
        out->latency_us[i] = s.latency_percentile_us(kPercent[i]);
    }
    out->rx_queue_full = endpoint->rx_queue_full();
    out->rx_oversize = endpoint->rx_oversize();
    out->consistent = s.consistent;
    return 0;
}

extern "C" const char* amp_shell_drop_reason(uint32_t i)
{
    return i < amp::kDropReasonCount ? amp::to_string(static_cast<amp::DropReason>(i)) : "?";
}

extern "C" int amp_shell_reset(void)
{
    amp::Channel* channel = g_channel.load(std::memory_order_acquire);
    amp_zephyr::ZephyrEndpoint* endpoint = g_endpoint.load(std::memory_order_acquire);
    if (channel == nullptr || endpoint == nullptr) return -ENODEV;
    channel->stats().reset();
    endpoint->reset_counters();
    return 0;
}
