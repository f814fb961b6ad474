#include "cost_rig.h"
#include "transport.h"

namespace amp::bench {

std::vector<TransportInfo>& transports()
{
    static std::vector<TransportInfo> all;
    return all;
}

const TransportInfo* find_transport(const std::string& name)
{
    for (const TransportInfo& t : transports()) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

std::vector<CostRigInfo>& cost_rigs()
{
    static std::vector<CostRigInfo> all;
    return all;
}

const CostRigInfo* find_cost_rig(const std::string& name)
{
    for (const CostRigInfo& r : cost_rigs()) {
        if (r.name == name) return &r;
    }
    return nullptr;
}

}  // namespace amp::bench
