// Streams: ordered byte chunks from one core to the other with credit-based
// flow control, several at once over one channel (AMP_CONFIG_MAX_STREAMS).
//
// The sender opens a stream, sends chunks (each up to max_chunk() bytes) and
// ends or aborts it. The receiver grants credits, one per chunk: it grants
// `window` when the stream opens and gives credits back as the application
// consumes chunks, in batches of half a window. Without credit send() returns
// would_block at once (counted as a stall) and sends nothing, so a sender
// never floods the receiver's buffers. Either side may abort with a reason;
// the receiver answers END with its verdict, so each side's `closed` callback
// runs exactly once per stream: ok (ended, totals verified) or the reason.
//
// Wire format: one message type (kStreamType), payload little-endian:
//   offset 0 op, 1 id (1..127, chosen by the sender), 2..3 value, then:
//   kOpen   sender -> receiver  value 0
//   kData   sender -> receiver  value = chunk index (mod 2^16), then the chunk
//   kEnd    sender -> receiver  value 0, then u32 chunks, u32 bytes (totals)
//   kAbort  sender -> receiver  value = reason (an amp::Status)
//   kCredit receiver -> sender  value = credits granted
//   kFin    receiver -> sender  value = ok (END verified) or why it closed
// Everything is validated: a frame of the wrong size or with unknown fields,
// for a stream that is not open, or DATA without credit is dropped and
// counted (the channel counts it too). A duplicated or missing chunk (index
// out of order) is dropped and the stream aborted with Status::faulted. An
// open beyond the receiver's table is refused (FIN table_full). A control
// frame the link refuses (no buffer) is sent again by poll().
//
// Handles: an outgoing stream is named by its id (1..127); an incoming one
// by kIncoming | id. A new session of the channel (the peer reset and the
// handshake ran again) aborts every stream with Status::link_reset, and so
// does reset() (amp::Supervisor calls it when the peer is lost).
//
// Context: all calls and the channel's receive path on one context (one
// thread, or serialised by the platform). Callbacks may call open(), send(),
// abort() and consume().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "amp/amp.h"
#include "amp/channel.h"
#include "amp/config.h"

namespace amp {

inline constexpr uint8_t kStreamType = AMP_MSG_STREAM;

/// Counters of one stream.
struct StreamCounters {
    uint32_t chunks = 0;      ///< chunks sent (outgoing) or delivered (incoming)
    uint32_t bytes = 0;       ///< their bytes
    uint32_t stalls = 0;      ///< outgoing: times send() found no credit and had to wait
    uint32_t elapsed_us = 0;  ///< from open to close (to now while open)

    /// Throughput in bytes per millisecond (= kB/s), 32-bit arithmetic only.
    uint32_t kbytes_per_s() const
    {
        const uint32_t us = elapsed_us != 0 ? elapsed_us : 1;
        if (bytes <= UINT32_MAX / 1000) return bytes * 1000 / us;
        return bytes / (us >= 1000 ? us / 1000 : 1);
    }
};

/// Counters of all streams of one Streams object.
struct StreamTotals {
    uint32_t opened = 0;     ///< streams opened, both directions
    uint32_t ended = 0;      ///< closed with ok
    uint32_t aborted = 0;    ///< closed with another reason
    uint32_t refused = 0;    ///< incoming opens refused: every slot in use
    uint32_t no_credit = 0;  ///< DATA dropped: the sender had no credit
    uint32_t unknown = 0;    ///< frames dropped: no such stream open
    uint32_t disorder = 0;   ///< DATA dropped: duplicate or gap (stream aborted)
    uint32_t malformed = 0;  ///< frames dropped: wrong size, op, id or value
    uint32_t unsent = 0;     ///< control frames lost: refused and no room to retry
};

class Streams {
public:
    static constexpr uint8_t kIncoming = 0x80;  ///< handle bit: a stream the peer sends
    static constexpr uint16_t kMaxWindow = 0x7FFF;
    static constexpr size_t kChunkHeader = 4;

    enum Op : uint8_t { kOpen = 1, kData, kEnd, kAbort, kCredit, kFin };

