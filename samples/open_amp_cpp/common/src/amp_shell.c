/*
 * Shell commands of the sample (built with CONFIG_SHELL):
 *   amp stats   role and link counters, drops by reason, latency percentiles
 *   amp reset   reset the link counters (the role's hello counters stay)
 */
#include <zephyr/shell/shell.h>

#include "amp_shell.h"

static int cmd_amp_stats(const struct shell* sh, size_t argc, char** argv)
{
    struct amp_shell_snapshot s;
    int err;

    ARG_UNUSED(argc);
    ARG_UNUSED(argv);

    err = amp_shell_get_snapshot(&s);
    if (err != 0) {
        shell_error(sh, "amp: library not started yet (%d)", err);
        return err;
    }
    shell_print(sh, "%s: endpoint %s, protocol %s", s.core, s.bound ? "bound" : "not bound",
                s.ready ? "ready" : "not ready");
    shell_print(sh, "%s summary: sent %u, received %u, errors %u", s.core, s.sent, s.received,
                s.errors);
    shell_print(sh, "frames: tx %u (%u B), rx %u (%u B), send failures %u", s.tx_messages,
                s.tx_bytes, s.rx_messages, s.rx_bytes, s.send_failures);
    for (uint32_t i = 0; i < AMP_SHELL_DROP_REASONS; i++) {
        if (s.dropped[i] != 0U) {
            shell_print(sh, "dropped %s: %u", amp_shell_drop_reason(i), s.dropped[i]);
        }
    }
    shell_print(sh, "receive queue full: %u, oversize: %u", s.rx_queue_full, s.rx_oversize);
    shell_print(sh, "latency: %u samples, p50 < %u us, p90 < %u us, p99 < %u us", s.latency_samples,
                s.latency_us[0], s.latency_us[1], s.latency_us[2]);
    if (!s.consistent) {
        shell_warn(sh, "counters changed while they were read; run again for a stable copy");
    }
    return 0;
}

static int cmd_amp_reset(const struct shell* sh, size_t argc, char** argv)
{
    int err;

    ARG_UNUSED(argc);
    ARG_UNUSED(argv);

    err = amp_shell_reset();
    if (err != 0) {
        shell_error(sh, "amp: library not started yet (%d)", err);
        return err;
    }
    shell_print(sh, "amp: link counters reset");
    return 0;
}

SHELL_STATIC_SUBCMD_SET_CREATE(
    amp_cmds, SHELL_CMD(stats, NULL, "Print the role and link counters", cmd_amp_stats),
    SHELL_CMD(reset, NULL, "Reset the link counters", cmd_amp_reset), SHELL_SUBCMD_SET_END);

SHELL_CMD_REGISTER(amp, &amp_cmds, "Dual-core IPC library (amp)", NULL);
