#include "amp/services.h"

#include "amp/crc32c.h"

namespace amp::services {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// Checksum buffer lengths, in turn: a full one, then a few others.
constexpr std::array<uint32_t, 4> kChecksumLengths{kChecksumCapacity, 64, 16, 200};

uint8_t pattern_byte(uint32_t index, uint32_t k)
{
    return static_cast<uint8_t>(index * 13u + k * 7u);
}

}  // namespace

RpcScenario::RpcScenario(CoreId core, RpcClient& rpc, Role* after, const ScenarioConfig& config)
    : core_(core), rpc_(rpc), channel_(rpc.channel()), after_(after), config_(config)
{
    for (Call& c : calls_) c.owner = this;
    status_ = serve(channel_, &RpcScenario::serve_checksum, this);
    if (status_ == Status::ok) status_ = serve(channel_, &RpcScenario::serve_stats, this);
    if (status_ == Status::ok) {
        status_ = channel_.dispatcher().add<CallsDone>(&RpcScenario::on_peer_done, this);
    }
    if (after_ != nullptr && (config_.calls > 0 || config_.wait_for_peer)) {
        after_->hold_goodbye(true);
    }
}

// ---- the services ----

Status RpcScenario::serve_checksum(void* self, const ChecksumRequest& req, ChecksumReply& reply)
{
    auto* s = static_cast<RpcScenario*>(self);
    s->served_.fetch_add(1, kRelaxed);
    if (req.length > kChecksumCapacity) return Status::invalid_argument;
    reply.crc32c = crc32c(0, req.data, req.length);
    reply.length = req.length;
    return Status::ok;
}

Status RpcScenario::serve_stats(void* self, const StatsRequest& req, StatsReply& reply)
{
    auto* s = static_cast<RpcScenario*>(self);
    s->served_.fetch_add(1, kRelaxed);
    if (req.reserved != 0) return Status::invalid_argument;
    const StatsSnapshot snap = s->channel_.stats().snapshot();
    reply.uptime_us = s->channel_.clock().now_us();
    reply.tx_messages = snap.tx_messages;
    reply.tx_bytes = snap.tx_bytes;
    reply.rx_messages = snap.rx_messages;
    reply.rx_bytes = snap.rx_bytes;
    reply.send_failures = snap.send_failures;
    reply.dropped_total = snap.total_dropped();
    for (size_t i = 0; i < kDropReasonCount; ++i) reply.dropped[i] = snap.dropped[i];
    reply.latency_samples = snap.latency_samples();
    return Status::ok;
}

void RpcScenario::on_peer_done(void* self, const CallsDone& msg)
{
    auto* s = static_cast<RpcScenario*>(self);
    Line l;
    l << core_name(s->core_) << " rpc peer done: calls " << msg.calls << ", failed "
      << msg.failures;
    log_line(s->channel_.log(), LogLevel::plain, l);
    s->peer_done_.store(true, std::memory_order_release);
}

// ---- the calls ----

bool RpcScenario::started()
{
    if (!started_) {
        started_ = channel_.is_ready() && (after_ == nullptr || after_->hellos_done());
    }
    return started_;
}

Status RpcScenario::issue(Call& call, uint32_t index)
{
    call.index = index;
    call.started_us = channel_.clock().now_us();
    call.busy.store(true, std::memory_order_release);
    Status st = Status::ok;
    if (index % 2 == 0) {
        ChecksumRequest req{};
        req.length = kChecksumLengths[(index / 2) % kChecksumLengths.size()];
        for (uint32_t k = 0; k < req.length; ++k) req.data[k] = pattern_byte(index, k);
        call.length = req.length;
        call.expected_crc = crc32c(0, req.data, req.length);
        st = rpc_.call(req, &RpcScenario::on_checksum, &call, config_.timeout_us);
    } else {
        st = rpc_.call(StatsRequest{}, &RpcScenario::on_stats, &call, config_.timeout_us);
    }
    if (st != Status::ok) call.busy.store(false, std::memory_order_release);
    return st;
}

