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

#ifdef __cplusplus
}
#endif

#endif /* OPENAMP_COMMON_H */
