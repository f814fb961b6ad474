// Cost rig "channel_loopback": amp::Channel on both ends of an in-process
// amp::LoopbackPair. Per message: frame encode + CRC-32C, the loopback's copy
// into its ring, pump(), frame decode + CRC check, statistics, dispatch.
#include "amp/loopback.h"
#include "channel_link.h"

namespace amp::bench {
namespace {

class ChannelLoopback final : public ChannelPairRig {
protected:
    size_t max_message_size() const override { return kMaxMessageSize; }
    bool make_link(std::string&) override { return true; }
    Endpoint& end_a() override { return pair_.a(); }
    Endpoint& end_b() override { return pair_.b(); }
    void start() override { pair_.bind(); }
    size_t pump() override { return pair_.pump(); }

private:
    LoopbackPair<4, kMaxMessageSize> pair_;
};

const RegisterCostRig kChannelLoopback{
    "channel_loopback", "amp::Channel on both ends of amp::LoopbackPair (in-process)",
    [] { return std::make_unique<ChannelLoopback>(); }};

}  // namespace
}  // namespace amp::bench
