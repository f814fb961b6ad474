// The library measured the way users use it: amp::Channel (framing, CRC,
// statistics, dispatch) on top of an amp::Endpoint. What differs between
// links is small and lives behind two interfaces:
//
//   LinkPort        one process's side of a link between two processes:
//                   ChannelTransport turns it into a benchmark Transport.
//   ChannelPairRig  both ends of a link in one process, for callgrind: a
//                   CostRig that sends through one Channel and delivers to
//                   the other.
//
// A new link (the shared-memory link of the host virtual board) is one
// source file that implements these two and registers them (see
// bench/README.md, "Plugging in the shared-memory link").
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "amp/channel.h"
#include "cost_rig.h"
#include "transport.h"

namespace amp::bench {

/// The message type every benchmark message travels as.
inline constexpr uint8_t kBenchType = msg::kUserFirst;

/// amp::Clock on CLOCK_MONOTONIC.
class HostClock final : public Clock {
public:
    uint32_t now_us() const override;
};

/// True once application messages flow: a Channel is ready after both sides
/// agreed on the protocol (amp/handshake.h), some time after binding.
inline bool channel_ready(Channel& channel)
{
    channel.poll();  // sends again a handshake the link refused (no buffer)
    return channel.is_ready();
}

/// What ChannelTransport waits for when nothing can be done.
enum class WaitFor { message, buffer };

/// One process's side of a link between two processes.
class LinkPort {
public:
    virtual ~LinkPort() = default;

    /// Largest message the link carries (frame header included), known
    /// before open(): the Channel's largest payload follows from it.
    virtual size_t max_message_size() const = 0;
    /// Before fork(): create what both processes share (a region, doorbells).
    virtual bool open(const TransportOptions& options, std::string& error) = 0;
    /// After fork(), in each process: make this side's endpoint. It must not
    /// deliver any event yet (the Channel becomes its listener afterwards);
    /// events come from poll() only.
    virtual bool attach(Side side, std::string& error) = 0;
    virtual Endpoint& endpoint() = 0;
    /// Does what is pending: binding steps, delivering received messages to
    /// the endpoint's listener, taking back returned buffers. Returns how
    /// much it did (0: nothing), or -1 when the link is broken (faulted).
    virtual int poll() = 0;
    /// Waits in the link's own way (spin, sleep on the doorbell, spin then
    /// sleep) until a message may have arrived, or a sent buffer may have
    /// come back. May return early; false only when the link is broken.
    virtual bool wait(WaitFor what) = 0;
    virtual void close() = 0;
};

/// A benchmark Transport made of a Channel over a LinkPort: send() frames
/// and sends (waiting while the link has no buffer), receive() polls and
/// waits until the Channel has dispatched at least one message.
class ChannelTransport final : public Transport {
public:
    explicit ChannelTransport(std::unique_ptr<LinkPort> port) : port_(std::move(port)) {}
    ~ChannelTransport() override;

    size_t max_payload() const override;
    bool open(const TransportOptions& options, std::string& error) override;
    bool attach(Side side, std::string& error) override;
    bool send(Bytes message) override;
    int receive(const OnMessage& on_message) override;
    void close() override;

private:
    static void on_frame(void* self, const Frame& frame);

    std::unique_ptr<LinkPort> port_;
    HostClock clock_;
    std::optional<Channel> channel_;
    const OnMessage* receiver_ = nullptr;  // set while receive() runs
    int delivered_ = 0;
    bool polling_ = false;                    // poll() is never entered twice
    std::deque<std::vector<uint8_t>> early_;  // arrived while no receive() ran
};

/// Both ends of a link in this process, each under a Channel; a subclass
/// supplies the link. Everything per message goes through one_message().
class ChannelPairRig : public CostRig {
public:
    size_t max_payload() const final;
    bool open(std::string& error) final;
    bool one_message(Bytes payload) final;
    uint64_t delivered() const final { return delivered_; }

protected:
    /// Largest message of the link (frame header included), known before open().
    virtual size_t max_message_size() const = 0;
    /// Builds the two ends; they deliver no event before start()/pump().
    virtual bool make_link(std::string& error) = 0;
    virtual Endpoint& end_a() = 0;
    virtual Endpoint& end_b() = 0;
    /// Called once both Channels listen: begin binding if the link needs a kick.
    virtual void start() {}
    /// Moves pending work along on both ends (binding, delivery, buffer
    /// reclaim); returns how much it did.
    virtual size_t pump() = 0;

private:
    static void on_frame(void* self, const Frame& frame);

    ManualClock clock_;
    std::optional<Channel> a_;
    std::optional<Channel> b_;
    uint64_t delivered_ = 0;
    uint8_t last_byte_ = 0;
};

}  // namespace amp::bench
