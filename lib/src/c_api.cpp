// The C API: a thin shell over Channel + Role with a pull-based outbox.
#include <array>
#include <cerrno>
#include <cstring>
#include <new>

#include "amp/amp.h"
#include "amp/channel.h"
#include "amp/role.h"
#include "amp/wire.h"

namespace amp {
namespace {

// Messages the library wants sent, waiting for amp_next_message().
class OutboxEndpoint final : public Endpoint {
public:
    static constexpr uint32_t kSlots = 3;

    Status send(ByteSpan data) override
    {
        if (!bound_) return Status::not_bound;
        if (data.size() > kMaxMessageSize) return Status::too_large;
        if (count_ == kSlots) return Status::no_buffer;
        const uint32_t slot = (head_ + count_) % kSlots;
        std::memcpy(slots_[slot].data(), data.data(), data.size());
        lengths_[slot] = static_cast<uint16_t>(data.size());
        ++count_;
        return Status::ok;
    }
    size_t max_message_size() const override { return kMaxMessageSize; }
    bool is_bound() const override { return bound_; }

    void bind() { bound_ = true; }

    // Copies the head into `buf`; it stays queued until the next call.
    int next(void* buf, size_t cap)
    {
        if (offered_) {
            head_ = (head_ + 1) % kSlots;
            --count_;
            offered_ = false;
        }
        if (count_ == 0) return 0;
        if (cap < lengths_[head_]) return -ENOBUFS;
        std::memcpy(buf, slots_[head_].data(), lengths_[head_]);
        offered_ = true;
        return lengths_[head_];
    }
    void refuse_last() { offered_ = false; }

private:
    std::array<std::array<uint8_t, kMaxMessageSize>, kSlots> slots_{};
    std::array<uint16_t, kSlots> lengths_{};
    uint32_t head_ = 0;
    uint32_t count_ = 0;
    bool offered_ = false;
    bool bound_ = false;
};

class FunctionClock final : public Clock {
public:
    explicit FunctionClock(uint32_t (*fn)()) : fn_(fn) {}
    uint32_t now_us() const override { return fn_ != nullptr ? fn_() : 0; }

private:
    uint32_t (*fn_)();
};

class CallbackSink final : public LogSink {
public:
    CallbackSink(amp_log_fn fn, void* ctx) : fn_(fn), ctx_(ctx) {}
    void write(LogLevel level, const char* line) override
    {
        if (fn_ != nullptr) fn_(ctx_, static_cast<amp_log_level_t>(level), line);
    }

private:
    amp_log_fn fn_;
    void* ctx_;
};

struct Instance {
    explicit Instance(const amp_config_t& cfg)
        : clock(cfg.now_us),
          sink(cfg.log, cfg.log_ctx),
          channel(outbox, clock, &sink),
          role(cfg.core == AMP_CORE_CM7 ? CoreId::cm7 : CoreId::cm4, channel,
               RoleConfig{cfg.count, 0, 0})
    {
    }

    OutboxEndpoint outbox;
    FunctionClock clock;
    CallbackSink sink;
    Channel channel;
    Role role;
};

static_assert(sizeof(Instance) <= sizeof(amp_instance_t::storage), "raise AMP_INSTANCE_SIZE");
static_assert(alignof(Instance) <= alignof(amp_instance_t), "amp_instance_t alignment");
static_assert(LogLevel::plain == static_cast<LogLevel>(AMP_LOG_PLAIN), "log levels");
static_assert(AMP_EMPTY_TYPES_HASH == kEmptyTypeTableHash, "empty type table hash");
static_assert(AMP_STATUS_OK == static_cast<unsigned>(Status::ok) &&
                  AMP_STATUS_INVALID_ARGUMENT == static_cast<unsigned>(Status::invalid_argument) &&
                  AMP_STATUS_UNKNOWN_TYPE == static_cast<unsigned>(Status::unknown_type) &&
                  AMP_STATUS_WRONG_SIZE == static_cast<unsigned>(Status::wrong_size) &&
                  AMP_STATUS_BUSY == static_cast<unsigned>(Status::busy) &&
                  AMP_STATUS_NOT_FOUND == static_cast<unsigned>(Status::not_found),
              "AMP_STATUS_* must match amp::Status");

// Hands a frame to a C handler (amp_set_handler) as an amp_frame_t.
Status invoke_c_handler(Dispatcher::AnyFn fn, void* context, const Frame& f, Channel* /*channel*/)
{
    const amp_frame_t frame{f.header.version,     f.header.type, f.header.flags,
                            f.header.payload_len, f.header.seq,  f.header.correlation,
                            f.payload.data()};
    reinterpret_cast<amp_handler_fn>(fn)(context, &frame);
    return Status::ok;
}

Instance* get(amp_instance_t* inst)
{
    // Through void*: the storage's alignment is checked above (-Wcast-align on Arm).
    return std::launder(static_cast<Instance*>(static_cast<void*>(inst->storage.bytes)));
}
const Instance* get(const amp_instance_t* inst)
{
    return std::launder(
        static_cast<const Instance*>(static_cast<const void*>(inst->storage.bytes)));
}

}  // namespace
}  // namespace amp

using amp::get;

