// Both roles in one process over the in-process loopback: the smallest
// demonstration of the library. The two-process virtual board (amp-board)
// runs the same roles over shared memory.
// Usage: amp-demo-loopback [COUNT] [rpc]   (rpc: then the CM7 calls the CM4's services)
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "amp/channel.h"
#include "amp/loopback.h"
#include "amp/role.h"
#include "amp/rpc.h"
#include "amp/services.h"
#include "amp_host/console.h"

namespace {

class SteadyClock final : public amp::Clock {
public:
    uint32_t now_us() const override
    {
        return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count());
    }
};

}  // namespace

int main(int argc, char** argv)
{
    amp::RoleConfig cfg;
    bool rpc = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "rpc") == 0) {
            rpc = true;
        } else {
            cfg.count = static_cast<uint32_t>(std::strtoul(argv[i], nullptr, 10));
        }
    }

    amp::host::ConsoleSink log7("cm7_main");
    amp::host::ConsoleSink log4("cm4_main");
    SteadyClock clock;
    static amp::LoopbackPair<8> pair;
    amp::Channel ch7(pair.a(), clock, &log7);
    amp::Channel ch4(pair.b(), clock, &log4);
    amp::Role cm7(amp::CoreId::cm7, ch7, cfg);
    amp::Role cm4(amp::CoreId::cm4, ch4, cfg);
    ch7.set_protocol(amp::services::protocol());
    ch4.set_protocol(amp::services::protocol());
    amp::RpcClient rpc7(ch7);
    amp::RpcClient rpc4(ch4);
    amp::services::ScenarioConfig calls;  // CM7: call the services after the hellos
    amp::services::ScenarioConfig serve;  // CM4: serve only
    calls.calls = rpc ? calls.calls : 0;
    serve.calls = 0;
    amp::services::RpcScenario rpc_cm7(amp::CoreId::cm7, rpc7, &cm7, calls);
    amp::services::RpcScenario rpc_cm4(amp::CoreId::cm4, rpc4, nullptr, serve);

    log7.info("Starting CM7 application");
    log4.info("Starting CM4 application");
    cm7.start();
    cm4.start();
    pair.bind();
    log7.info("IPC endpoint bound");
    log4.info("IPC endpoint bound");

    for (int spins = 0; !(cm7.done() && cm4.done()) && spins < 1000000; ++spins) {
        cm7.poll();
        rpc_cm7.poll();
        rpc_cm4.poll();
        pair.pump();
    }
    if (rpc) rpc_cm7.log_summary();
    cm7.log_summary();
    cm4.log_summary();
    const auto c7 = cm7.counters();
    const auto c4 = cm4.counters();
    const bool ok = cm7.done() && cm4.done() && c7.errors == 0 && c4.errors == 0 &&
                    c7.sent == c4.received && c4.sent == c7.received &&
                    rpc_cm7.counters().failed == 0;
    return ok ? 0 : 1;
}
