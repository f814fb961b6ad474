// The shared-memory link (host virtual board) in the benchmarks:
//   transports amp_spin, amp_block, amp_adaptive   two processes, POSIX shm,
//                                                  futex doorbell in that mode
//   cost rig amp_link                              both ends in one process
// The link is used as amp-board uses it (amp::ShmLink over amp::host::ShmRegion,
// FutexDoorbell to ring, BellWaiter to wait), under an amp::Channel.
#include <unistd.h>

#include <optional>
#include <stdexcept>
#include <vector>

#include "amp/shm_link.h"
#include "amp_host/futex_doorbell.h"
#include "amp_host/shm_region.h"
#include "channel_link.h"
#include "util.h"

namespace amp::bench {
namespace {

constexpr uint32_t kBuffers = 64;                                          // per direction
constexpr size_t kMessage = shm::kDefaultBufferSize - rpmsg::kHeaderSize;  // 496

class AmpShmPort final : public LinkPort {
public:
    explicit AmpShmPort(host::DoorbellMode mode) : waiter_(mode) {}
    size_t max_message_size() const override { return kMessage; }

    bool open(const TransportOptions& options, std::string& error) override
    {
        name_ = host::shm_object_name(options.unique_name);
        try {
            region_ = host::ShmRegion::create(
                name_, shm::region_size_for(kBuffers, shm::kDefaultBufferSize));
        } catch (const std::exception& e) {
            error = e.what();
            return false;
        }
        if (!region_) {
            error = "shared memory " + name_ + " exists";
            return false;
        }
        return true;
    }

    bool attach(Side side, std::string& error) override
    {
        const shm::Side me = side == Side::parent ? shm::Side::primary : shm::Side::remote;
        region_->remove_on_close(side == Side::parent);
        bell_.bind(region_->base(), shm::other(me));
        waiter_.bind(region_->base(), me);
        link_.emplace(me, bell_, nullptr);
        ShmLinkConfig cfg;
        cfg.num_buffers = kBuffers;
        cfg.tag = static_cast<uint32_t>(getpid());
        if (me == shm::Side::primary) return link_->create(region_->bytes(), cfg) == Status::ok;
        for (uint64_t end = now_ns() + 10'000'000'000ull; now_ns() < end;) {
            const Status st = link_->attach(region_->bytes(), cfg);
            if (st == Status::ok) return true;
            if (st != Status::not_found) {
                error = std::string("attach: ") + to_string(st);
                return false;
            }
            usleep(100);
        }
        error = "the primary never created the region";
        return false;
    }

    Endpoint& endpoint() override { return *link_; }
    int poll() override { return link_->faulted() ? -1 : static_cast<int>(link_->poll()); }
    bool wait(WaitFor) override
    {
        waiter_.wait([this] { return link_->work_pending(); }, 10'000);
        return !link_->faulted();
    }
    void close() override
    {
        link_.reset();
        region_.reset();
    }

private:
    host::FutexDoorbell bell_;
    host::BellWaiter waiter_;
    std::string name_;
    std::optional<host::ShmRegion> region_;
    std::optional<ShmLink> link_;
};

class NoBell final : public Doorbell {
public:
    void ring() override {}
};

class AmpLinkRig final : public ChannelPairRig {
protected:
    size_t max_message_size() const override { return kMessage; }
    bool make_link(std::string& error) override
    {
        const size_t size = shm::region_size_for(kBuffers, shm::kDefaultBufferSize);
        region_.assign(size / 8 + 1, 0);
        const MutableByteSpan r{reinterpret_cast<uint8_t*>(region_.data()), size};
        ShmLinkConfig cfg;
        cfg.num_buffers = kBuffers;
        if (a_.create(r, cfg) != Status::ok || b_.attach(r, cfg) != Status::ok) {
            error = "create/attach failed";
            return false;
        }
        return true;
    }
    Endpoint& end_a() override { return a_; }
    Endpoint& end_b() override { return b_; }
    // B delivers (and returns the buffer), A takes the buffer back.
    size_t pump() override { return b_.poll() + a_.poll(); }

private:
    std::vector<uint64_t> region_;  // 8-byte aligned
    NoBell bell_a_, bell_b_;
    ShmLink a_{shm::Side::primary, bell_a_, nullptr};
    ShmLink b_{shm::Side::remote, bell_b_, nullptr};
};

template <host::DoorbellMode M>
std::unique_ptr<Transport> make_amp()
{
    return std::make_unique<ChannelTransport>(std::make_unique<AmpShmPort>(M));
}
const RegisterTransport kSpin{
    "amp_spin",
    "amp::Channel over the shared-memory link (64 x 512 B buffers per direction), doorbell spin",
    make_amp<host::DoorbellMode::spin>};
const RegisterTransport kBlock{"amp_block",
                               "amp::Channel over the shared-memory link (64 x 512 B buffers per "
                               "direction), doorbell block",
                               make_amp<host::DoorbellMode::block>};
const RegisterTransport kAdaptive{
    "amp_adaptive",
    "amp::Channel over the shared-memory link (64 x 512 B buffers per "
    "direction), doorbell adaptive",
    make_amp<host::DoorbellMode::adaptive>};
const RegisterCostRig kRig{"amp_link",
                           "amp::Channel on both ends of one ShmLink region (in-process)",
                           [] { return std::make_unique<AmpLinkRig>(); }};

}  // namespace
}  // namespace amp::bench
