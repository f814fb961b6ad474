#include "amp/role.h"

#include <array>
#include <cstring>

namespace amp {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// "Hello from CM7, count: " — the prefix both cores use.
size_t write_prefix(CoreId core, uint8_t* out)
{
    Line l;
    l << "Hello from " << core_name(core) << ", count: ";
    std::memcpy(out, l.c_str(), l.size());
    return l.size();
}

// Padding byte `i` of hello `count`: a pattern the receiver re-computes.
uint8_t pad_byte(uint32_t count, size_t i)
{
    return static_cast<uint8_t>((size_t{count} * 31u + i) & 0xFFu);
}

}  // namespace

const char* core_name(CoreId core)
{
    return core == CoreId::cm7 ? "CM7" : "CM4";
}

Role::Role(CoreId core, Channel& channel, const RoleConfig& config)
    : core_(core), channel_(channel), config_(config)
{
    channel_.dispatcher().add(msg::kHello, &Role::on_hello, this);
    channel_.dispatcher().add(msg::kGoodbye, &Role::on_goodbye, this);
}

void Role::start()
{
    Line l;
    l << "C++ OpenAMP library initialized for " << core_name(core_);
    log_line(channel_.log(), LogLevel::plain, l);
    next_due_us_ = channel_.clock().now_us();
    if (core_ == CoreId::cm7 && config_.count == 0) {
        goodbye_pending_.store(true, std::memory_order_release);
        hellos_done_.store(true, std::memory_order_release);
    }
}

Status Role::send_hello(uint32_t count)
{
    std::array<uint8_t, kMaxPayloadSize> payload{};
    size_t len = write_prefix(core_, payload.data());
    Line digits;
    digits << count;
    std::memcpy(payload.data() + len, digits.c_str(), digits.size());
    len += digits.size();
    const size_t text_len = len;
    const size_t limit = channel_.max_payload();
    const size_t want = config_.payload_size < limit ? config_.payload_size : limit;
    if (want > len) {
        payload[len++] = 0;  // text terminator, then a checkable pattern
        for (size_t i = len; i < want; ++i) payload[i] = pad_byte(count, i);
        len = want;
    }

    const Status st = channel_.send(msg::kHello, ByteSpan{payload.data(), len});
    if (st == Status::ok) {
        sent_.fetch_add(1, kRelaxed);
        Line l;
        l << core_name(core_) << " sending message: " << ByteSpan{payload.data(), text_len}
          << " (len: " << static_cast<uint32_t>(len) << ')';
        log_line(channel_.log(), LogLevel::plain, l);
    }
    return st;
}

void Role::poll()
{
    channel_.poll();
    if (core_ != CoreId::cm7 || done() || !channel_.is_ready()) return;
    if (channel_.session() != session_seen_) {
        // A new session: the answer to a hello in flight was lost with the old one.
        session_seen_ = channel_.session();
        awaiting_answer_.store(false, std::memory_order_release);
    }
    const uint32_t now = channel_.clock().now_us();
    if (goodbye_pending_.load(std::memory_order_acquire)) {
        if (hold_goodbye_.load(std::memory_order_acquire)) return;
        if (channel_.send(msg::kGoodbye, ByteSpan{}) == Status::ok) {
            goodbye_pending_.store(false, std::memory_order_relaxed);
            done_.store(true, std::memory_order_release);
        }
        return;
    }
    if (awaiting_answer_.load(std::memory_order_acquire) || next_count_ >= config_.count ||
        !is_due(next_due_us_, now)) {
        return;
    }
    sent_at_us_ = now;
    awaiting_answer_.store(true, std::memory_order_release);
    const Status st = send_hello(next_count_);
    if (st != Status::ok) {
        awaiting_answer_.store(false, std::memory_order_release);  // retried on the next poll
        if (st != Status::no_buffer) {
            errors_.fetch_add(1, kRelaxed);
            Line l;
            l << core_name(core_) << " send failed: " << to_string(st);
            log_line(channel_.log(), LogLevel::error, l);
        }
    }
}

