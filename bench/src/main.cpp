// amp-bench: one measurement per invocation, one JSON object on stdout.
// bench/run.py runs the whole set and writes the report.
#include <string>

#include <CLI/CLI.hpp>

#include "drivers.h"

namespace {

// "max" or a byte count.
size_t parse_size(const std::string& text)
{
    return text == "max" ? amp::bench::kSizeMax : std::stoul(text);
}

void add_limits(CLI::App* cmd, amp::bench::RunLimits& limits)
{
    cmd->add_option("--seconds", limits.seconds, "measure for this long")->capture_default_str();
    cmd->add_option("--count", limits.count,
                    "measure exactly this many instead (0: use --seconds)");
    cmd->add_option("--warmup", limits.warmup, "round trips/messages before measuring")
        ->capture_default_str();
    cmd->add_flag("--verify", limits.verify, "fill and check every payload byte (smoke runs)");
    cmd->add_flag("!--no-pin", limits.pin, "do not pin the two processes to two CPUs");
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"amp-bench: latency, throughput and cost per message of IPC transports"};
    app.require_subcommand(1);

    amp::bench::RunLimits limits;
    std::string transport;
    std::string size = "32";
    std::string rig;
    uint64_t messages = 1000;

    app.add_subcommand("list", "registered transports and cost rigs, as JSON");

    auto* rtt = app.add_subcommand("rtt", "round-trip latency: the parent sends, the child echoes");
    auto* stream =
        app.add_subcommand("stream", "one-way throughput: the parent sends, the child counts");
    for (auto* cmd : {rtt, stream}) {
        cmd->add_option("-t,--transport", transport, "transport name (see list)")->required();
        cmd->add_option("-s,--size", size, "payload bytes, or max")->capture_default_str();
        add_limits(cmd, limits);
    }

    auto* copy = app.add_subcommand("memcpy", "memcpy of the payload into a ring of buffers");
    copy->add_option("-s,--size", size, "payload bytes, or max (496)")->capture_default_str();
    add_limits(copy, limits);

    auto* clock = app.add_subcommand("clock", "cost of one clock read (inside every sample)");
    add_limits(clock, limits);

    auto* cost = app.add_subcommand(
        "cost", "the fixed workload for callgrind: N messages through a cost rig, one process");
    cost->add_option("-r,--rig", rig, "cost rig name (see list)")->required();
    cost->add_option("-s,--size", size, "payload bytes, or max")->capture_default_str();
    cost->add_option("-n,--messages", messages, "messages to send")->capture_default_str();

    CLI11_PARSE(app, argc, argv);

    size_t bytes = 0;
    try {
        bytes = parse_size(size);
    } catch (const std::exception&) {
        std::fprintf(stderr, "amp-bench: --size must be a number or max\n");
        return 2;
    }
    if (app.got_subcommand("list")) return amp::bench::run_list();
    if (rtt->parsed()) return amp::bench::run_rtt(transport, bytes, limits);
    if (stream->parsed()) return amp::bench::run_stream(transport, bytes, limits);
    if (copy->parsed()) return amp::bench::run_memcpy(bytes, limits);
    if (clock->parsed()) return amp::bench::run_clock(limits);
    return amp::bench::run_cost(rig, bytes, messages);
}
