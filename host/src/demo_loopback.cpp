// Both roles in one process over the in-process loopback: the smallest
// demonstration of the library. The two-process virtual board (amp-board)
// runs the same roles over shared memory.
#include <chrono>
#include <cstdlib>
#include <string>

#include "amp/channel.h"
#include "amp/loopback.h"
#include "amp/role.h"
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
    if (argc > 1) cfg.count = static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10));

    amp::host::ConsoleSink log7("cm7_main");
    amp::host::ConsoleSink log4("cm4_main");
    SteadyClock clock;
    static amp::LoopbackPair<8> pair;
    amp::Channel ch7(pair.a(), clock, &log7);
    amp::Channel ch4(pair.b(), clock, &log4);
    amp::Role cm7(amp::CoreId::cm7, ch7, cfg);
    amp::Role cm4(amp::CoreId::cm4, ch4, cfg);

    log7.info("Starting CM7 application");
    log4.info("Starting CM4 application");
    cm7.start();
    cm4.start();
    pair.bind();
    log7.info("IPC endpoint bound");
    log4.info("IPC endpoint bound");

    for (int spins = 0; !(cm7.done() && cm4.done()) && spins < 1000000; ++spins) {
        cm7.poll();
        pair.pump();
    }
    cm7.log_summary();
    cm4.log_summary();
    const auto c7 = cm7.counters();
    const auto c4 = cm4.counters();
    const bool ok = cm7.done() && cm4.done() && c7.errors == 0 && c4.errors == 0 &&
                    c7.sent == c4.received && c4.sent == c7.received;
    return ok ? 0 : 1;
}
