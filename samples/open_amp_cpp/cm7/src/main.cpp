// CM7, the primary core of the open_amp_cpp sample.
//
// Opens the IPC instance (the CM7 is the host of the shared memory), registers
// the endpoint, waits until the CM4 binds to it, then runs the primary role of
// the library: ten "Hello from CM7, count: N" messages, each answered by the
// CM4. Then it calls the CM4's demo services (checksum, stats: each result
// and latency logged), streams a buffer to it, keeps the link supervised
// (heartbeats), makes one blocking call, and prints the summary lines. The
// roles, services, wire format and counters are the library's (lib/); this
// file is glue, shared pieces live in common/ (demo_apps.h: the wiring).
#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/time_units.h>

#include "amp/channel.h"
#include "amp/role.h"
#include "amp/services.h"
#include "demo_apps.h"
#include "openamp_common.h"
#include "zephyr_blocking_rpc.h"
#include "zephyr_endpoint.h"
#include "zephyr_glue.h"

LOG_MODULE_REGISTER(cm7_main, LOG_LEVEL_INF);

#if !DT_NODE_HAS_STATUS_OKAY(DT_NODELABEL(ipc0))
#error "open_amp_cpp needs the ipc0 instance of its board overlay (cm7/boards/)"
#endif

namespace {

const struct device* const ipc_instance = DEVICE_DT_GET(DT_NODELABEL(ipc0));

// Static: the shell commands read them at any time (shell_attach()).
amp_zephyr::ZephyrEndpoint endpoint(OPENAMP_ENDPOINT_NAME);
amp_zephyr::UptimeClock uptime;
amp_zephyr::ZephyrLogSink log_sink;
amp::Channel channel(endpoint, uptime, &log_sink);
amp::Role role(amp::CoreId::cm7, channel, {.count = OPENAMP_HELLO_COUNT});
amp_zephyr::DemoApps apps(amp::CoreId::cm7, channel, role);

// One blocking call from this thread (the one that runs the library: the
// wait keeps serving the endpoint, see zephyr_blocking_rpc.h).
void blocking_stats_call()
{
    amp::services::StatsReply reply{};
    const int64_t start = k_uptime_ticks();
    const amp::Status st = amp_zephyr::call_blocking(
        apps.rpc(), amp::services::StatsRequest{}, reply, OPENAMP_RPC_TIMEOUT_MS, &endpoint, apps);
    const uint32_t us = static_cast<uint32_t>(k_ticks_to_us_floor64(k_uptime_ticks() - start));
    if (st == amp::Status::ok) {
        LOG_INF("blocking rpc stats: CM4 tx %u, rx %u, dropped %u in %u us", reply.tx_messages,
                reply.rx_messages, reply.dropped_total, us);
    } else {
        LOG_ERR("blocking rpc stats failed: %s", amp::to_string(st));
    }
}

}  // namespace

int main(void)
{
    LOG_INF("Starting CM7 application");
    role.start();
    apps.start();
    amp_zephyr::shell_attach(role, channel, endpoint);

    int err = endpoint.open(ipc_instance);
    if (err != 0) {
        LOG_ERR("IPC instance %s: open or endpoint registration failed (%d)", ipc_instance->name,
                err);
        return err;
    }

    err = endpoint.wait_bound(K_MSEC(OPENAMP_BIND_TIMEOUT_MS));
    if (err != 0) {
        LOG_ERR(
            "IPC endpoint \"%s\" not bound after %u ms: is the CM4 running? "
            "(build with --sysbuild so that the CM7 starts it)",
            OPENAMP_ENDPOINT_NAME, OPENAMP_BIND_TIMEOUT_MS);
        return err;
    }
    LOG_INF("IPC endpoint bound");

    // The hello exchange, then the rpc calls and the stream (the goodbye
    // waits for them): all sends come from here, every answer is handed to
    // the channel by endpoint.process() inside serve_until().
    err = amp_zephyr::serve_until(
        endpoint, OPENAMP_RUN_TIMEOUT_MS, [] { return role.done(); }, apps);
    if (err == 0) blocking_stats_call();
    apps.log_summaries();
    role.log_summary();
    if (err != 0 || !apps.ok()) {
        LOG_ERR("demo incomplete after %u ms (%d): see the log above and `amp stats`",
                OPENAMP_RUN_TIMEOUT_MS, err);
    }

    // Keep serving the link: heartbeats go on, late frames are still counted
    // for `amp stats`, and a re-bind (CM4 reset) runs the handshake again.
    amp_zephyr::serve_forever(endpoint, apps);
    return 0;
}
