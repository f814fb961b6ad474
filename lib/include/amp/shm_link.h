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
// Before announcing, the remote asks the primary for a fresh session (see
// "Sessions and resets" in amp/shm_layout.h): the primary re-initialises both
// rings and answers; only then does the remote touch them.
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
// Recovery from a peer that resets (a core reset, `kill -9` on the host):
//  - remote restarts: the new remote attaches (with `replaces` when the old
//    one still holds the side) and requests a session; the primary's poll()
//    sees the request, ends the old session (on_unbound() if it was bound,
//    the old ring entries counted in stale_dropped), re-initialises the rings
//    and binds again (on_bound()).
//  - primary restarts: it re-formats the region (new generation); the
//    remote's poll() sees it, ends its session the same way and attaches
//    again by itself, then binds again.
//  - a peer that is gone without a restart (its process died, its heartbeat
//    stopped): the platform or the supervisor calls peer_lost(); the link
//    unbinds and waits for the peer to come back as above.
//  - a remote believed gone that still runs, and whose side another remote
//    took over, stops touching the rings: attached() turns false.
// The link reports each end of a session (counters().resets) and each new
// binding; the layers above restart their own state (sequence numbers,
// handshake, pending requests) on those events.
//
// Everything read from the region is untrusted: each index, length, address
// and name is checked before use. A violation is counted, logged through the
// LogSink and faults the link for good: send() returns Status::faulted,
// poll() does nothing more, the listener's on_unbound() fires. (On the
// remote, a violation seen while the primary is re-formatting the region is
// a reset, not a fault.) The link never reads or writes outside the region.
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
    /// Remote only: attach() also takes over a remote side that is still
    /// held, when the holder's tag equals `replaces` (the host passes the
    /// process id of a remote it checked is dead), or whatever the tag with
    /// kReplaceAny (firmware: a core that has just booted was the holder).
    /// 0: only a free side, or one this link's own `tag` (nonzero) holds.
    uint32_t replaces = 0;
    static constexpr uint32_t kReplaceAny = 0xFFFFFFFFu;
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
    uint32_t resets = 0;      ///< bound sessions ended by a peer reset, re-format or loss
    /// Messages of an ended session that were discarded: the peer's not yet
    /// received, and ours the peer never gave back.
    uint32_t stale_dropped = 0;
    uint32_t sessions = 0;  ///< sessions started (rings initialised for a remote)
    /// Empty messages while bound: a repeated binding answer, or a message
    /// whose length field was zeroed in the shared memory (then it is lost).
    uint32_t rx_empty = 0;
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
    /// and requests a session; poll() announces the endpoint once the
    /// primary answered. Errors: not_found (no valid header yet: retry
    /// later), version_mismatch, invalid_argument (parameters that do not
    /// fit the region; logged), busy (another remote holds the region, or
    /// called on a primary link or while in a session). Called again while
    /// waiting for the primary (after a reset), it moves to `region` (the
    /// platform re-mapped a region the primary re-created elsewhere).
    Status attach(MutableByteSpan region, const ShmLinkConfig& config);

    /// The platform or the supervisor declares the peer gone (its process
    /// died, its heartbeat stopped, Zephyr's unbound event). Ends the
    /// session: on_unbound() if bound, pending ring entries counted as stale.
    /// Primary: stops using the rings until a remote requests a session
    /// (and tells a remote that is still alive to request one). Remote:
    /// requests a new session at once; a primary that restarts re-formats
    /// the region instead, which the remote follows. No effect outside a
    /// session.
    void peer_lost();

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
    /// Between create/attach and the end: not faulted, may be waiting for
    /// the peer (after a reset) or bound.
    bool attached() const { return state_ != State::detached && state_ != State::faulted; }
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
    /// The header generation seen at create/attach (or the last re-attach).
    uint32_t generation() const { return generation_; }

private:
    enum class State : uint8_t {
        detached,     // no region yet
        idle,         // primary: no session; waiting for a remote's request
        waiting,      // primary: rings ready, waiting for the announcement
        answering,    // primary: announcement seen, answer not sent yet (no buffer)
        requesting,   // remote: session requested, waiting for the primary's ack
        reattaching,  // remote: the primary re-formats the region; waiting for its header
        announcing,   // remote: announcement not sent yet (no buffer)
        announced,    // remote: waiting for the answer
        bound,
        closed,
        faulted,
    };

    struct HeaderInfo {
        shm::Layout layout;
        uint32_t generation = 0;
    };

    Status check_name(const char* name, char* out);
    Status read_header(uint8_t* base, size_t size, bool log_errors, HeaderInfo& out);
    bool claim_side(uint8_t* base, uint32_t tag_value, uint32_t replaces, bool reclaim_unowned);
    void use_header(uint8_t* base, const HeaderInfo& h);
    bool in_session() const;
    bool header_changed() const;
    size_t poll_primary_control();
    size_t poll_remote_control();
    void try_reattach();
    void request_session();
    void start_session(uint32_t epoch);
    void end_session(const char* why, bool rings_valid);
    void reset_ring_state();
    Status transmit(uint32_t dst, ByteSpan payload);
    size_t reclaim();
    size_t receive();
    void retry_binding();
    void handle(const rpmsg::Header& hdr, ByteSpan payload);
    void handle_ns(ByteSpan payload);
    void become_bound();
    void set_state_word(shm::SideState s);
    void fail(ShmFault why, const Line& detail);
    bool region_reset_instead();
    void warn(const Line& detail);
    bool in_flight(uint32_t id) const;
    void set_in_flight(uint32_t id, bool on);
    void want_returns(bool on);
    void ring_peer();
    void publish_returns();

    uint8_t* base_ = nullptr;
    size_t region_size_ = 0;
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
    uint32_t tag_ = 0;
    bool header_error_logged_ = false;  // remote: re-attach problems are logged once
    uint32_t refused_generation_ = 0;   // remote: the generation of the header refused last

    // Sessions (see amp/shm_layout.h). Primary: the remote epoch answered
    // last, and its own epoch. Remote: the epoch it requested, and the
    // primary's epoch at that time.
    uint32_t acked_epoch_ = 0;
    uint32_t own_epoch_ = 0;
    uint32_t requested_epoch_ = 0;
    uint32_t primary_epoch_ = 0;

    // The ring this side sends on (this side is its driver).
    uint16_t tx_avail_idx_ = 0;  // next available index to publish
    uint16_t tx_last_used_ = 0;  // used entries taken back so far
    uint32_t free_count_ = 0;
    uint32_t in_flight_count_ = 0;
    bool returns_wanted_ = false;           // our avail.flags lacks kAvailFlagNoInterrupt
    uint16_t free_[shm::kMaxBuffers] = {};  // stack of free buffer ids
    uint32_t in_flight_bits_[shm::kMaxBuffers / 32 + 1] = {};

    // The ring the peer sends on (this side is its device).
    uint16_t rx_last_avail_ = 0;      // available entries consumed so far
    uint16_t rx_used_idx_ = 0;        // next used index to publish
    uint16_t rx_used_published_ = 0;  // the used index the peer sees

    struct Counters {
        std::atomic<uint32_t> tx_messages{0}, tx_bytes{0}, rx_messages{0}, rx_bytes{0},
            no_buffer{0}, too_large{0}, rx_dropped{0}, ns_ignored{0}, doorbells{0}, faults{0},
            resets{0}, stale_dropped{0}, sessions{0}, rx_empty{0};
    };
    Counters counters_;
};

}  // namespace amp
