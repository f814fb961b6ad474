// Zephyr platform pieces the library needs, shared by both cores: a LogSink
// on Zephyr logging and printk, a microsecond Clock on the kernel's uptime,
// the loop that serves the endpoint, and the hook for the shell commands.
//
// The library runs in the thread that calls serve_until() (see
// zephyr_endpoint.h): adding a scenario (an RPC client, a stream) is one more
// argument to serve_until() and one more condition in `finished`; the demo's
// are bundled in demo_apps.h, a blocking call is in zephyr_blocking_rpc.h.
#pragma once

#include <zephyr/kernel.h>

#include <cstdint>

#include "amp/channel.h"
#include "amp/clock.h"
#include "amp/log.h"
#include "amp/role.h"
#include "openamp_common.h"
#include "zephyr_endpoint.h"

namespace amp_zephyr {

/// Library log lines go to the log module of the image (cm7_main / cm4_main,
/// the AMP_APP_LOG_MODULE the sample's CMake defines), filtered by
/// CONFIG_AMP_LOG_LEVEL; LogLevel::plain lines go to printk, so the console
/// shows the transcript as the host demo prints it.
class ZephyrLogSink final : public amp::LogSink {
public:
    void write(amp::LogLevel level, const char* line) override;
};

/// Microseconds since boot, from the 64-bit cycle counter when the timer has
/// one, else from the tick counter (CONFIG_SYS_CLOCK_TICKS_PER_SEC).
class UptimeClock final : public amp::Clock {
public:
    uint32_t now_us() const override;
};

/// Serves `endpoint` until `finished()` holds: polls every scenario, then
/// delivers what arrived (waiting at most OPENAMP_POLL_INTERVAL_MS for it).
/// Returns 0, -ENOTCONN when the link went down and did not come back within
/// `timeout_ms`, or -ETIMEDOUT when `finished()` did not hold in time.
template <typename Finished, typename... Scenarios>
int serve_until(ZephyrEndpoint& endpoint, uint32_t timeout_ms, Finished finished,
                Scenarios&... scenarios)
{
    const int64_t deadline = k_uptime_get() + timeout_ms;
    for (;;) {
        (scenarios.poll(), ...);
        if (finished()) return 0;
        if (k_uptime_get() >= deadline) return endpoint.is_bound() ? -ETIMEDOUT : -ENOTCONN;
        endpoint.process(K_MSEC(OPENAMP_POLL_INTERVAL_MS));
    }
}

/// Serves `endpoint` for good: the loop of serve_until() without an end, so
/// that time-driven work (heartbeats, rpc timeouts) goes on.
template <typename... Scenarios>
[[noreturn]] void serve_forever(ZephyrEndpoint& endpoint, Scenarios&... scenarios)
{
    for (;;) {
        (scenarios.poll(), ...);
        endpoint.process(K_MSEC(OPENAMP_POLL_INTERVAL_MS));
    }
}

/// Lets the `amp stats` / `amp reset` shell commands see these objects (they
/// must outlive the shell's use of them: keep them static). No-op without
/// CONFIG_SHELL.
void shell_attach(amp::Role& role, amp::Channel& channel, ZephyrEndpoint& endpoint);

}  // namespace amp_zephyr
