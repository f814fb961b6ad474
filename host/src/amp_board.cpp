// amp-board: the virtual board. The CM7 and the CM4 run as two processes
// that share memory through the portable RPMsg link, as the two cores of the
// MIMXRT1160-EVK share OCRAM.
//
//   amp-board cm7 [options]   the primary: creates the shared memory
//   amp-board cm4 [options]   the remote: attaches to it and answers
//   amp-board run [options]   both, as two processes, consoles interleaved
//
// Either core may be killed (kill -9) and started again: the survivor keeps
// running, and the link, the handshake and the scenario recover.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "amp/shm_layout.h"
#include "amp/wire.h"
#include "board.h"

using amp::host::board::Options;

namespace {

void add_options(CLI::App* cmd, Options& opt, std::string& doorbell,
                 std::vector<std::string>& scenario)
{
    cmd->add_option("--count", opt.count, "CM7: hellos to send")->capture_default_str();
    cmd->add_option("--size", opt.size,
                    "CM7: payload bytes per hello (padded with a checked pattern; 0: text only)")
        ->capture_default_str();
    cmd->add_option("--interval-us", opt.interval_us, "CM7: pause after each answer, in us")
        ->capture_default_str();
    cmd->add_option("--duration", opt.duration_s,
                    "CM7: exchange hellos for this many seconds instead of --count; with "
                    "--scenario stream, stream transfers back to back for that long")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--scenario", scenario,
                    "after the hellos: hello (nothing more), rpc (the CM7 calls the CM4's "
                    "services), stream (the CM7 streams --bytes to the CM4), or rpc,stream")
        ->delimiter(',')
        ->check(CLI::IsMember({"hello", "rpc", "stream"}))
        ->default_str("hello");
    cmd->add_option("--protocol-version", opt.protocol_version,
                    "protocol version this core announces in the handshake (another one on one "
                    "core: both refuse to talk)")
        ->capture_default_str();
    cmd->add_option("--rpc-calls", opt.rpc_calls, "rpc: calls to make")->capture_default_str();
    cmd->add_option("--rpc-in-flight", opt.rpc_in_flight, "rpc: calls in flight at once")
        ->check(CLI::Range(1u, 4u))
        ->capture_default_str();
    cmd->add_flag("--rpc-both-ways", opt.rpc_both_ways,
                  "rpc: the CM4 calls the CM7's services too (--rpc-calls each)");
    cmd->add_option("--rpc-timeout-ms", opt.rpc_timeout_ms, "rpc: timeout per call, in ms")
        ->check(CLI::Range(1u, 100000u))
        ->capture_default_str();
    cmd->add_option("--bytes", opt.stream_bytes,
                    "stream: bytes per transfer (both cores must agree)")
        ->check(CLI::Range(1u, 1u << 31))
        ->capture_default_str();
    cmd->add_option("--heartbeat-ms", opt.heartbeat_ms,
                    "supervision: heartbeat period in ms (0: none)")
        ->capture_default_str();
    cmd->add_option("--missed", opt.missed,
                    "supervision: silent periods before the other core is declared lost")
        ->check(CLI::Range(1u, 1000u))
        ->capture_default_str();
    cmd->add_option("--doorbell", doorbell,
                    "how to wait for the other core: spin, block, or adaptive (spin briefly, "
                    "then sleep)")
        ->check(CLI::IsMember({"spin", "block", "adaptive"}))
        ->capture_default_str();
    cmd->add_option("--shm", opt.shm, "name of the shared memory (/dev/shm/NAME)")
        ->capture_default_str();
    cmd->add_option("--timeout", opt.timeout_s,
                    "seconds to wait for the other core: to start, and to come back after it "
                    "was lost")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_flag("--quiet,-q", opt.quiet,
                  "no per-message lines: start, binding, progress each second, errors and "
                  "summaries only");
    cmd->add_flag("--stats", opt.stats, "print the link counters after the summary");
    cmd->add_option("--buffer-size", opt.buffer_size,
                    "CM7: bytes per shared buffer, 16-byte RPMsg header included (at least "
                    "80: a hello must fit)")
        ->check(CLI::Range(80u, amp::shm::kMaxBufferSize))
        ->capture_default_str();
    cmd->add_option("--corrupt-every", opt.corrupt_every,
                    "testing: flip one bit of every Nth request or response this core receives, "
                    "in the shared memory before it reads it; the CRC must catch each one "
                    "(0: off)")
        ->capture_default_str();
    cmd->add_option("--shm-size", opt.shm_size,
                    "CM7: bytes of shared memory; the buffer count per direction is the largest "
                    "power of two that fits")
        ->check(CLI::Range(1024u, 1u << 30))
        ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{
        "amp-board: the virtual board. The CM7 and CM4 roles run as two processes that share "
        "memory through an RPMsg link (virtio rings), as the two cores of the MIMXRT1160-EVK "
        "share OCRAM."};
    app.require_subcommand(1, 1);
    Options opt;
    std::string doorbell = "adaptive";
    std::vector<std::string> scenario;
    CLI::App* cm7 = app.add_subcommand(
        "cm7", "run the CM7 (primary): creates the shared memory, waits for the CM4, sends hellos");
    CLI::App* cm4 = app.add_subcommand(
        "cm4", "run the CM4 (remote): attaches to the shared memory (waits for it), answers");
    CLI::App* run =
        app.add_subcommand("run", "run both cores as two processes and interleave their consoles");
    for (CLI::App* cmd : {cm7, cm4, run}) add_options(cmd, opt, doorbell, scenario);

    CLI11_PARSE(app, argc, argv);

    for (const std::string& s : scenario) {
        opt.rpc = opt.rpc || s == "rpc";
        opt.stream = opt.stream || s == "stream";
    }
    opt.doorbell = *amp::host::parse_doorbell_mode(doorbell);
    if (opt.shm.empty() || opt.shm.find('/') != std::string::npos || opt.shm.size() > 200) {
        std::fprintf(stderr, "amp-board: error: --shm '%s': use a plain name without '/'\n",
                     opt.shm.c_str());
        return 2;
    }
    if (opt.buffer_size % 8 != 0) {
        std::fprintf(stderr, "amp-board: error: --buffer-size %u is not a multiple of 8\n",
                     opt.buffer_size);
        return 2;
    }
    const uint32_t largest = amp::host::board::max_payload(opt);
    if (opt.size > largest) {
        std::fprintf(stderr,
                     "amp-board: error: --size %u is too large: the largest payload is %u bytes "
                     "(%u-byte buffers - 16-byte RPMsg header - 20-byte frame header, at most "
                     "%u)\n",
                     opt.size, largest, opt.buffer_size,
                     static_cast<unsigned>(amp::kMaxPayloadSize));
        return 2;
    }

    if (*run) {
        // The children get the same options as the runner.
        std::vector<std::string> args;
        bool after = false;
        for (int i = 1; i < argc; ++i) {
            if (after) args.emplace_back(argv[i]);
            if (!after && std::string(argv[i]) == "run") after = true;
        }
        return amp::host::board::run_both(args);
    }
    return amp::host::board::run_core(*cm7 ? amp::CoreId::cm7 : amp::CoreId::cm4, opt);
}