void RpcScenario::on_checksum(void* context, Status st, const ChecksumReply& reply)
{
    auto& call = *static_cast<Call*>(context);
    const bool ok =
        st == Status::ok && reply.crc32c == call.expected_crc && reply.length == call.length;
    Line l;
    l << core_name(call.owner->core_) << " rpc checksum(" << call.length << " bytes) ";
    if (st == Status::ok) {
        l << "= ";
        l.hex(reply.crc32c);
        if (!ok) {
            l << " (expected ";
            l.hex(call.expected_crc) << ", " << call.length << " bytes)";
        }
        l << ' ';
    }
    call.owner->complete(call, st, ok, l);
}

void RpcScenario::on_stats(void* context, Status st, const StatsReply& reply)
{
    auto& call = *static_cast<Call*>(context);
    const bool ok = st == Status::ok && reply.rx_messages > 0;
    Line l;
    l << core_name(call.owner->core_) << " rpc stats ";
    if (st == Status::ok) {
        l << "= tx " << reply.tx_messages << ", rx " << reply.rx_messages << ", dropped "
          << reply.dropped_total << ' ';
    }
    call.owner->complete(call, st, ok, l);
}

// Runs in the context that completed the call (receive path or poll()).
void RpcScenario::complete(Call& call, Status st, bool result_ok, Line& line)
{
    if (st != Status::ok) line << "failed: " << to_string(st) << ' ';
    line << "in " << elapsed_us(call.started_us, channel_.clock().now_us()) << " us";
    (result_ok ? ok_ : failed_).fetch_add(1, kRelaxed);
    if (call.index < config_.log_calls || !result_ok) {
        log_line(channel_.log(), result_ok ? LogLevel::plain : LogLevel::error, line);
    }
    call.busy.store(false, std::memory_order_release);
    completed_.fetch_add(1, std::memory_order_acq_rel);
}

void RpcScenario::poll()
{
    rpc_.poll();
    if (done() || !started()) return;
    const uint32_t limit = config_.in_flight == 0             ? 1
                           : config_.in_flight < kMaxInFlight ? config_.in_flight
                                                              : kMaxInFlight;
    for (uint32_t i = 0; i < limit && issued_ < config_.calls; ++i) {
        Call& call = calls_[i];
        if (call.busy.load(std::memory_order_acquire)) continue;
        const Status st = issue(call, issued_);
        if (st == Status::no_buffer || st == Status::table_full || st == Status::not_bound) break;
        ++issued_;
        if (st != Status::ok) {  // refused for good: a failed call
            Line l;
            l << core_name(core_) << " rpc call " << call.index << ' ';
            complete(call, st, false, l);
        }
    }
    if (issued_ < config_.calls || completed_.load(std::memory_order_acquire) < config_.calls) {
        return;
    }
    if (!done_sent_ && config_.calls > 0) {
        CallsDone msg{};
        msg.calls = config_.calls;
        msg.failures = failed_.load(kRelaxed);
        const Status st = channel_.send(msg);
        if (st == Status::no_buffer) return;  // again on the next poll
        done_sent_ = true;
    }
    if (config_.wait_for_peer && !peer_done_.load(std::memory_order_acquire)) return;
    if (after_ != nullptr) after_->hold_goodbye(false);
    done_.store(true, std::memory_order_release);
}

ScenarioCounters RpcScenario::counters() const
{
    return ScenarioCounters{completed_.load(kRelaxed), ok_.load(kRelaxed), failed_.load(kRelaxed),
                            served_.load(kRelaxed)};
}

void RpcScenario::log_summary() const
{
    const ScenarioCounters c = counters();
    Line l;
    l << core_name(core_) << " rpc summary: calls " << c.calls << ", ok " << c.ok << ", failed "
      << c.failed;
    log_line(channel_.log(), LogLevel::plain, l);
}

}  // namespace amp::services
