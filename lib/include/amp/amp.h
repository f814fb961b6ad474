/*
 * C API of the AMP library: what a C application (or the shared header of
 * both cores) needs to run the hello exchange and to build and parse frames.
 *
 * The model is pull-based so that it fits any transport: the application
 * feeds the library the `bound` event and every received message, asks it
 * for the next message to send, sends that message itself (for example with
 * ipc_service_send()), and reads the counters. No call blocks, allocates or
 * prints: log lines go to the callback given at init.
 *
 * Errors are negative errno values; 0 (or a length) means success.
 */
#ifndef AMP_AMP_H
#define AMP_AMP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits and wire constants (must match lib/include/amp/wire.h) ---- */

/** Largest message a link carries: Zephyr static vrings, 512-byte buffers minus
 *  the 16-byte RPMsg header. */
#define AMP_MAX_MESSAGE_SIZE 496u
/** Bytes of the frame header in front of every payload. */
#define AMP_FRAME_HEADER_SIZE 20u
/** Largest payload of one frame. */
#define AMP_MAX_PAYLOAD_SIZE (AMP_MAX_MESSAGE_SIZE - AMP_FRAME_HEADER_SIZE)
/** Frame magic, the first two bytes on the wire: 'A' 'M'. */
#define AMP_FRAME_MAGIC 0x4D41u
/** Protocol version this library speaks. */
#define AMP_PROTOCOL_VERSION 1u

/* Message types (one byte). 0 is never valid. */
#define AMP_MSG_HELLO 0x01u      /**< text: "Hello from CMx, count: N" */
#define AMP_MSG_GOODBYE 0x02u    /**< the primary ends the exchange */
#define AMP_MSG_HANDSHAKE 0x03u  /**< protocol version announcement */
#define AMP_MSG_HEARTBEAT 0x04u  /**< link supervision */
#define AMP_MSG_USER_FIRST 0x80u /**< first type free for applications */

/* Frame flags. Bits not listed are reserved and must be zero. */
#define AMP_FLAG_REQUEST 0x01u
#define AMP_FLAG_RESPONSE 0x02u

/* ---- frames ---- */

typedef struct amp_frame {
    uint8_t version;
    uint8_t type;
    uint8_t flags;
    uint16_t payload_len;
    uint32_t seq;
    uint32_t correlation;
    const uint8_t* payload; /**< points into the buffer given to amp_frame_decode */
} amp_frame_t;

/** Encodes header and payload into `out`. Returns the frame length or
 *  -EINVAL (bad arguments), -EMSGSIZE (payload too large), -ENOBUFS (`cap` too small). */
int amp_frame_encode(uint8_t type, uint8_t flags, uint32_t seq, uint32_t correlation,
                     const void* payload, size_t payload_len, void* out, size_t cap);

/** Validates and decodes a received frame. Returns 0 or -EBADMSG (bad magic,
 *  flags, length or CRC), -EPROTONOSUPPORT (version), -EINVAL (truncated). */
int amp_frame_decode(const void* data, size_t len, amp_frame_t* out);

/* ---- the hello exchange of one core ---- */

typedef enum amp_core { AMP_CORE_CM7 = 0, AMP_CORE_CM4 = 1 } amp_core_t;

typedef enum amp_log_level {
    AMP_LOG_ERROR = 0,
    AMP_LOG_WARNING = 1,
    AMP_LOG_INFO = 2,
    AMP_LOG_DEBUG = 3,
    AMP_LOG_PLAIN = 4 /**< a console line without a log prefix (printk) */
} amp_log_level_t;

typedef void (*amp_log_fn)(void* ctx, amp_log_level_t level, const char* line);

typedef struct amp_counters {
    uint32_t sent;          /**< hello messages sent */
    uint32_t received;      /**< hello messages received */
    uint32_t errors;        /**< protocol errors + dropped frames + failed sends */
    uint32_t tx_bytes;      /**< frame bytes sent */
    uint32_t rx_bytes;      /**< frame bytes received */
    uint32_t send_failures; /**< sends refused by the link (e.g. no buffer) */
    uint32_t dropped;       /**< received frames dropped (any reason) */
} amp_counters_t;

/** Caller-owned storage for one core's library state (no heap). */
#define AMP_INSTANCE_SIZE 2560u
typedef struct amp_instance {
    union {
        uint8_t bytes[AMP_INSTANCE_SIZE];
        uint64_t align_;
        void* align_ptr_;
    } storage;
} amp_instance_t;

typedef struct amp_config {
    amp_core_t core;
    uint32_t count; /**< primary: hellos to send */
    amp_log_fn log; /**< may be NULL */
    void* log_ctx;
    uint32_t (*now_us)(void); /**< microsecond clock for latency; may be NULL */
} amp_config_t;

/** Initialises `inst` for `cfg->core`. Logs "C++ OpenAMP library initialized
 *  for CMx". Returns 0 or -EINVAL. */
int amp_init(amp_instance_t* inst, const amp_config_t* cfg);

/** The endpoint is bound. */
void amp_on_bound(amp_instance_t* inst);

/** A message arrived. Returns 0, or a negative errno when it was dropped
 *  (it is counted either way). */
int amp_on_received(amp_instance_t* inst, const void* data, size_t len);

/** Copies the next message to send into `buf` and returns its length, 0 when
 *  there is nothing to send now, or -ENOBUFS when `cap` is too small. Each
 *  call confirms that the message it returned last time was sent. */
int amp_next_message(amp_instance_t* inst, void* buf, size_t cap);

/** Tells the library that the transport refused the last message from
 *  amp_next_message() with `err` (negative errno): it is counted, and the next
 *  amp_next_message() returns the same message again. */
void amp_send_failed(amp_instance_t* inst, int err);

/** 1 once the exchange is complete (primary: all replies received; remote:
 *  goodbye received), else 0. */
int amp_done(const amp_instance_t* inst);

void amp_get_counters(const amp_instance_t* inst, amp_counters_t* out);

/** Logs "CMx summary: sent N, received N, errors N". */
void amp_log_summary(amp_instance_t* inst);

#ifdef __cplusplus
}
#endif

#endif /* AMP_AMP_H */
