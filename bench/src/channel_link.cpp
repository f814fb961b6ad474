#include "channel_link.h"

#include <cstdio>

#include "util.h"

namespace amp::bench {

namespace {

size_t payload_room(size_t message_size)
{
    const size_t room = message_size > kFrameHeaderSize ? message_size - kFrameHeaderSize : 0;
    return room < kMaxPayloadSize ? room : kMaxPayloadSize;
}

}  // namespace

uint32_t HostClock::now_us() const
{
    return static_cast<uint32_t>(now_ns() / 1000u);
}

// ---- ChannelTransport ---------------------------------------------------------

ChannelTransport::~ChannelTransport()
{
    close();
}

size_t ChannelTransport::max_payload() const
{
    return payload_room(port_->max_message_size());
}

bool ChannelTransport::open(const TransportOptions& options, std::string& error)
{
    return port_->open(options, error);
}

bool ChannelTransport::attach(Side side, std::string& error)
{
    if (!port_->attach(side, error)) return false;
    channel_.emplace(port_->endpoint(), clock_, nullptr);
    if (channel_->dispatcher().add(kBenchType, &ChannelTransport::on_frame, this) != Status::ok) {
        error = "dispatcher.add failed";
        return false;
    }
    const uint64_t deadline = now_ns() + 10'000'000'000ull;
    while (!channel_ready(*channel_)) {
        polling_ = true;
        const int did = port_->poll();
        polling_ = false;
        if (did < 0) {
            error = "the link broke while binding";
            return false;
        }
        if (channel_ready(*channel_)) break;
        if (now_ns() > deadline) {
            error = "not bound (and ready) after 10 s";
            return false;
        }
        if (did == 0 && !port_->wait(WaitFor::message)) {
            error = "the link broke while binding";
            return false;
        }
    }
    return true;
}

bool ChannelTransport::send(Bytes message)
{
    for (;;) {
        const Status st = channel_->send(kBenchType, message);
        if (st == Status::ok) return true;
        if (st != Status::no_buffer) {
            std::fprintf(stderr, "amp-bench: Channel::send: %s\n", to_string(st));
            return false;
        }
        // Every buffer is with the peer: take back the returned ones, or wait.
        // (Inside a receive callback the link is already polling: only wait.)
        if (!polling_) {
            polling_ = true;
            const int did = port_->poll();
            polling_ = false;
            if (did < 0) return false;
            if (did > 0) continue;
        }
        if (!port_->wait(WaitFor::buffer)) return false;
    }
}

void ChannelTransport::on_frame(void* self, const Frame& frame)
{
    auto* t = static_cast<ChannelTransport*>(self);
    if (t->receiver_ != nullptr) {
        (*t->receiver_)(frame.payload);
        ++t->delivered_;
    } else {  // delivered by a poll() inside send(): keep it for the next receive()
        t->early_.emplace_back(frame.payload.begin(), frame.payload.end());
    }
}

int ChannelTransport::receive(const OnMessage& on_message)
{
    if (!early_.empty()) {
        int n = 0;
        for (; !early_.empty(); ++n) {
            const std::vector<uint8_t> m = std::move(early_.front());
            early_.pop_front();
            on_message(Bytes{m});
        }
        return n;
    }
    receiver_ = &on_message;
    delivered_ = 0;
    bool ok = true;
    while (ok && delivered_ == 0) {
        polling_ = true;
        const int did = port_->poll();
        polling_ = false;
        if (did < 0) {
            ok = false;
        } else if (delivered_ == 0 && did > 0 &&
                   channel_->stats().snapshot().total_dropped() != 0) {
            std::fprintf(stderr, "amp-bench: the Channel dropped a frame\n");
            ok = false;
        } else if (delivered_ == 0 && did == 0) {
            ok = port_->wait(WaitFor::message);
        }
    }
    receiver_ = nullptr;
    return ok ? delivered_ : -1;
}

void ChannelTransport::close()
{
    if (channel_) {
        channel_->dispatcher().remove(kBenchType);
        channel_.reset();
    }
    port_->close();
}

// ---- ChannelPairRig -------------------------------------------------------------

size_t ChannelPairRig::max_payload() const
{
    return payload_room(max_message_size());
}

bool ChannelPairRig::open(std::string& error)
{
    if (!make_link(error)) return false;
    a_.emplace(end_a(), clock_, nullptr);
    b_.emplace(end_b(), clock_, nullptr);
    if (b_->dispatcher().add(kBenchType, &ChannelPairRig::on_frame, this) != Status::ok) {
        error = "dispatcher.add failed";
        return false;
    }
    start();
    for (int i = 0; i < 1000 && !(channel_ready(*a_) && channel_ready(*b_)); ++i) pump();
    if (!channel_ready(*a_) || !channel_ready(*b_)) {
        error = "the two ends did not bind";
        return false;
    }
    return true;
}

bool ChannelPairRig::one_message(Bytes payload)
{
    const uint64_t before = delivered_;
    if (a_->send(kBenchType, payload) != Status::ok) return false;
    pump();
    return delivered_ == before + 1;
}

void ChannelPairRig::on_frame(void* self, const Frame& frame)
{
    auto* rig = static_cast<ChannelPairRig*>(self);
    ++rig->delivered_;
    if (!frame.payload.empty()) rig->last_byte_ = frame.payload.back();  // touch the data
}

}  // namespace amp::bench
