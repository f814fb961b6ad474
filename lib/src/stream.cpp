#include "amp/stream.h"

#include <cstring>

namespace amp {

namespace {
constexpr uint8_t kMaxId = 0x7F;
constexpr size_t kEndSize = Streams::kChunkHeader + 8;
}  // namespace

Streams::Streams(Channel& channel, uint16_t window)
    : channel_(channel),
      window_(window == 0           ? 1
              : window > kMaxWindow ? kMaxWindow
                                    : window),
      status_(channel.dispatcher().add_invoker(
          kStreamType, &Streams::on_frame, reinterpret_cast<Dispatcher::AnyFn>(&Streams::on_frame),
          this)),
      session_(channel.session())
{
}

size_t Streams::max_chunk() const
{
    const size_t room = channel_.max_payload();
    return room > kChunkHeader ? room - kChunkHeader : 0;
}

// find(0) is a free slot; handles from the application are checked first.
Streams::Slot* Streams::find(uint8_t handle)
{
    for (Slot& s : slots_) {
        if (s.handle == handle) return &s;
    }
    return nullptr;
}

const Streams::Slot* Streams::find(uint8_t handle) const
{
    return handle != 0 ? const_cast<Streams*>(this)->find(handle) : nullptr;
}

Streams::Slot* Streams::outgoing(uint8_t handle)
{
    return handle != 0 && handle <= kMaxId ? find(handle) : nullptr;
}

// Frames `op id value tail` and sends it.
Status Streams::put(uint8_t op, uint8_t id, uint16_t value, ByteSpan tail)
{
    std::array<uint8_t, kMaxPayloadSize> p;  // NOLINT: filled below
    if (tail.size() > p.size() - kChunkHeader) return Status::too_large;
    p[0] = op;
    p[1] = id;
    store_le16(&p[2], value);
    if (!tail.empty()) std::memcpy(&p[kChunkHeader], tail.data(), tail.size());
    return channel_.send(kStreamType, ByteSpan{p.data(), kChunkHeader + tail.size()});
}

// A control frame that must reach the peer: kept for poll() if the link
// has no buffer now. Anything else (not_bound) means the session is over.
// Each one closes a different stream, so their order does not matter.
void Streams::queue(uint8_t op, uint8_t id, uint16_t value)
{
    if (put(op, id, value) != Status::no_buffer) return;
    for (Control& c : outbox_) {
        if (c.op == 0) {
            c = Control{op, id, value};
            return;
        }
    }
    ++totals_.unsent;
}

void Streams::poll()
{
    sync();
    for (Control& c : outbox_) {
        if (c.op == 0) continue;
        if (put(c.op, c.id, c.value) == Status::no_buffer) break;
        c.op = 0;
    }
    for (Slot& s : slots_) {
        if ((s.handle & kIncoming) != 0) give_credit(s);
    }
}

// Gives consumed credits back once half a window is due (all of them at open).
void Streams::give_credit(Slot& s)
{
    if (s.unreturned < (window_ + 1) / 2) return;
    if (put(kCredit, s.handle & kMaxId, s.unreturned) == Status::ok) {
        s.credit = static_cast<uint16_t>(s.credit + s.unreturned);
        s.unreturned = 0;
    }
}

void Streams::close(Slot& s, Status reason)
{
    const uint8_t handle = s.handle;
    StreamCounters c = s.c;
    c.elapsed_us = elapsed_us(s.c.elapsed_us, channel_.clock().now_us());
    s = Slot{};  // free before the callback: it may open another stream
    ++(reason == Status::ok ? totals_.ended : totals_.aborted);
    if (events_.closed != nullptr) events_.closed(events_.context, handle, reason, c);
}

void Streams::reset(Status reason)
{
    outbox_ = {};
    // Only the streams open now: a callback may open new ones meanwhile.
    std::array<uint8_t, AMP_CONFIG_MAX_STREAMS> open{};
    for (size_t i = 0; i < open.size(); ++i) open[i] = slots_[i].handle;
    for (size_t i = 0; i < open.size(); ++i) {
        if (open[i] != 0 && slots_[i].handle == open[i]) close(slots_[i], reason);
    }
}

// A new session of the channel: nothing of the old one survives.
void Streams::sync()
{
    const uint32_t now = channel_.session();
    if (now == session_) return;
    session_ = now;
    reset(Status::link_reset);
}

// ---- sender ----

Status Streams::open(uint8_t& handle)
{
    sync();
    Slot* s = find(0);
    if (s == nullptr) return Status::table_full;
    uint8_t id = next_id_;
    while (find(id) != nullptr) id = static_cast<uint8_t>(id % kMaxId + 1);
    const Status st = put(kOpen, id, 0);
    if (st != Status::ok) return st;
    next_id_ = static_cast<uint8_t>(id % kMaxId + 1);
    *s = Slot{};
    s->handle = id;
    s->c.elapsed_us = channel_.clock().now_us();
    ++totals_.opened;
    handle = id;
    return Status::ok;
}

Status Streams::send(uint8_t handle, ByteSpan chunk)
{
    sync();
    Slot* s = outgoing(handle);
    if (s == nullptr || s->ending) return Status::not_found;
    if (chunk.size() > max_chunk()) return Status::too_large;
    if (s->credit == 0) {
        if (!s->stalled) ++s->c.stalls;
        s->stalled = true;
        return Status::would_block;
    }
    const Status st = put(kData, handle, s->index, chunk);
    if (st == Status::ok) {
        --s->credit;
        ++s->index;
        ++s->c.chunks;
        s->c.bytes += static_cast<uint32_t>(chunk.size());
    }
    return st;
}

Status Streams::end(uint8_t handle)
{
    sync();
    Slot* s = outgoing(handle);
    if (s == nullptr || s->ending) return Status::not_found;
    uint8_t totals[8];
    store_le32(&totals[0], s->c.chunks);
    store_le32(&totals[4], s->c.bytes);
    const Status st = put(kEnd, handle, 0, ByteSpan{totals, sizeof totals});
    s->ending = st == Status::ok;
    return st;
}

Status Streams::abort(uint8_t handle, Status reason)
{
    sync();
    if (reason == Status::ok || reason >= Status::count_) return Status::invalid_argument;
    Slot* s = (handle & kMaxId) != 0 ? find(handle) : nullptr;
    if (s == nullptr) return Status::not_found;
    queue((handle & kIncoming) != 0 ? kFin : kAbort, handle & kMaxId,
          static_cast<uint16_t>(reason));
    close(*s, reason);
    return Status::ok;
}

// ---- receiver ----

Status Streams::consume(uint8_t handle, uint16_t chunks)
{
    sync();
    Slot* s = handle > kIncoming ? find(handle) : nullptr;
    if (s == nullptr) return Status::not_found;
    if (chunks > s->held) return Status::invalid_argument;
    s->held = static_cast<uint16_t>(s->held - chunks);
    s->unreturned = static_cast<uint16_t>(s->unreturned + chunks);
    give_credit(*s);
    return Status::ok;
}

Status Streams::on_frame(Dispatcher::AnyFn /*fn*/, void* self, const Frame& frame,
                         Channel* /*channel*/)
{
    return static_cast<Streams*>(self)->receive(frame.payload);
}

Status Streams::receive(ByteSpan p)
{
    sync();
    // Payload size of each op (0: DATA, the header and any chunk).
    static constexpr uint8_t kSize[] = {0, kChunkHeader, 0, kEndSize, 4, 4, 4};
    const uint8_t op = p.size() >= kChunkHeader && p[0] <= kFin ? p[0] : 0;
    const uint8_t id = op != 0 ? p[1] : 0;
    const uint16_t value = op != 0 ? load_le16(&p[2]) : 0;
    if (id == 0 || id > kMaxId || (kSize[op] != 0 && p.size() != kSize[op]) ||
        ((op == kOpen || op == kEnd) && value != 0)) {
        ++totals_.malformed;
        return Status::invalid_argument;
    }
    // Ops up to kAbort travel from the sender: the stream is incoming here.
    const uint8_t handle = op <= kAbort ? id | kIncoming : id;
    Slot* s = find(handle);
    if (op == kOpen) {
        if (s != nullptr) {  // already open: not from a sane sender
            ++totals_.malformed;
            return Status::invalid_argument;
        }
        s = find(0);
        if (s == nullptr) {
            ++totals_.refused;
            queue(kFin, id, static_cast<uint16_t>(Status::table_full));
            return Status::ok;
        }
        *s = Slot{};
        s->handle = handle;
        s->c.elapsed_us = channel_.clock().now_us();
        s->unreturned = window_;
        ++totals_.opened;
        if (events_.opened != nullptr) events_.opened(events_.context, handle);
        if (s->handle == handle) give_credit(*s);  // unless the callback aborted it
        return Status::ok;
    }
    if (s == nullptr) {
        ++totals_.unknown;
        return Status::not_found;
    }
    if (op == kData) {
        if (s->credit == 0) {
            ++totals_.no_credit;
            return Status::would_block;
        }
        if (value != s->index) {  // a duplicate or a gap: the stream cannot continue
            ++totals_.disorder;
            abort(handle, Status::faulted);
            return Status::faulted;
        }
        const ByteSpan chunk = p.subspan(kChunkHeader);
        --s->credit;
        ++s->index;
        ++s->c.chunks;
        s->c.bytes += static_cast<uint32_t>(chunk.size());
        const bool consumed =
            events_.data == nullptr || events_.data(events_.context, handle, chunk);
        if (s->handle != handle) return Status::ok;  // closed by the callback
        ++(consumed ? s->unreturned : s->held);
        give_credit(*s);
        return Status::ok;
    }
    if (op == kCredit) {
        if (s->credit + value > kMaxWindow) {
            ++totals_.malformed;
            return Status::invalid_argument;
        }
        s->credit = static_cast<uint16_t>(s->credit + value);
        s->stalled = false;
        return Status::ok;
    }
    // END, ABORT or FIN: the stream closes.
    Status reason =
        value != 0 && value < kStatusCount ? static_cast<Status>(value) : Status::faulted;
    if (op == kEnd) {
        const bool match = load_le32(&p[4]) == s->c.chunks && load_le32(&p[8]) == s->c.bytes;
        reason = match ? Status::ok : Status::bad_length;
        queue(kFin, id, static_cast<uint16_t>(reason));
    } else if (op == kFin && value == 0 && s->ending) {
        reason = Status::ok;  // the receiver verified our END
    }
    close(*s, reason);
    return Status::ok;
}

uint16_t Streams::credits(uint8_t handle) const
{
    const Slot* s = find(handle);
    return s != nullptr ? s->credit : 0;
}

Status Streams::counters(uint8_t handle, StreamCounters& out) const
{
    const Slot* s = find(handle);
    if (s == nullptr) return Status::not_found;
    out = s->c;
    out.elapsed_us = elapsed_us(s->c.elapsed_us, channel_.clock().now_us());
    return Status::ok;
}

}  // namespace amp
