/* The C API, used from C: frame encode/decode and the hello exchange between
 * two instances, with messages carried by hand as a C application would. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "amp/amp.h"

static int failures;
static int checks;

#define CHECK(cond)                                                     \
    do {                                                                \
        ++checks;                                                       \
        if (!(cond)) {                                                  \
            ++failures;                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,      \
                    __LINE__, #cond);                                   \
        }                                                               \
    } while (0)

static char last_line[160];
static int summary_lines;

static void log_cb(void *ctx, amp_log_level_t level, const char *line)
{
    (void)ctx;
    (void)level;
    snprintf(last_line, sizeof last_line, "%s", line);
    if (strstr(line, "summary: sent 10, received 10, errors 0") != NULL) ++summary_lines;
}

static uint32_t fake_now;
static uint32_t now_us(void) { return fake_now += 5; }

static void test_frames(void)
{
    uint8_t buf[AMP_MAX_MESSAGE_SIZE];
    const char payload[] = "abc";
    int n = amp_frame_encode(0x81, AMP_FLAG_REQUEST, 5, 77, payload, 3, buf, sizeof buf);
    CHECK(n == (int)(AMP_FRAME_HEADER_SIZE + 3));
    amp_frame_t f;
    CHECK(amp_frame_decode(buf, (size_t)n, &f) == 0);
    CHECK(f.type == 0x81 && f.flags == AMP_FLAG_REQUEST && f.seq == 5 && f.correlation == 77);
    CHECK(f.payload_len == 3 && memcmp(f.payload, "abc", 3) == 0);

    buf[n - 1] ^= 1;
    CHECK(amp_frame_decode(buf, (size_t)n, &f) == -EBADMSG);
    CHECK(amp_frame_decode(buf, 3, &f) == -EINVAL);
    buf[2] = 9;
    CHECK(amp_frame_decode(buf, (size_t)n, &f) == -EPROTONOSUPPORT);

    static uint8_t big[AMP_MAX_PAYLOAD_SIZE + 1];
    CHECK(amp_frame_encode(1, 0, 0, 0, big, sizeof big, buf, sizeof buf) == -EMSGSIZE);
    CHECK(amp_frame_encode(1, 0, 0, 0, big, 10, buf, 12) == -ENOBUFS);
    CHECK(amp_frame_encode(1, 0, 0, 0, NULL, 1, buf, sizeof buf) == -EINVAL);
}

/* Moves every pending message from `from` to `to`; returns how many. */
static int carry(amp_instance_t *from, amp_instance_t *to)
{
    uint8_t buf[AMP_MAX_MESSAGE_SIZE];
    int moved = 0;
    int n;
    while ((n = amp_next_message(from, buf, sizeof buf)) > 0) {
        CHECK(amp_on_received(to, buf, (size_t)n) == 0);
        ++moved;
    }
    CHECK(n == 0);
    return moved;
}

static void test_exchange(void)
{
    static amp_instance_t cm7, cm4;
    amp_config_t c7 = {AMP_CORE_CM7, 10, log_cb, NULL, now_us};
    amp_config_t c4 = {AMP_CORE_CM4, 0, log_cb, NULL, now_us};
    CHECK(amp_init(&cm7, &c7) == 0);
    CHECK(strcmp(last_line, "C++ OpenAMP library initialized for CM7") == 0);
    CHECK(amp_init(&cm4, &c4) == 0);
    CHECK(amp_init(NULL, &c4) == -EINVAL);

    uint8_t buf[AMP_MAX_MESSAGE_SIZE];
    CHECK(amp_next_message(&cm7, buf, sizeof buf) == 0); /* not bound yet */
    amp_on_bound(&cm7);
    amp_on_bound(&cm4);

    /* The version handshake: each side's first message. */
    CHECK(amp_ready(&cm7) == 0);
    CHECK(carry(&cm7, &cm4) == 1);
    CHECK(carry(&cm4, &cm7) == 1);
    CHECK(amp_ready(&cm7) == 1 && amp_ready(&cm4) == 1);

    /* A refused send is offered again. */
    int n = amp_next_message(&cm7, buf, sizeof buf);
    CHECK(n == (int)(AMP_FRAME_HEADER_SIZE + 24));
    amp_send_failed(&cm7, -ENOMEM);
    CHECK(amp_next_message(&cm7, buf, 4) == -ENOBUFS);
    CHECK(amp_next_message(&cm7, buf, sizeof buf) == n);
    CHECK(amp_on_received(&cm4, buf, (size_t)n) == 0);

    for (int round = 0; round < 100 && !(amp_done(&cm7) && amp_done(&cm4)); ++round) {
        carry(&cm4, &cm7);
        carry(&cm7, &cm4);
    }
    CHECK(amp_done(&cm7) == 1);
    CHECK(amp_done(&cm4) == 1);

    amp_counters_t k7, k4;
    amp_get_counters(&cm7, &k7);
    amp_get_counters(&cm4, &k4);
    CHECK(k7.sent == 10 && k7.received == 10);
    CHECK(k4.sent == 10 && k4.received == 10);
    CHECK(k7.send_failures == 1); /* the refused send above */
    CHECK(k7.errors == 1);
    CHECK(k4.errors == 0 && k4.dropped == 0);
    CHECK(k7.tx_bytes == k4.rx_bytes);

    /* Garbage is refused and counted. */
    CHECK(amp_on_received(&cm4, "junk", 4) == -EBADMSG);
    amp_get_counters(&cm4, &k4);
    CHECK(k4.dropped == 1 && k4.errors == 1);

    summary_lines = 0;
    amp_log_summary(&cm4);
    CHECK(strcmp(last_line, "CM4 summary: sent 10, received 10, errors 1, resets 0") == 0);
}