extern "C" {

int amp_frame_encode(uint8_t type, uint8_t flags, uint32_t seq, uint32_t correlation,
                     const void* payload, size_t payload_len, void* out, size_t cap)
{
    if (out == nullptr || (payload == nullptr && payload_len != 0)) return -EINVAL;
    amp::FrameHeader h;
    h.type = type;
    h.flags = flags;
    h.seq = seq;
    h.correlation = correlation;
    size_t written = 0;
    const amp::Status st =
        amp::encode_frame(h, amp::ByteSpan{static_cast<const uint8_t*>(payload), payload_len},
                          amp::MutableByteSpan{static_cast<uint8_t*>(out), cap}, written);
    if (st == amp::Status::no_buffer) return -ENOBUFS;
    return st == amp::Status::ok ? static_cast<int>(written) : amp::to_errno(st);
}

int amp_frame_decode(const void* data, size_t len, amp_frame_t* out)
{
    if (data == nullptr || out == nullptr) return -EINVAL;
    amp::Frame f;
    const amp::Status st =
        amp::decode_frame(amp::ByteSpan{static_cast<const uint8_t*>(data), len}, f);
    if (st != amp::Status::ok) return amp::to_errno(st);
    out->version = f.header.version;
    out->type = f.header.type;
    out->flags = f.header.flags;
    out->payload_len = f.header.payload_len;
    out->seq = f.header.seq;
    out->correlation = f.header.correlation;
    out->payload = f.payload.data();
    return 0;
}

int amp_init(amp_instance_t* inst, const amp_config_t* cfg)
{
    if (inst == nullptr || cfg == nullptr ||
        (cfg->core != AMP_CORE_CM7 && cfg->core != AMP_CORE_CM4)) {
        return -EINVAL;
    }
    auto* impl = ::new (static_cast<void*>(inst->storage.bytes)) amp::Instance(*cfg);
    impl->role.start();
    return 0;
}

void amp_on_bound(amp_instance_t* inst)
{
    amp::Instance* impl = get(inst);
    impl->outbox.bind();
    impl->channel.on_bound();
}

void amp_set_protocol(amp_instance_t* inst, uint16_t version, uint32_t type_table_hash)
{
    amp::ProtocolInfo p;
    if (version != 0) p.version = version;
    if (type_table_hash != 0) p.type_table_hash = type_table_hash;
    get(inst)->channel.set_protocol(p);
}

int amp_ready(const amp_instance_t* inst)
{
    const amp::Channel::State st = get(inst)->channel.state();
    if (st == amp::Channel::State::mismatch) return -EPROTONOSUPPORT;
    return st == amp::Channel::State::ready ? 1 : 0;
}

int amp_send(amp_instance_t* inst, uint8_t type, uint8_t flags, uint32_t correlation,
             const void* payload, size_t len)
{
    if (inst == nullptr || (payload == nullptr && len != 0)) return -EINVAL;
    return amp::to_errno(get(inst)->channel.send(
        type, amp::ByteSpan{static_cast<const uint8_t*>(payload), len}, flags, correlation));
}

int amp_set_handler(amp_instance_t* inst, uint8_t type, amp_handler_fn fn, void* ctx)
{
    if (inst == nullptr || type == AMP_MSG_HELLO || type == AMP_MSG_GOODBYE ||
        amp::is_control_type(type)) {
        return -EINVAL;
    }
    amp::Dispatcher& d = get(inst)->channel.dispatcher();
    if (fn == nullptr) return amp::to_errno(d.remove(type));
    return amp::to_errno(d.add_invoker(type, &amp::invoke_c_handler,
                                       reinterpret_cast<amp::Dispatcher::AnyFn>(fn), ctx));
}

int amp_respond(amp_instance_t* inst, const amp_frame_t* request, uint8_t status, const void* body,
                size_t len)
{
    if (inst == nullptr || request == nullptr || (body == nullptr && len != 0) ||
        status >= amp::kStatusCount) {
        return -EINVAL;
    }
    amp::FrameHeader h;
    h.type = request->type;
    h.flags = request->flags;
    h.correlation = request->correlation;
    return amp::to_errno(
        get(inst)->channel.respond(h, static_cast<amp::Status>(status),
                                   amp::ByteSpan{static_cast<const uint8_t*>(body), len}));
}

int amp_status_errno(uint8_t status)
{
    return status < amp::kStatusCount ? amp::to_errno(static_cast<amp::Status>(status)) : -EINVAL;
}

int amp_on_received(amp_instance_t* inst, const void* data, size_t len)
{
    if (data == nullptr && len != 0) return -EINVAL;
    amp::Instance* impl = get(inst);
    const uint32_t dropped_before = impl->channel.stats().snapshot().total_dropped();
    impl->channel.on_received(amp::ByteSpan{static_cast<const uint8_t*>(data), len});
    return impl->channel.stats().snapshot().total_dropped() == dropped_before ? 0 : -EBADMSG;
}

int amp_next_message(amp_instance_t* inst, void* buf, size_t cap)
{
    if (buf == nullptr) return -EINVAL;
    amp::Instance* impl = get(inst);
    impl->role.poll();
    return impl->outbox.next(buf, cap);
}

void amp_send_failed(amp_instance_t* inst, int /*err*/)
{
    amp::Instance* impl = get(inst);
    impl->outbox.refuse_last();
    impl->channel.stats().record_send_failure();
}

int amp_done(const amp_instance_t* inst)
{
    return get(inst)->role.done() ? 1 : 0;
}

void amp_get_counters(const amp_instance_t* inst, amp_counters_t* out)
{
    if (out == nullptr) return;
    const amp::Instance* impl = get(inst);
    const amp::RoleCounters c = impl->role.counters();
    const amp::StatsSnapshot s = impl->channel.stats().snapshot();
    *out = amp_counters_t{c.sent,     c.received,      c.errors,         s.tx_bytes,
                          s.rx_bytes, s.send_failures, s.total_dropped()};
}

void amp_log_summary(amp_instance_t* inst)
{
    get(inst)->role.log_summary();
}

}  // extern "C"
