/*
 * Definitions shared by the CM7 and CM4 images of the open_amp_cpp sample,
 * and the library's C API.
 */
#ifndef OPENAMP_COMMON_H
#define OPENAMP_COMMON_H

#include "amp/amp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Name of the endpoint both cores register; binding matches on it. */
#define OPENAMP_ENDPOINT_NAME "ep0"

/** Hello messages the CM7 sends before it prints its summary. */
#define OPENAMP_HELLO_COUNT 10u

/** How long each core waits for the endpoint to bind, in milliseconds. */
#define OPENAMP_BIND_TIMEOUT_MS 5000u

/** Largest message either core sends (one static-vrings buffer minus the
 *  RPMsg header). */
#define OPENAMP_MAX_MESSAGE_SIZE AMP_MAX_MESSAGE_SIZE

/** How long each core runs its scenario after binding before it gives up,
 *  in milliseconds (the hello exchange itself takes a few milliseconds). */
#define OPENAMP_RUN_TIMEOUT_MS 10000u

/** Longest wait for a message before the roles are polled again, in ms. */
#define OPENAMP_POLL_INTERVAL_MS 10u

/** Received messages the IPC callback can queue for the application thread. */
#define OPENAMP_RX_QUEUE_DEPTH 8u

/** After its hellos, the CM7 calls the CM4's demo services (amp/services.h)
 *  this many times, alternating checksum and stats, each with this timeout. */
#define OPENAMP_RPC_CALLS 6u
#define OPENAMP_RPC_TIMEOUT_MS 100u

/** Bytes of the stream transfer CM7 -> CM4 (amp/stream_scenario.h); both
 *  images must agree. */
#define OPENAMP_STREAM_BYTES 65536u

/** Heartbeat period of the supervisor (amp/supervisor.h); the peer is lost
 *  after three periods without a frame. */
#define OPENAMP_HEARTBEAT_MS 100u

#ifdef __cplusplus
}
#endif

#endif /* OPENAMP_COMMON_H */