/* Both sides announce different protocol versions: nothing but the
 * handshake flows, and both log the two versions. */
static void test_mismatch(void)
{
    static amp_instance_t cm7, cm4;
    amp_config_t c7 = {AMP_CORE_CM7, 10, log_cb, NULL, now_us};
    amp_config_t c4 = {AMP_CORE_CM4, 0, log_cb, NULL, now_us};
    CHECK(amp_init(&cm7, &c7) == 0);
    CHECK(amp_init(&cm4, &c4) == 0);
    amp_set_protocol(&cm4, 2, 0);
    amp_on_bound(&cm7);
    amp_on_bound(&cm4);
    carry(&cm7, &cm4);
    CHECK(strstr(last_line, "protocol mismatch: local v2 (hash 0x811c9dc5), peer v1") != NULL);
    carry(&cm4, &cm7);
    CHECK(strstr(last_line, "protocol mismatch: local v1 (hash 0x811c9dc5), peer v2") != NULL);
    CHECK(amp_ready(&cm7) == -EPROTONOSUPPORT && amp_ready(&cm4) == -EPROTONOSUPPORT);
    uint8_t buf[AMP_MAX_MESSAGE_SIZE];
    CHECK(amp_next_message(&cm7, buf, sizeof buf) == 0); /* no hello */
    CHECK(amp_send(&cm4, 0x90, 0, 0, "x", 1) == -EPROTONOSUPPORT);
}

/* A C server and a C client of the demo checksum service. */
struct server_ctx {
    amp_instance_t* inst;
    int served;
};

static void serve_checksum(void* ctx, const amp_frame_t* frame)
{
    struct server_ctx* s = (struct server_ctx*)ctx;
    amp_checksum_request_t req;
    amp_checksum_reply_t reply;
    CHECK(AMP_IS_REQUEST(frame->flags));
    if (frame->payload_len != sizeof req) {
        CHECK(amp_respond(s->inst, frame, AMP_STATUS_WRONG_SIZE, NULL, 0) == 0);
        return;
    }
    memcpy(&req, frame->payload, sizeof req);
    if (req.length > AMP_RPC_CHECKSUM_CAPACITY) {
        CHECK(amp_respond(s->inst, frame, AMP_STATUS_INVALID_ARGUMENT, NULL, 0) == 0);
        return;
    }
    reply.crc32c = 0xE3069283u; /* crc32c("123456789"), the only input used below */
    reply.length = req.length;
    CHECK(amp_respond(s->inst, frame, AMP_STATUS_OK, &reply, sizeof reply) == 0);
    ++s->served;
}

struct client_ctx {
    uint32_t correlation;
    int status;
    amp_checksum_reply_t reply;
    int responses;
};

static void on_checksum_response(void* ctx, const amp_frame_t* frame)
{
    struct client_ctx* c = (struct client_ctx*)ctx;
    CHECK(AMP_IS_RESPONSE(frame->flags));
    CHECK(frame->correlation == c->correlation);
    CHECK(frame->payload_len >= AMP_RESPONSE_STATUS_SIZE);
    c->status = amp_status_errno(frame->payload[0]);
    if (c->status == 0 && frame->payload_len == AMP_RESPONSE_STATUS_SIZE + sizeof c->reply) {
        memcpy(&c->reply, frame->payload + AMP_RESPONSE_STATUS_SIZE, sizeof c->reply);
    }
    ++c->responses;
}

