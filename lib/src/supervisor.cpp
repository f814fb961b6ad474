#include "amp/supervisor.h"

namespace amp {

Supervisor::Supervisor(Channel& channel, const SupervisorConfig& config, RpcClient* rpc,
                       Streams* streams)
    : channel_(channel), rpc_(rpc), streams_(streams), period_us_(config.period_us)
{
    // period * missed, within what is_due() compares safely.
    const uint32_t missed = config.max_missed != 0 ? config.max_missed : 1;
    const uint32_t limit = RpcClient::kMaxTimeoutUs;
    timeout_us_ = period_us_ > limit / missed ? limit : period_us_ * missed;
}

void Supervisor::poll()
{
    channel_.poll();
    update();
    const uint32_t now = channel_.clock().now_us();
    if (!up_ || period_us_ == 0 || !is_due(beat_us_, now)) return;
    beat_us_ = now + period_us_;
    // A beat only when nothing else went out in this period.
    if (channel_.stats().tx_messages() == last_tx_) {
        (void)channel_.send(msg::kHeartbeat, ByteSpan{});
    }
    last_tx_ = channel_.stats().tx_messages();
}

void Supervisor::update()
{
    const uint32_t now = channel_.clock().now_us();
    const uint32_t rx = channel_.stats().rx_messages();
    if (rx != last_rx_) {
        last_rx_ = rx;
        life_us_ = now;
    }
    if (up_) {
        if (!channel_.is_ready() || channel_.session() != session_) {
            lose(Status::link_reset);
        } else if (timeout_us_ != 0 && elapsed_us(life_us_, now) >= timeout_us_) {
            lose(Status::timeout);
        }
    }
    if (up_ || !channel_.is_ready()) return;
    up_ = true;
    session_ = channel_.session();
    life_us_ = now;
    beat_us_ = now + period_us_;
    last_tx_ = channel_.stats().tx_messages();
    if (events_.up != nullptr) events_.up(events_.context, session_);
}

void Supervisor::lose(Status reason)
{
    up_ = false;
    ++resets_;
    channel_.stats().record_reset();
    Line l;
    l << "peer lost: " << to_string(reason) << ", resets " << resets_;
    log_line(channel_.log(), LogLevel::warning, l);
    // Silent but bound: a new session must separate the old frames from new ones.
    if (reason == Status::timeout) channel_.restart();
    if (rpc_ != nullptr) rpc_->fail_all(Status::link_reset);
    if (streams_ != nullptr) streams_->reset(Status::link_reset);
    if (events_.lost != nullptr) events_.lost(events_.context, reason);
}

uint32_t Supervisor::next_due_us() const
{
    const uint32_t now = channel_.clock().now_us();
    if (!up_ || period_us_ == 0) return now + (period_us_ != 0 ? period_us_ : 100'000);
    const uint32_t loss = life_us_ + timeout_us_;
    return static_cast<int32_t>(loss - beat_us_) < 0 ? loss : beat_us_;
}

}  // namespace amp
