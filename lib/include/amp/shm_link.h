// The portable shared-memory link: an Endpoint over a region of memory both
// sides can read and write (POSIX shared memory on the host, OCRAM on the
// board, shared SRAM under QEMU) and a Doorbell. The layout is described in
// amp/shm_layout.h: one virtio split ring per direction, 512-byte buffers by
// default, each message behind a 16-byte RPMsg header (amp/rpmsg.h).
//
// Binding follows Zephyr's IPC service over OpenAMP: the remote announces its
// endpoint name to the name service (address 53); the primary, whose
// endpoint has the same name, answers with an empty message and is bound;
// the remote is bound when that answer arrives.
//
// How a platform drives it (no threads, no OS calls in here):
//   primary:  link.create(region, cfg)              formats the region
//   remote:   link.attach(region, cfg)              until it stops returning not_found
//   both:     on every doorbell from the peer, and now and then: link.poll()
//             (delivers messages to the listener, takes back sent buffers,
//             finishes the binding); link.send() from any callback or loop.
//   idle:     sleep until the doorbell rings; work_pending() tells whether a
//             poll() would find something (re-check it after announcing that
//             you sleep, to close the race with the peer's ring()).
// All calls on one link come from one context at a time (one thread, or
// the interrupt's work item); the platform serialises them if needed.
//
// Everything read from the region is untrusted: each index, length, address
// and name is checked before use. A violation is counted, logged through the
// LogSink and faults the link for good: send() returns Status::faulted,
// poll() does nothing more, the listener's on_unbound() fires. The link never
// reads or writes outside the region.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "amp/doorbell.h"
#include "amp/link.h"
#include "amp/log.h"
#include "amp/rpmsg.h"
#include "amp/shm_layout.h"

namespace amp {

/// Why a link faulted.
enum class ShmFault : uint8_t {
    none,
    region_reset,    ///< header magic or generation changed under the remote
    avail_idx,       ///< available index ran ahead by more than the ring size
    avail_entry,     ///< available ring names a descriptor out of range
    desc_flags,      ///< descriptor with chain/indirect/write flags
    desc_addr,       ///< descriptor address is not one of the sender's buffers
    desc_len,        ///< descriptor length below the RPMsg header or above the buffer
    rpmsg_len,       ///< RPMsg length runs past the descriptor length
    used_idx,        ///< used index ran ahead of the buffers in flight
    used_id,         ///< used entry names a descriptor out of range
    used_not_owned,  ///< used entry returns a buffer that is not in flight
    used_len,        ///< used entry length above the buffer size
    ns_message,      ///< malformed name-service message
    count_
};
const char* to_string(ShmFault f);

struct ShmLinkConfig {
    /// Endpoint (service) name: announced by the remote, expected by the
    /// primary. At most rpmsg::kNameSize - 1 characters.
    const char* name = "amp";
    /// Primary only (the remote reads them from the region header):
    uint32_t buffer_size = shm::kDefaultBufferSize;  ///< RPMsg header included
    uint32_t num_buffers = 0;  ///< per direction; 0: as many as fit (power of two)
    /// Stored in this side's SideBlock::tag before the side becomes visible
    /// (the host stores its process id, so the peer can tell a live side
    /// from one that crashed).
    uint32_t tag = 0;
};

/// The link's own counters (every failure path has one).
struct ShmLinkCounters {
    uint32_t tx_messages = 0;  ///< user messages sent
    uint32_t tx_bytes = 0;
    uint32_t rx_messages = 0;  ///< user messages delivered
    uint32_t rx_bytes = 0;
    uint32_t no_buffer = 0;   ///< sends refused: every buffer in flight
    uint32_t too_large = 0;   ///< sends refused: over max_message_size()
    uint32_t rx_dropped = 0;  ///< messages for an unknown address, or before binding
    uint32_t ns_ignored = 0;  ///< announcements of other names, repeats, on the remote
    uint32_t doorbells = 0;   ///< Doorbell::ring() calls
    uint32_t faults = 0;      ///< validation violations (the first one faults the link)
};

class ShmLink final : public Endpoint {
public:
    /// Local endpoint address (the first address after the reserved ones).
    static constexpr uint32_t kLocalAddress = rpmsg::kFirstEndpointAddress;

    /// `doorbell` rings the peer. `log` may be null.
    ShmLink(shm::Side side, Doorbell& doorbell, LogSink* log);

    ShmLink(const ShmLink&) = delete;
    ShmLink& operator=(const ShmLink&) = delete;

    /// Primary: formats `region` (clears the layout, writes the rings and the
    /// header, bumps the generation) and waits for the remote's announcement.
    /// `region` must be 8-byte aligned. Errors: invalid_argument (bad name,
    /// parameters, alignment, or a region too small; logged), busy (called
    /// twice or on a remote link).
    Status create(MutableByteSpan region, const ShmLinkConfig& config);

