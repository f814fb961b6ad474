#include "amp/channel.h"

#include <array>
#include <cstring>

#include "amp/config.h"
#include "amp/crc32c.h"

namespace amp {

namespace {
constexpr auto kRelease = std::memory_order_release;
constexpr auto kRelaxed = std::memory_order_relaxed;

// A frame laid out as ours (its length field matches) whose CRC-32C does not
// match: it was damaged on the way, most likely in the shared memory.
bool damaged(ByteSpan data)
{
    if (!config::kCrcEnabled || data.size() < kFrameHeaderSize) return false;
    const uint8_t* p = data.data();
    if (load_le16(p + wire_offset::kPayloadLen) != data.size() - kFrameHeaderSize) return false;
    const uint32_t crc = crc32c(crc32c(0, p, wire_offset::kCrc), p + kFrameHeaderSize,
                                data.size() - kFrameHeaderSize);
    return crc != load_le32(p + wire_offset::kCrc);
}
}  // namespace

Channel::Channel(Endpoint& endpoint, const Clock& clock, LogSink* log)
    : endpoint_(endpoint), clock_(clock), log_(log)
{
    endpoint_.set_listener(this);
}

size_t Channel::max_payload() const
{
    const size_t link = endpoint_.max_message_size();
    const size_t room = link > kFrameHeaderSize ? link - kFrameHeaderSize : 0;
    return room < kMaxPayloadSize ? room : kMaxPayloadSize;
}

Status Channel::send(uint8_t type, ByteSpan payload, uint8_t flags, uint32_t correlation)
{
    std::array<uint8_t, kMaxMessageSize> frame;  // NOLINT: filled by transmit()
    return transmit(frame.data(), type, payload, flags, correlation);
}

// Frames `payload` in `frame` (kMaxMessageSize bytes; the payload may be in
// place already, at kFrameHeaderSize) and sends it.
Status Channel::transmit(uint8_t* frame, uint8_t type, ByteSpan payload, uint8_t flags,
                         uint32_t correlation)
{
    Status st = Status::too_large;
    size_t len = 0;
    const State state = this->state();
    if (!is_control_type(type) && state != State::ready) {
        st = state == State::mismatch ? Status::version_mismatch : Status::not_bound;
    } else if (payload.size() <= max_payload()) {
        FrameHeader h;
        h.type = type;
        h.flags = flags;
        h.correlation = correlation;
        h.seq = next_seq_.fetch_add(1, std::memory_order_relaxed);
        st = encode_frame(h, payload, MutableByteSpan{frame, kMaxMessageSize}, len);
        if (st == Status::ok) st = endpoint_.send(ByteSpan{frame, len});
    }
    if (st == Status::ok) {
        stats_.record_sent(len);
    } else {
        stats_.record_send_failure();
    }
    return st;
}

Status Channel::respond(const FrameHeader& request, Status status, ByteSpan body)
{
    if ((request.flags & kFlagRequest) == 0 || (request.flags & kFlagResponse) != 0) {
        return Status::invalid_argument;
    }
    if (body.size() >= kMaxPayloadSize) {
        stats_.record_send_failure();
        return Status::too_large;
    }
    // The status byte and the body go straight where the frame carries them:
    // one frame buffer on the stack, not two.
    std::array<uint8_t, kMaxMessageSize> frame;  // NOLINT: filled here and by transmit()
    uint8_t* const payload = frame.data() + kFrameHeaderSize;
    payload[0] = static_cast<uint8_t>(status);
    if (!body.empty()) std::memcpy(payload + 1, body.data(), body.size());
    return transmit(frame.data(), request.type, ByteSpan{payload, body.size() + 1}, kFlagResponse,
                    request.correlation);
}

void Channel::set_response_sink(ResponseSink sink, void* context)
{
    response_context_ = context;
    response_sink_ = sink;
}

// ---- handshake ----

void Channel::set_protocol(const ProtocolInfo& protocol)
{
    local_version_.store(protocol.version, kRelaxed);
    local_hash_.store(protocol.type_table_hash, kRelaxed);
}

ProtocolInfo Channel::protocol() const
{
    return ProtocolInfo{static_cast<uint16_t>(local_version_.load(kRelaxed)),
                        local_hash_.load(kRelaxed)};
}

ProtocolInfo Channel::peer_protocol() const
{
    return ProtocolInfo{static_cast<uint16_t>(peer_version_.load(kRelaxed)),
                        peer_hash_.load(kRelaxed)};
}

void Channel::poll()
{
    if (!is_bound() || !handshake_pending_.exchange(false, kRelaxed)) return;
    const ProtocolInfo local = protocol();
    const Handshake hs{local.version, peer_seen_.load(kRelaxed) ? Handshake::kSeenPeer : uint8_t{0},
                       0, local.type_table_hash};
    if (send(hs) == Status::no_buffer) handshake_pending_.store(true, kRelaxed);  // retried later
}

Status Channel::on_handshake(const Frame& frame)
{
    // At least the known fields; a later version may append some.
    if (frame.payload.size() < sizeof(Handshake)) return Status::wrong_size;
    Handshake hs;
    std::memcpy(&hs, frame.payload.data(), sizeof hs);
    peer_version_.store(hs.protocol_version, kRelaxed);
    peer_hash_.store(hs.type_table_hash, kRelaxed);
    peer_wire_version_.store(0, kRelaxed);
    // The peer's first handshake of a binding does not have kSeenPeer. One
    // arriving after an earlier one means it re-bound: answer it again.
    const bool restarted =
        peer_seen_.exchange(true, kRelaxed) && (hs.flags & Handshake::kSeenPeer) == 0;
    // After restart() ours may have gone to a peer that is gone: answer the
    // first one of the peer that did not see ours.
    const bool answer =
        answer_peer_.exchange(false, kRelaxed) && (hs.flags & Handshake::kSeenPeer) == 0;
    if (restarted || answer) handshake_pending_.store(true, kRelaxed);
    evaluate_handshake(restarted);
    poll();
    return Status::ok;
}

// A frame with our magic and another header version: the peer's wire format
// is not ours, so its handshake cannot even be decoded. Its version byte (at
// a fixed offset in every version) is enough to name the mismatch.
void Channel::on_foreign_version(ByteSpan data)
{
    peer_wire_version_.store(data[wire_offset::kVersion], kRelaxed);
    peer_seen_.store(true, kRelaxed);
    evaluate_handshake(false);
}

// Decides once both the bind and the peer's announcement are there, and logs
// each new outcome: "protocol agreed: local v1 (hash 0x...), peer v1 (...)"
// or "protocol mismatch: local v1 (hash 0x...), peer v2 (hash 0x...)".
void Channel::evaluate_handshake(bool peer_restarted)
{
    if (!is_bound() || !peer_seen_.load(kRelaxed)) return;
    const ProtocolInfo local = protocol();
    const ProtocolInfo peer = peer_protocol();
    const uint8_t foreign = peer_wire_version_.load(kRelaxed);
    const bool match = foreign == 0 && peer == local;
    const State next = match ? State::ready : State::mismatch;
    if (state_.exchange(next, std::memory_order_acq_rel) == next && !peer_restarted) return;
    if (match) {
        next_seq_.store(0, kRelaxed);
        session_.fetch_add(1, kRelease);
    }
    Line l;
    l << (match ? "protocol agreed: local v" : "protocol mismatch: local v")
      << static_cast<uint32_t>(local.version) << " (hash ";
    l.hex(local.type_table_hash) << "), peer ";
    if (foreign != 0) {
        l << "frame version " << static_cast<uint32_t>(foreign) << " (ours "
          << static_cast<uint32_t>(kProtocolVersion) << ')';
    } else {
        l << 'v' << static_cast<uint32_t>(peer.version) << " (hash ";
        l.hex(peer.type_table_hash) << ')';
    }
    log_line(log_, match ? LogLevel::info : LogLevel::error, l);
    if (match && events_.ready != nullptr) events_.ready(events_.context);
}

// ---- receiving ----

void Channel::drop(Status why, ByteSpan data)
{
    const DropReason reason = drop_reason_for(why);
    stats_.record_drop(reason);
    Line line;
    line << "dropped frame (" << to_string(why) << ", " << static_cast<uint32_t>(data.size())
         << " bytes";
    if (data.size() > wire_offset::kType) {
        line << ", type " << static_cast<uint32_t>(data[wire_offset::kType]);
    }
    line << ')';
    // The likely cause of a damaged frame on one board: the shared region is
    // cached or wrongly attributed on one core (the line fits Line::kCapacity).
    if (why == Status::crc_mismatch || damaged(data)) {
        line << ": IPC memory cached or wrongly attributed? check its MPU attributes";
    }
    log_line(log_, LogLevel::warning, line);
}

Status Channel::deliver(const Frame& frame)
{
    const uint8_t type = frame.header.type;
    if (type == msg::kHandshake) return on_handshake(frame);
    if (!is_control_type(type)) {
        const State state = this->state();
        if (state == State::mismatch) return Status::version_mismatch;
        // The peer's handshake comes before its application frames: one
        // that arrives first was sent before a reset, to an older session.
        if (state != State::ready) return Status::link_reset;
    }
    if ((frame.header.flags & kFlagResponse) != 0 && response_sink_ != nullptr) {
        return response_sink_(response_context_, frame);
    }
    const Status st = dispatcher_.dispatch(frame, this);
    return st == Status::unknown_type && type == msg::kHeartbeat ? Status::ok : st;
}

void Channel::on_received(ByteSpan data)
{
    poll();  // a handshake the link refused goes out first
    Frame frame;
    Status st = decode_frame(data, frame);
    // Another version is believed only from an intact frame: a bit flipped in
    // the version byte of one of ours is damage, not a peer that speaks
    // another wire format (which would end the session).
    if (st == Status::bad_version && !damaged(data)) on_foreign_version(data);
    if (st == Status::ok) {
        st = deliver(frame);
        // A request nobody can serve is answered, so the caller does not wait
        // for its timeout.
        const bool request =
            (frame.header.flags & (kFlagRequest | kFlagResponse)) == kFlagRequest &&
            !is_control_type(frame.header.type);
        if (request && (st == Status::unknown_type || st == Status::wrong_size)) {
            drop(st, data);
            respond(frame.header, st);
            return;
        }
    }
    if (st != Status::ok) {
        drop(st, data);
        return;
    }
    stats_.record_received(data.size());
}

void Channel::restart()
{
    if (!is_bound()) return;
    peer_seen_.store(false, kRelaxed);
    state_.store(State::handshaking, kRelease);
    answer_peer_.store(true, kRelaxed);
    handshake_pending_.store(true, kRelaxed);
    poll();
}

void Channel::on_bound()
{
    // A bind while bound is a re-bind without an unbound event: forget the
    // old peer. (A handshake that arrived before this bind is kept.)
    if (bound_.exchange(true, std::memory_order_acq_rel)) peer_seen_.store(false, kRelaxed);
    state_.store(State::handshaking, kRelease);
    answer_peer_.store(false, kRelaxed);
    handshake_pending_.store(true, kRelaxed);
    if (events_.bound != nullptr) events_.bound(events_.context);
    poll();
    evaluate_handshake(false);
}

void Channel::on_unbound()
{
    bound_.store(false, kRelease);
    state_.store(State::unbound, kRelease);
    peer_seen_.store(false, kRelaxed);
    handshake_pending_.store(false, kRelaxed);
    peer_wire_version_.store(0, kRelaxed);
    if (events_.unbound != nullptr) events_.unbound(events_.context);
}

}  // namespace amp