void Role::on_hello(void* self, const Frame& frame)
{
    static_cast<Role*>(self)->handle_hello(frame);
}

void Role::on_goodbye(void* self, const Frame& /*frame*/)
{
    auto* role = static_cast<Role*>(self);
    if (role->core_ == CoreId::cm4) role->done_.store(true, std::memory_order_release);
}

void Role::handle_hello(const Frame& frame)
{
    const ByteSpan p = frame.payload;
    received_.fetch_add(1, kRelaxed);
    {
        Line l;
        l << core_name(core_)
          << " received message with length: " << static_cast<uint32_t>(p.size());
        log_line(channel_.log(), LogLevel::plain, l);
    }

    // Parse "Hello from <peer>, count: N" [NUL pattern...]; nothing is trusted.
    const CoreId peer = core_ == CoreId::cm7 ? CoreId::cm4 : CoreId::cm7;
    std::array<uint8_t, 32> prefix{};
    const size_t prefix_len = write_prefix(peer, prefix.data());
    bool ok = p.size() > prefix_len && std::memcmp(p.data(), prefix.data(), prefix_len) == 0;
    uint32_t count = 0;
    size_t i = prefix_len;
    size_t digits = 0;
    while (ok && i < p.size() && p[i] >= '0' && p[i] <= '9' && digits < 9) {
        count = count * 10 + static_cast<uint32_t>(p[i] - '0');
        ++i;
        ++digits;
    }
    ok = ok && digits > 0 && (i == p.size() || p[i] == 0);
    for (size_t k = i + 1; ok && k < p.size(); ++k) ok = p[k] == pad_byte(count, k);

    if (core_ == CoreId::cm4 && channel_.session() != session_seen_) {
        // After a reset (not at the first session) the primary resumes where it was.
        remote_resync_ = session_seen_ != 0;
        session_seen_ = channel_.session();
    }
    if (remote_resync_ && ok) {
        remote_expected_ = count;
        remote_resync_ = false;
    }
    const uint32_t expected = core_ == CoreId::cm7 ? next_count_ : remote_expected_;
    if (core_ == CoreId::cm4 && ok) remote_expected_ = count + 1;
    if (!ok || count != expected) {
        errors_.fetch_add(1, kRelaxed);
        Line l;
        l << core_name(core_) << " unexpected message: " << p.first(p.size() < 40 ? p.size() : 40);
        if (ok) l << " (expected count " << expected << ')';
        log_line(channel_.log(), LogLevel::error, l);
        if (!ok) return;
    }

    if (core_ == CoreId::cm4) {
        config_.payload_size = static_cast<uint32_t>(p.size());  // answer in kind
        const Status st = send_hello(count);
        if (st != Status::ok) {
            errors_.fetch_add(1, kRelaxed);
            Line l;
            l << core_name(core_) << " reply " << count << " failed: " << to_string(st);
            log_line(channel_.log(), LogLevel::error, l);
        }
        return;
    }

    // Primary: the answer to the hello in flight.
    if (!awaiting_answer_.load(std::memory_order_acquire)) return;
    const uint32_t now = channel_.clock().now_us();
    channel_.stats().record_latency_us(elapsed_us(sent_at_us_, now));
    ++next_count_;
    next_due_us_ = now + config_.interval_us;
    if (next_count_ >= config_.count) {
        goodbye_pending_.store(true, std::memory_order_release);
        hellos_done_.store(true, std::memory_order_release);
    }
    awaiting_answer_.store(false, std::memory_order_release);
}

RoleCounters Role::counters() const
{
    const StatsSnapshot s = channel_.stats().snapshot();
    return RoleCounters{sent_.load(kRelaxed), received_.load(kRelaxed),
                        errors_.load(kRelaxed) + s.total_dropped() + s.send_failures, s.resets};
}

void Role::log_summary() const
{
    const RoleCounters c = counters();
    Line l;
    l << core_name(core_) << " summary: sent " << c.sent << ", received " << c.received
      << ", errors " << c.errors << ", resets " << c.resets;
    log_line(channel_.log(), LogLevel::plain, l);
}

}  // namespace amp
