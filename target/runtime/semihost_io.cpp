// Console and exit of the test images: newlib's stdio over semihosting
// (librdimon, linked with --specs=rdimon.specs). QEMU runs them with
// `-semihosting-config enable=on,target=native`.
#include <cstdlib>

#include "runtime.h"

extern "C" void initialise_monitor_handles();

namespace {

// Before any other constructor (test registration, user statics), as
// newlib's crt0 would do; the images link no crt0.
[[gnu::constructor(101)]] void open_console()
{
    initialise_monitor_handles();
}

}  // namespace

// exit() flushes stdio, then librdimon's _exit reports `status` to QEMU.
void amp_target_exit(int status)
{
    std::exit(status);
}