    struct Events {
        /// Receiver: the next chunk of `handle`, valid during the call. Return
        /// true when it is consumed (its credit goes back), false to keep the
        /// credit until consume(). Null: every chunk is consumed.
        bool (*data)(void* context, uint8_t handle, ByteSpan chunk) = nullptr;
        /// Receiver: the peer opened `handle` (may be null).
        void (*opened)(void* context, uint8_t handle) = nullptr;
        /// Either direction, exactly once per stream: ok, or why it was aborted.
        void (*closed)(void* context, uint8_t handle, Status reason,
                       const StreamCounters& counters) = nullptr;
        void* context = nullptr;
    };

    /// Registers kStreamType on `channel`'s dispatcher (status(): ok or why
    /// not). `window`: credits this side grants per incoming stream, 1..kMaxWindow.
    explicit Streams(Channel& channel, uint16_t window = 8);

    Streams(const Streams&) = delete;
    Streams& operator=(const Streams&) = delete;

    void set_events(const Events& events) { events_ = events; }

    /// Opens an outgoing stream; `handle` receives its handle. It has no
    /// credit until the receiver's first grant. Errors: table_full, and
    /// those of Channel::send() (not_bound, no_buffer, ...).
    Status open(uint8_t& handle);
    /// Sends the next chunk. Errors: would_block (no credit: nothing sent),
    /// not_found (not an open outgoing stream), too_large (over max_chunk()),
    /// and those of Channel::send() (no_buffer: try again).
    Status send(uint8_t handle, ByteSpan chunk);
    /// Sends END with the totals; `closed` follows with the receiver's verdict.
    /// Errors: not_found, and those of Channel::send().
    Status end(uint8_t handle);
    /// Aborts a stream of either direction now (`closed` runs with `reason`)
    /// and tells the peer. Errors: invalid_argument (reason ok), not_found.
    Status abort(uint8_t handle, Status reason);
    /// Receiver: `chunks` kept by the data callback are consumed now.
    /// Errors: not_found, invalid_argument (more than are kept).
    Status consume(uint8_t handle, uint16_t chunks = 1);
    /// Aborts every stream locally with `reason` and forgets pending control
    /// frames (the link was reset: the peer forgot them too).
    void reset(Status reason = Status::link_reset);
    /// Sends control frames the link refused earlier (credits, aborts).
    void poll();

    /// Outgoing: credits left; incoming: credits the sender still holds.
    uint16_t credits(uint8_t handle) const;
    /// Counters of an open stream. Errors: not_found.
    Status counters(uint8_t handle, StreamCounters& out) const;
    StreamTotals totals() const { return totals_; }
    /// Largest chunk send() takes over this channel.
    size_t max_chunk() const;
    Status status() const { return status_; }
    Channel& channel() { return channel_; }

    /// RAM of the tables sized by AMP_CONFIG_MAX_STREAMS.
    static constexpr size_t table_bytes() { return sizeof(slots_) + sizeof(outbox_); }

private:
    struct Slot {
        uint8_t handle = 0;  // 0: free
        bool ending = false;
        bool stalled = false;
        uint16_t index = 0;       // next chunk index to send or to receive
        uint16_t credit = 0;      // see credits()
        uint16_t unreturned = 0;  // incoming: consumed, credit not given back yet
        uint16_t held = 0;        // incoming: delivered, not consumed yet
        StreamCounters c;         // c.elapsed_us: the start time while open
    };
    struct Control {
        uint8_t op;
        uint8_t id;
        uint16_t value;
    };

    static Status on_frame(Dispatcher::AnyFn fn, void* self, const Frame& frame, Channel* channel);
    Status receive(ByteSpan p);
    Status put(uint8_t op, uint8_t id, uint16_t value, ByteSpan tail = {});
    void queue(uint8_t op, uint8_t id, uint16_t value);
    void give_credit(Slot& s);
    void close(Slot& s, Status reason);
    void sync();
    Slot* find(uint8_t handle);
    const Slot* find(uint8_t handle) const;
    Slot* outgoing(uint8_t handle);

    Channel& channel_;
    Events events_;
    std::array<Slot, AMP_CONFIG_MAX_STREAMS> slots_{};
    std::array<Control, AMP_CONFIG_MAX_STREAMS + 1> outbox_{};  // op 0: free
    uint8_t next_id_ = 1;
    uint16_t window_;
    Status status_;
    uint32_t session_;
    StreamTotals totals_;
};

}  // namespace amp
