// CM4, the remote core of the open_amp_cpp sample.
//
// The CM7 copies this image to OCRAM and releases the CM4 from reset. Opens
// the IPC instance (the remote side of the shared memory), registers the
// endpoint, waits until it is bound, then runs the remote role of the library:
// it answers each "Hello from CM7, count: N" with "Hello from CM4, count: N"
// until the CM7 says goodbye, serves the demo services the CM7 calls (checksum,
// stats), receives and checks the CM7's stream, keeps the link supervised
// (heartbeats), and prints the summary lines. The roles, services, wire format
// and counters are the library's (lib/); this file is glue (the wiring is in
// common/demo_apps.h).
#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>

#include "amp/channel.h"
#include "amp/role.h"
#include "demo_apps.h"
#include "openamp_common.h"
#include "zephyr_endpoint.h"
#include "zephyr_glue.h"

LOG_MODULE_REGISTER(cm4_main, LOG_LEVEL_INF);

#if !DT_NODE_HAS_STATUS_OKAY(DT_NODELABEL(ipc0))
#error "open_amp_cpp needs the ipc0 instance of its board overlay (cm4/boards/)"
#endif

namespace {

const struct device* const ipc_instance = DEVICE_DT_GET(DT_NODELABEL(ipc0));

// Static: the shell commands read them at any time (shell_attach()).
amp_zephyr::ZephyrEndpoint endpoint(OPENAMP_ENDPOINT_NAME);
amp_zephyr::UptimeClock uptime;
amp_zephyr::ZephyrLogSink log_sink;
amp::Channel channel(endpoint, uptime, &log_sink);
amp::Role role(amp::CoreId::cm4, channel, amp::RoleConfig{});
amp_zephyr::DemoApps apps(amp::CoreId::cm4, channel, role);

}  // namespace

int main(void)
{
    LOG_INF("Starting CM4 application");
    role.start();
    apps.start();
    amp_zephyr::shell_attach(role, channel, endpoint);

    // With RPMsg, the remote's open waits until the CM7 has opened its side.
    int err = endpoint.open(ipc_instance);
    if (err != 0) {
        LOG_ERR("IPC instance %s: open or endpoint registration failed (%d)", ipc_instance->name,
                err);
        return err;
    }

    err = endpoint.wait_bound(K_MSEC(OPENAMP_BIND_TIMEOUT_MS));
    if (err != 0) {
        LOG_ERR(
            "IPC endpoint \"%s\" not bound after %u ms: is the CM7 running the "
            "open_amp_cpp image?",
            OPENAMP_ENDPOINT_NAME, OPENAMP_BIND_TIMEOUT_MS);
        return err;
    }
    LOG_INF("IPC endpoint bound");

    // Answers (hellos, rpc responses, stream credits) are sent from the
    // handlers, in this thread: endpoint.process() inside serve_until() hands
    // each received frame to the channel.
    err = amp_zephyr::serve_until(
        endpoint, OPENAMP_RUN_TIMEOUT_MS, [] { return role.done(); }, apps);
    apps.log_summaries();
    role.log_summary();
    if (err != 0) {
        LOG_ERR("no goodbye from the CM7 after %u ms (%d): see `amp stats`", OPENAMP_RUN_TIMEOUT_MS,
                err);
    }

    // Keep serving the link (the CM7's blocking call comes after its goodbye):
    // heartbeats go on, late frames are still counted for `amp stats`, and a
    // re-bind (CM7 reset) runs the version handshake again.
    amp_zephyr::serve_forever(endpoint, apps);
    return 0;
}
