// The fixed workload behind "instructions per message": both ends of one
// link in this single process, one message at a time, with no clock, no
// sleeping and no threads, so that callgrind counts the same instructions on
// every run. `amp-bench cost --rig NAME --messages N` runs N messages; the
// runner runs it under callgrind for two values of N and divides the
// difference of the instruction totals by the difference of N, so start-up
// and tear-down cancel out.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transport.h"

namespace amp::bench {

class CostRig {
public:
    virtual ~CostRig() = default;

    /// Largest payload one message carries through the library.
    virtual size_t max_payload() const = 0;
    /// Builds both ends (two amp::Channel on one link) and binds them.
    virtual bool open(std::string& error) = 0;
    /// One message from end A to end B: framed, sent, received, validated,
    /// counted and dispatched to B's handler before this returns. Whatever
    /// the link does per message (buffer reclaim, doorbell) belongs inside.
    virtual bool one_message(Bytes payload) = 0;
    /// Messages B's handler saw.
    virtual uint64_t delivered() const = 0;
};

struct CostRigInfo {
    std::string name;  ///< e.g. "channel_loopback", "amp_link"
    std::string about;
    std::function<std::unique_ptr<CostRig>()> make;
};

std::vector<CostRigInfo>& cost_rigs();
const CostRigInfo* find_cost_rig(const std::string& name);

struct RegisterCostRig {
    RegisterCostRig(std::string name, std::string about,
                    std::function<std::unique_ptr<CostRig>()> make)
    {
        cost_rigs().push_back({std::move(name), std::move(about), std::move(make)});
    }
};

}  // namespace amp::bench