    /// Remote: checks the header the primary wrote, claims the remote side
    /// and announces the endpoint. Errors: not_found (no valid header yet:
    /// retry later), version_mismatch, invalid_argument (parameters that do
    /// not fit the region; logged), busy (another remote holds the region,
    /// or called twice or on a primary link).
    Status attach(MutableByteSpan region, const ShmLinkConfig& config);

    /// Does everything pending: takes back buffers the peer returned,
    /// finishes the binding, delivers received messages to the listener and
    /// returns their buffers. Returns the number of ring entries handled.
    /// Re-entrant calls (from a callback) do nothing.
    size_t poll();

    /// True when poll() would find work: new entries in either ring, or a
    /// binding step waiting for a buffer that is now free.
    bool work_pending() const;

    /// Sends a graceful "endpoint destroyed" announcement; the link is
    /// closed afterwards (send returns not_bound). Errors: as send().
    Status close();

    // Endpoint. send() errors: not_bound, too_large, no_buffer (at once, no
    // wait), faulted, invalid_argument (empty message: an empty message is
    // the binding answer, as in Zephyr).
    Status send(ByteSpan data) override;
    /// buffer size minus the RPMsg header (496 by default); 0 before create/attach.
    size_t max_message_size() const override;
    bool is_bound() const override { return state_ == State::bound; }

    shm::Side side() const { return side_; }
    bool faulted() const { return state_ == State::faulted; }
    ShmFault fault() const { return fault_; }
    /// Buffers this side can send into now (not in flight).
    size_t free_buffers() const { return free_count_; }
    /// Buffers per direction (0 before create/attach).
    size_t num_buffers() const { return layout_.num_buffers; }
    const shm::Layout& layout() const { return layout_; }
    ShmLinkCounters counters() const;

    /// The peer's state word and platform tag, as the peer last wrote them.
    shm::SideState peer_state() const;
    uint32_t peer_tag() const;
    /// Stores the platform's tag (e.g. the process id) in this side's block.
    void set_tag(uint32_t tag);
    /// The header generation seen at create/attach.
    uint32_t generation() const { return generation_; }

private:
    enum class State : uint8_t {
        detached,    // no region yet
        waiting,     // primary: waiting for the announcement
        answering,   // primary: announcement seen, answer not sent yet (no buffer)
        announcing,  // remote: announcement not sent yet (no buffer)
        announced,   // remote: waiting for the answer
        bound,
        closed,
        faulted,
    };

    Status check_name(const char* name);
    Status transmit(uint32_t dst, ByteSpan payload);
    size_t reclaim();
    size_t receive();
    void retry_binding();
    void handle(const rpmsg::Header& hdr, ByteSpan payload);
    void handle_ns(ByteSpan payload);
    void become_bound();
    void set_state_word(shm::SideState s);
    void fail(ShmFault why, const Line& detail);
    void warn(const Line& detail);
    bool in_flight(uint32_t id) const;
    void set_in_flight(uint32_t id, bool on);
    void want_returns(bool on);
    void ring_peer();

    uint8_t* base_ = nullptr;
    shm::Side side_;
    Doorbell& doorbell_;
    LogSink* log_;
    shm::Layout layout_{};
    uint32_t mask_ = 0;
    uint32_t generation_ = 0;
    State state_ = State::detached;
    ShmFault fault_ = ShmFault::none;
    char name_[rpmsg::kNameSize] = {};
    uint32_t peer_addr_ = rpmsg::kAddrAny;
    bool polling_ = false;

    // The ring this side sends on (this side is its driver).
    uint16_t tx_avail_idx_ = 0;  // next available index to publish
    uint16_t tx_last_used_ = 0;  // used entries taken back so far
    uint32_t free_count_ = 0;
    uint32_t in_flight_count_ = 0;
    bool returns_wanted_ = false;           // our avail.flags lacks kAvailFlagNoInterrupt
    uint16_t free_[shm::kMaxBuffers] = {};  // stack of free buffer ids
    uint32_t in_flight_bits_[shm::kMaxBuffers / 32 + 1] = {};

    // The ring the peer sends on (this side is its device).
    uint16_t rx_last_avail_ = 0;  // available entries consumed so far
    uint16_t rx_used_idx_ = 0;    // next used index to publish

    struct Counters {
        std::atomic<uint32_t> tx_messages{0}, tx_bytes{0}, rx_messages{0}, rx_bytes{0},
            no_buffer{0}, too_large{0}, rx_dropped{0}, ns_ignored{0}, doorbells{0}, faults{0};
    };
    Counters counters_;
};

}  // namespace amp