static void test_request_response(void)
{
    static amp_instance_t cm7, cm4;
    amp_config_t c7 = {AMP_CORE_CM7, 0, log_cb, NULL, now_us};
    amp_config_t c4 = {AMP_CORE_CM4, 0, log_cb, NULL, now_us};
    CHECK(amp_init(&cm7, &c7) == 0);
    CHECK(amp_init(&cm4, &c4) == 0);
    amp_set_protocol(&cm7, 0, AMP_RPC_TYPES_HASH);
    amp_set_protocol(&cm4, 0, AMP_RPC_TYPES_HASH);

    struct server_ctx server = {&cm4, 0};
    struct client_ctx client;
    memset(&client, 0, sizeof client);
    CHECK(amp_set_handler(&cm4, AMP_MSG_RPC_CHECKSUM, serve_checksum, &server) == 0);
    CHECK(amp_set_handler(&cm7, AMP_MSG_RPC_CHECKSUM, on_checksum_response, &client) == 0);
    CHECK(amp_set_handler(&cm7, AMP_MSG_RPC_CHECKSUM, on_checksum_response, &client) == -EBUSY);
    CHECK(amp_set_handler(&cm7, AMP_MSG_HANDSHAKE, on_checksum_response, &client) == -EINVAL);

    static amp_checksum_request_t req;
    req.length = 9;
    memcpy(req.data, "123456789", 9);
    CHECK(amp_send(&cm7, AMP_MSG_RPC_CHECKSUM, AMP_FLAG_REQUEST, 1, &req, sizeof req) == -ENOTCONN);

    amp_on_bound(&cm7);
    amp_on_bound(&cm4);
    carry(&cm7, &cm4);
    carry(&cm4, &cm7);
    CHECK(amp_ready(&cm7) == 1 && amp_ready(&cm4) == 1);

    client.correlation = 7;
    CHECK(amp_send(&cm7, AMP_MSG_RPC_CHECKSUM, AMP_FLAG_REQUEST, 7, &req, sizeof req) == 0);
    carry(&cm7, &cm4);
    carry(&cm4, &cm7);
    CHECK(server.served == 1 && client.responses == 1);
    CHECK(client.status == 0);
    CHECK(client.reply.crc32c == 0xE3069283u && client.reply.length == 9);

    /* An error status, then a request of the wrong size. */
    req.length = AMP_RPC_CHECKSUM_CAPACITY + 1;
    client.correlation = 8;
    CHECK(amp_send(&cm7, AMP_MSG_RPC_CHECKSUM, AMP_FLAG_REQUEST, 8, &req, sizeof req) == 0);
    carry(&cm7, &cm4);
    carry(&cm4, &cm7);
    CHECK(client.responses == 2 && client.status == -EINVAL);
    client.correlation = 9;
    CHECK(amp_send(&cm7, AMP_MSG_RPC_CHECKSUM, AMP_FLAG_REQUEST, 9, &req, 4) == 0);
    carry(&cm7, &cm4); /* a C handler gets any length: the server above checks it */
    carry(&cm4, &cm7);
    CHECK(client.responses == 3 && client.status == -EBADMSG);

    /* A request for a type nobody serves is answered by the library. */
    CHECK(amp_set_handler(&cm7, 0x90, on_checksum_response, &client) == 0);
    client.correlation = 10;
    CHECK(amp_send(&cm7, 0x90, AMP_FLAG_REQUEST, 10, NULL, 0) == 0);
    uint8_t buf[AMP_MAX_MESSAGE_SIZE];
    int n = amp_next_message(&cm7, buf, sizeof buf);
    CHECK(amp_on_received(&cm4, buf, (size_t)n) == -EBADMSG); /* dropped and counted */
    n = amp_next_message(&cm4, buf, sizeof buf);
    CHECK(n == (int)(AMP_FRAME_HEADER_SIZE + AMP_RESPONSE_STATUS_SIZE));
    CHECK(amp_on_received(&cm7, buf, (size_t)n) == 0);
    CHECK(client.responses == 4 && client.status == -ENOMSG);
    CHECK(amp_set_handler(&cm7, 0x90, NULL, NULL) == 0);
    CHECK(amp_set_handler(&cm7, 0x90, NULL, NULL) == -ENOENT);
}

int main(void)
{
    test_frames();
    test_exchange();
    test_mismatch();
    test_request_response();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
