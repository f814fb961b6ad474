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
#define AMP_MSG_STREAM 0x05u     /**< streams with credits (amp/stream.h): op, id, value, ... */
#define AMP_MSG_USER_FIRST 0x80u /**< first type free for applications */

/* Frame flags. Bits not listed are reserved and must be zero. */
#define AMP_FLAG_REQUEST 0x01u
#define AMP_FLAG_RESPONSE 0x02u

/* ---- request/response (amp/rpc.h) ----
 * A request is a frame flagged AMP_FLAG_REQUEST with a correlation id the
 * client chose; its response has the same type and correlation id, is flagged
 * AMP_FLAG_RESPONSE, and its payload is one status byte followed by the body.
 * A frame with neither flag is a one-way message. */
#define AMP_IS_REQUEST(flags) \
    (((flags) & (AMP_FLAG_REQUEST | AMP_FLAG_RESPONSE)) == AMP_FLAG_REQUEST)
#define AMP_IS_RESPONSE(flags) (((flags)&AMP_FLAG_RESPONSE) != 0)
/** Bytes in front of a response body: the status. */
#define AMP_RESPONSE_STATUS_SIZE 1u
/* Status bytes (amp::Status values; more in lib/include/amp/status.h). */
#define AMP_STATUS_OK 0u
#define AMP_STATUS_INVALID_ARGUMENT 4u
#define AMP_STATUS_UNKNOWN_TYPE 11u /**< nobody serves this type */
#define AMP_STATUS_WRONG_SIZE 12u   /**< request payload of the wrong length */
#define AMP_STATUS_BUSY 19u
#define AMP_STATUS_NOT_FOUND 20u

/* ---- version handshake (amp/handshake.h) ----
 * Right after binding, each side sends an AMP_MSG_HANDSHAKE frame with its
 * protocol version and the hash of its message-type table; application
 * frames flow only once both agree. */
/** Type-table hash of an application that declares no table. */
#define AMP_EMPTY_TYPES_HASH 0x811C9DC5u

/* ---- the demo services (amp/services.h), the same layouts in C ---- */
#define AMP_MSG_RPC_CHECKSUM 0x80u /**< amp_checksum_request_t -> amp_checksum_reply_t */
#define AMP_MSG_RPC_STATS 0x81u    /**< amp_stats_request_t -> amp_stats_reply_t */
#define AMP_MSG_RPC_DONE 0x82u     /**< one-way amp_rpc_done_t: the sender's calls are over */
#define AMP_RPC_CHECKSUM_CAPACITY 256u
#define AMP_RPC_STATS_DROP_SLOTS 12u
/** Type-table hash of the demo services (both demo images announce it). */
#define AMP_RPC_TYPES_HASH 0x7E32984Fu

/** Checksum request: CRC-32C of data[0..length), length <= capacity. */
typedef struct amp_checksum_request {
    uint32_t length;
    uint8_t data[AMP_RPC_CHECKSUM_CAPACITY];
} amp_checksum_request_t;

typedef struct amp_checksum_reply {
    uint32_t crc32c;
    uint32_t length;
} amp_checksum_reply_t;

/** Statistics request: reserved must be 0. */
typedef struct amp_stats_request {
    uint32_t reserved;
} amp_stats_request_t;

/** The server's link statistics; dropped[] is indexed by amp::DropReason. */
typedef struct amp_stats_reply {
    uint32_t uptime_us;
    uint32_t tx_messages;
    uint32_t tx_bytes;
    uint32_t rx_messages;
    uint32_t rx_bytes;
    uint32_t send_failures;
    uint32_t dropped_total;
    uint32_t dropped[AMP_RPC_STATS_DROP_SLOTS];
    uint32_t latency_samples;
} amp_stats_reply_t;

typedef struct amp_rpc_done {
    uint32_t calls;
    uint32_t failures;
} amp_rpc_done_t;

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

/** What the handshake announces (call before amp_on_bound()): `version`
 *  (0: AMP_PROTOCOL_VERSION) and the hash of the message-type table
 *  (0: AMP_EMPTY_TYPES_HASH; the demo services: AMP_RPC_TYPES_HASH). */
void amp_set_protocol(amp_instance_t* inst, uint16_t version, uint32_t type_table_hash);

/** The endpoint is bound: the handshake frame is queued for amp_next_message(). */
void amp_on_bound(amp_instance_t* inst);

/** 1 once the handshake succeeded (application frames flow), 0 while it is
 *  pending, -EPROTONOSUPPORT when the peer announced another protocol (both
 *  sides log "protocol mismatch: local vX (hash ...), peer vY (hash ...)"). */
int amp_ready(const amp_instance_t* inst);

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

/** Queues an application frame (sent through amp_next_message()). For a
 *  response use amp_respond(). Returns 0 or -ENOTCONN (handshake not done),
 *  -EPROTONOSUPPORT (protocol mismatch), -EMSGSIZE, -ENOMEM (queue full),
 *  -EINVAL. */
int amp_send(amp_instance_t* inst, uint8_t type, uint8_t flags, uint32_t correlation,
             const void* payload, size_t len);

/** Called for each received frame of one type (requests, one-way messages
 *  and responses alike: look at frame->flags). `frame` is valid during the call. */
typedef void (*amp_handler_fn)(void* ctx, const amp_frame_t* frame);

/** Routes frames of `type` (not a hello/goodbye/control type) to `fn`; NULL
 *  removes it. Returns 0 or -EINVAL, -EBUSY (type taken), -ENOSPC (table full). */
int amp_set_handler(amp_instance_t* inst, uint8_t type, amp_handler_fn fn, void* ctx);

/** Answers `request` with `status` (AMP_STATUS_*) and `body`. Returns as amp_send(). */
int amp_respond(amp_instance_t* inst, const amp_frame_t* request, uint8_t status, const void* body,
                size_t len);

/** The negative errno of a response status byte (0 for AMP_STATUS_OK). */
int amp_status_errno(uint8_t status);

/** 1 once the exchange is complete (primary: all replies received; remote:
 *  goodbye received), else 0. */
int amp_done(const amp_instance_t* inst);

void amp_get_counters(const amp_instance_t* inst, amp_counters_t* out);

/** Logs "CMx summary: sent N, received N, errors N, resets N". */
void amp_log_summary(amp_instance_t* inst);

#ifdef __cplusplus
}
#endif

#endif /* AMP_AMP_H */
