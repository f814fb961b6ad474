/*
 * What the `amp stats` and `amp reset` shell commands see of the library.
 *
 * The shell commands are registered in C (src/amp_shell.c, with Zephyr's
 * shell macros); the C++ glue (src/amp_shell_glue.cpp) fills this plain
 * snapshot from the channel, the role and the endpoint that main() attached.
 */
#ifndef AMP_SHELL_H
#define AMP_SHELL_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Reasons a received frame is dropped (amp::DropReason, in that order). */
#define AMP_SHELL_DROP_REASONS 10u
/** Latency percentiles reported: p50, p90, p99. */
#define AMP_SHELL_PERCENTILES 3u

struct amp_shell_snapshot {
    const char* core;     /**< "CM7" or "CM4" */
    bool bound;           /**< the IPC endpoint is bound */
    bool ready;           /**< the version handshake completed */
    uint32_t sent;        /**< hello messages sent */
    uint32_t received;    /**< hello messages received */
    uint32_t errors;      /**< protocol errors + dropped frames + failed sends */
    uint32_t tx_messages; /**< frames sent */
    uint32_t tx_bytes;
    uint32_t rx_messages; /**< frames received and dispatched */
    uint32_t rx_bytes;
    uint32_t send_failures; /**< sends the link refused (e.g. no buffer) */
    uint32_t dropped[AMP_SHELL_DROP_REASONS];
    uint32_t latency_samples;
    uint32_t latency_us[AMP_SHELL_PERCENTILES]; /**< upper bounds of p50, p90, p99 */
    uint32_t rx_queue_full;                     /**< messages lost: the receive queue was full */
    uint32_t rx_oversize;                       /**< messages longer than a frame, dropped */
    bool consistent;                            /**< false when writers kept racing the copy */
};

/** Fills `out`. Returns 0, or -ENODEV before main() attached the library. */
int amp_shell_get_snapshot(struct amp_shell_snapshot* out);

/** Name of drop reason `i` ("crc_mismatch", ...). */
const char* amp_shell_drop_reason(uint32_t i);

/** Resets the link counters (frames, drops, latency, receive queue).
 *  Returns 0, or -ENODEV before main() attached the library. */
int amp_shell_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* AMP_SHELL_H */
