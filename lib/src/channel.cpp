#include "amp/channel.h"

#include <array>

namespace amp {

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
    Status st = Status::too_large;
    size_t len = 0;
    if (payload.size() <= max_payload()) {
        std::array<uint8_t, kMaxMessageSize> frame;  // NOLINT: filled by encode_frame
        FrameHeader h;
        h.type = type;
        h.flags = flags;
        h.correlation = correlation;
        h.seq = next_seq_.fetch_add(1, std::memory_order_relaxed);
        st = encode_frame(h, payload, frame, len);
        if (st == Status::ok) st = endpoint_.send(ByteSpan{frame.data(), len});
    }
    if (st == Status::ok) {
        stats_.record_sent(len);
    } else {
        stats_.record_send_failure();
    }
    return st;
}

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
    if (why == Status::crc_mismatch) {
        line << ": check that the shared memory is not cached (MPU attributes)";
    }
    log_line(log_, LogLevel::warning, line);
}

void Channel::on_received(ByteSpan data)
{
    Frame frame;
    Status st = decode_frame(data, frame);
    if (st == Status::ok) st = dispatcher_.dispatch(frame);
    if (st != Status::ok) {
        drop(st, data);
        return;
    }
    stats_.record_received(data.size());
}

void Channel::on_bound()
{
    bound_.store(true, std::memory_order_release);
    if (events_.bound != nullptr) events_.bound(events_.context);
}

void Channel::on_unbound()
{
    bound_.store(false, std::memory_order_release);
    if (events_.unbound != nullptr) events_.unbound(events_.context);
}

}  // namespace amp
