#include "drivers.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "cost_rig.h"
#include "transport.h"
#include "util.h"

namespace amp::bench {
namespace {

// Every message starts with {u32 seq, u32 op}; control replies (acks) carry
// two u64 values after it. The rest of the payload is a byte pattern.
constexpr size_t kHeadSize = 8;
constexpr size_t kAckSize = 24;
constexpr size_t kMaxSamples = 4'000'000;  // 16 MB of samples at most
// A timed round-trip run goes on past its time until it has this many
// samples: one stall of seconds (a busy machine) must not end a run with a
// single sample for its percentiles. The watchdog still bounds it.
constexpr size_t kMinSamples = 1000;
enum Op : uint32_t { kData = 0, kSync = 1, kQuit = 2, kAck = 3 };

uint32_t load32(Bytes m, size_t at)
{
    uint32_t v;
    std::memcpy(&v, m.data() + at, sizeof v);
    return v;
}
uint64_t load64(Bytes m, size_t at)
{
    uint64_t v;
    std::memcpy(&v, m.data() + at, sizeof v);
    return v;
}
void set_head(std::vector<uint8_t>& m, uint32_t seq, uint32_t op)
{
    std::memcpy(m.data(), &seq, 4);
    std::memcpy(m.data() + 4, &op, 4);
}
uint8_t pattern(uint32_t seq, size_t i)
{
    return static_cast<uint8_t>(seq * 31u + i);
}
void fill(std::vector<uint8_t>& m, uint32_t seq)
{
    for (size_t i = kHeadSize; i < m.size(); ++i) m[i] = pattern(seq, i);
}
bool check_fill(Bytes m, uint32_t seq)
{
    for (size_t i = kHeadSize; i < m.size(); ++i) {
        if (m[i] != pattern(seq, i)) return false;
    }
    return true;
}

void fail(const std::string& what)
{
    std::fprintf(stderr, "amp-bench: %s\n", what.c_str());
}

// One measurement between two processes: the transport, the child's pid and
// where each process runs.
struct Session {
    std::unique_ptr<Transport> t;
    size_t size = 0;
    pid_t child = -1;
    int parent_cpu = -1;
    int child_cpu = -1;

    std::string cpus_json() const
    {
        if (parent_cpu < 0) return "[]";
        return fmt::format("[{}, {}]", parent_cpu, child_cpu);
    }
};

unsigned watchdog_seconds(const RunLimits& limits)
{
    return limits.count != 0 ? 120u : static_cast<unsigned>(limits.seconds * 4 + 60);
}

// Makes the transport, forks, pins both processes and attaches both sides.
// The child runs `child_body` and exits with its result.
template <class ChildBody>
bool start(Session& s, const std::string& name, size_t size, const RunLimits& limits,
           bool need_stream, ChildBody child_body)
{
    const TransportInfo* info = find_transport(name);
    if (info == nullptr) {
        fail("unknown transport '" + name + "' (see: amp-bench list)");
        return false;
    }
    s.t = info->make();
    if (need_stream && !s.t->streams()) {
        fail(name + " carries one message at a time: round trips only");
        return false;
    }
    s.size = size == kSizeMax ? s.t->max_payload() : size;
    if (s.size < kAckSize || s.size > s.t->max_payload()) {
        fail(fmt::format("{}: size {} outside [{}, {}]", name, s.size, kAckSize,
                         s.t->max_payload()));
        return false;
    }

    const std::vector<int> cpus = allowed_cpus();
    if (limits.pin && cpus.size() >= 2) {
        s.parent_cpu = cpus[0];
        s.child_cpu = cpus[1];
        if (!pin_to_cpu(s.parent_cpu)) s.parent_cpu = s.child_cpu = -1;
    }

    TransportOptions options;
    options.unique_name = fmt::format("amp-bench-{}", getpid());
    options.shared_core = cpus.size() < 2;
    options.payload_size = s.size;
    std::string error;
    if (!s.t->open(options, error)) {
        fail(name + ": open: " + error);
        return false;
    }

    const pid_t parent = getpid();
    std::fflush(nullptr);
    s.child = fork();
    if (s.child < 0) {
        fail(std::string("fork: ") + std::strerror(errno));
        return false;
    }
    if (s.child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the parent
        if (getppid() != parent) _exit(3);
        if (s.child_cpu >= 0) pin_to_cpu(s.child_cpu);
        alarm(watchdog_seconds(limits));
        int rc = 1;
        if (s.t->attach(Side::child, error)) {
            rc = child_body(*s.t);
        } else {
            fail(name + ": attach (child): " + error);
        }
        s.t->close();
        _exit(rc);
    }
    alarm(watchdog_seconds(limits));  // a stuck peer ends the run, not the machine
    if (!s.t->attach(Side::parent, error)) {
        fail(name + ": attach (parent): " + error);
        kill(s.child, SIGKILL);
        waitpid(s.child, nullptr, 0);
        return false;
    }
    return true;
}

// Closes the parent's side and collects the child: true if it exited 0.
bool finish(Session& s, bool ok)
{
    s.t->close();
    if (!ok) kill(s.child, SIGKILL);
    int status = 0;
    waitpid(s.child, &status, 0);
    alarm(0);
    if (ok && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        fail(WIFSIGNALED(status) ? fmt::format("child killed by signal {}", WTERMSIG(status))
                                 : fmt::format("child exited {}", WEXITSTATUS(status)));
        return false;
    }
    return ok;
}

// Child of a round trip: sends every message straight back.
int echo_loop(Transport& t)
{
    bool quit = false;
    bool ok = true;
    while (!quit && ok) {
        const int n = t.receive([&](Bytes m) {
            if (m.size() < kHeadSize) {
                ok = false;
                return;
            }
            if (load32(m, 4) == kQuit) quit = true;
            if (!t.send(m)) ok = false;
        });
        if (n < 0) ok = false;
    }
    return ok ? 0 : 1;
}

// Child of a stream: counts and checks; answers each sync (and the quit)
// with an ack carrying {messages, errors} since the previous one.
int sink_loop(Transport& t, size_t size, bool verify)
{
    uint64_t count = 0;
    uint64_t errors = 0;
    uint32_t expect = 0;
    bool quit = false;
    bool ok = true;
    std::vector<uint8_t> ack(kAckSize);
    while (!quit && ok) {
        const int n = t.receive([&](Bytes m) {
            if (m.size() < kHeadSize) {
                ++errors;
                return;
            }
            const uint32_t seq = load32(m, 0);
            switch (load32(m, 4)) {
            case kData:
                if (m.size() != size || seq != expect || (verify && !check_fill(m, seq))) ++errors;
                expect = seq + 1;
                ++count;
                break;
            case kQuit: quit = true; [[fallthrough]];
            case kSync:
                set_head(ack, 0, kAck);
                std::memcpy(ack.data() + 8, &count, 8);
                std::memcpy(ack.data() + 16, &errors, 8);
                if (!t.send(ack)) ok = false;
                count = errors = 0;
                expect = 0;
                break;
            default: ++errors; break;
            }
        });
        if (n < 0) ok = false;
    }
    return ok ? 0 : 1;
}

std::string histogram_json(const LatencySummary& s)
{
    std::string out = "[";
    for (size_t i = 0; i < s.histogram.size(); ++i) {
        out += fmt::format("{}[{:.1f}, {}]", i ? ", " : "", s.histogram[i].first,
                           s.histogram[i].second);
    }
    return out + "]";
}

}  // namespace

int run_rtt(const std::string& name, size_t size, const RunLimits& limits)
{
    Session s;
    if (!start(s, name, size, limits, false, [](Transport& t) { return echo_loop(t); })) {
        return 1;
    }
    Transport& t = *s.t;
    std::vector<uint8_t> msg(s.size);
    fill(msg, 0);
    uint64_t errors = 0;
    uint32_t seq = 0;
    bool ok = true;

    // One round trip; its duration in ns, or -1 if the transport broke.
    auto round_trip = [&]() -> int64_t {
        set_head(msg, seq, kData);
        if (limits.verify) fill(msg, seq);
        int got = 0;
        const uint64_t t0 = now_ns();
        if (!t.send(msg)) return -1;
        const int n = t.receive([&](Bytes m) {
            ++got;
            if (m.size() != s.size || load32(m, 0) != seq ||
                (limits.verify && !check_fill(m, seq))) {
                ++errors;
            }
        });
        const uint64_t t1 = now_ns();
        ++seq;
        return n == 1 && got == 1 ? static_cast<int64_t>(t1 - t0) : -1;
    };

    for (uint64_t i = 0; i < limits.warmup && ok; ++i) ok = round_trip() >= 0;

    std::vector<uint32_t> samples;
    samples.reserve(limits.count != 0 ? limits.count : 1u << 20);
    const uint64_t start_ns = now_ns();
    const uint64_t deadline = start_ns + static_cast<uint64_t>(limits.seconds * 1e9);
    while (ok) {
        if (limits.count != 0 ? samples.size() >= limits.count
                              : (samples.size() >= kMaxSamples ||
                                 (now_ns() >= deadline && samples.size() >= kMinSamples))) {
            break;
        }
        const int64_t ns = round_trip();
        if (ns < 0) {
            ok = false;
            break;
        }
        samples.push_back(static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX)));
    }
    const double elapsed = static_cast<double>(now_ns() - start_ns) / 1e9;

    if (ok) {  // the child echoes the quit and exits
        set_head(msg, seq, kQuit);
        ok = t.send(msg) && t.receive([](Bytes) {}) == 1;
    }
    if (!ok) fail(name + ": the transport broke during the run");
    ok = finish(s, ok) && ok;
    if (errors != 0) fail(fmt::format("{}: {} echoes were wrong", name, errors));

    LatencySummary sum = summarise(samples);
    fmt::print(
        "{{\"kind\": \"rtt\", \"transport\": {}, \"size\": {}, \"samples\": {}, \"warmup\": {}, "
        "\"seconds\": {:.3f}, \"errors\": {}, \"cpus\": {}, \"min_us\": {:.4f}, \"mean_us\": "
        "{:.4f}, \"p50_us\": {:.4f}, \"p90_us\": {:.4f}, \"p99_us\": {:.4f}, \"p999_us\": "
        "{:.4f}, \"max_us\": {:.4f}, \"hist\": {}}}\n",
        json_string(name), s.size, sum.samples, limits.warmup, elapsed, errors, s.cpus_json(),
        sum.min_us, sum.mean_us, sum.p50_us, sum.p90_us, sum.p99_us, sum.p999_us, sum.max_us,
        histogram_json(sum));
    return ok && errors == 0 && sum.samples > 0 ? 0 : 1;
}

int run_stream(const std::string& name, size_t size, const RunLimits& limits)
{
    Session s;
    const bool verify = limits.verify;
    // s.size is set by start() before it forks, so the child sees it.
    auto child = [&](Transport& t) { return sink_loop(t, s.size, verify); };
    if (!start(s, name, size, limits, true, child)) return 1;
    Transport& t = *s.t;
    std::vector<uint8_t> msg(s.size);
    std::vector<uint8_t> ctl(kAckSize);
    fill(msg, 0);
    bool ok = true;

    struct Phase {
        uint64_t sent = 0, received = 0, errors = 0, ns = 0;
    };
    // Sends `count` messages (or for `seconds`), then a sync, and waits for
    // the child's ack: the time runs until every message has arrived.
    auto phase = [&](uint64_t count, double seconds) {
        Phase p;
        const uint64_t t0 = now_ns();
        const uint64_t deadline = t0 + static_cast<uint64_t>(seconds * 1e9);
        while (ok) {
            if (count != 0 ? p.sent >= count : ((p.sent & 255u) == 0 && now_ns() >= deadline)) {
                break;
            }
            set_head(msg, static_cast<uint32_t>(p.sent), kData);
            if (verify) fill(msg, static_cast<uint32_t>(p.sent));
            ok = t.send(msg);
            ++p.sent;
        }
        set_head(ctl, 0, kSync);
        ok = ok && t.send(ctl);
        bool acked = false;
        while (ok && !acked) {
            ok = t.receive([&](Bytes m) {
                if (m.size() == kAckSize && load32(m, 4) == kAck) {
                    p.received = load64(m, 8);
                    p.errors = load64(m, 16);
                    acked = true;
                }
            }) > 0;
        }
        p.ns = now_ns() - t0;
        return p;
    };

    if (limits.warmup != 0) phase(limits.warmup, 0);
    const Phase p = phase(limits.count, limits.seconds);
    if (ok) {
        set_head(ctl, 0, kQuit);
        ok = t.send(ctl) && t.receive([](Bytes) {}) > 0;
    }
    if (!ok) fail(name + ": the transport broke during the run");
    ok = finish(s, ok) && ok;
    const bool complete = p.received == p.sent && p.errors == 0;
    if (ok && !complete) {
        fail(fmt::format("{}: sent {}, the child received {} with {} errors", name, p.sent,
                         p.received, p.errors));
    }
    const double secs = static_cast<double>(p.ns) / 1e9;
    const double rate = secs > 0 ? static_cast<double>(p.received) / secs : 0;
    fmt::print(
        "{{\"kind\": \"stream\", \"transport\": {}, \"size\": {}, \"messages\": {}, \"seconds\": "
        "{:.4f}, \"errors\": {}, \"cpus\": {}, \"msgs_per_s\": {:.1f}, \"mb_per_s\": {:.2f}}}\n",
        json_string(name), s.size, p.received, secs, p.errors + (p.sent - p.received),
        s.cpus_json(), rate, rate * static_cast<double>(s.size) / 1e6);
    return ok && complete && p.sent > 0 ? 0 : 1;
}

int run_memcpy(size_t size, const RunLimits& limits)
{
    // A ring of 512-byte slots, like a transport's buffers; 128 KiB stays in L2.
    constexpr size_t kSlot = 512;
    constexpr size_t kSlots = 256;
    if (size == kSizeMax) size = 496;
    if (size == 0 || size > kSlot) {
        fail("memcpy: size must be 1..512");
        return 1;
    }
    std::vector<uint8_t> src(size, 0x5A);
    std::vector<uint8_t> ring(kSlot * kSlots);
    uint64_t copies = 0;
    const uint64_t t0 = now_ns();
    const uint64_t deadline = t0 + static_cast<uint64_t>(limits.seconds * 1e9);
    for (;;) {
        for (size_t i = 0; i < 4096; ++i) {
            std::memcpy(ring.data() + (i % kSlots) * kSlot, src.data(), size);
            asm volatile("" : : "r"(ring.data()) : "memory");  // keep every copy
        }
        copies += 4096;
        if (limits.count != 0 ? copies >= limits.count : now_ns() >= deadline) break;
    }
    const double secs = static_cast<double>(now_ns() - t0) / 1e9;
    const double rate = static_cast<double>(copies) / secs;
    fmt::print(
        "{{\"kind\": \"memcpy\", \"size\": {}, \"messages\": {}, \"seconds\": {:.4f}, "
        "\"ns_per_copy\": {:.3f}, \"msgs_per_s\": {:.1f}, \"mb_per_s\": {:.2f}}}\n",
        size, copies, secs, 1e9 / rate, rate, rate * static_cast<double>(size) / 1e6);
    return 0;
}

int run_clock(const RunLimits& limits)
{
    const uint64_t n = limits.count != 0 ? limits.count : 2'000'000;
    uint64_t sink = 0;
    const uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; ++i) sink += now_ns();
    const uint64_t t1 = now_ns();
    asm volatile("" : : "r"(sink));
    fmt::print("{{\"kind\": \"clock\", \"reads\": {}, \"ns_per_read\": {:.2f}}}\n", n,
               static_cast<double>(t1 - t0) / static_cast<double>(n));
    return 0;
}

int run_cost(const std::string& name, size_t size, uint64_t messages)
{
    const CostRigInfo* info = find_cost_rig(name);
    if (info == nullptr) {
        fail("unknown cost rig '" + name + "' (see: amp-bench list)");
        return 1;
    }
    std::unique_ptr<CostRig> rig = info->make();
    if (size == kSizeMax) size = rig->max_payload();
    if (size > rig->max_payload()) {
        fail(fmt::format("{}: size {} over the maximum {}", name, size, rig->max_payload()));
        return 1;
    }
    std::string error;
    if (!rig->open(error)) {
        fail(name + ": open: " + error);
        return 1;
    }
    std::vector<uint8_t> payload(size, 0xA5);  // constant: every message costs the same
    bool ok = true;
    for (uint64_t i = 0; i < messages && ok; ++i) ok = rig->one_message(payload);
    ok = ok && rig->delivered() == messages;
    fmt::print(
        "{{\"kind\": \"cost\", \"rig\": {}, \"size\": {}, \"messages\": {}, \"delivered\": "
        "{}, \"ok\": {}}}\n",
        json_string(name), size, messages, rig->delivered(), ok);
    if (!ok) fail(name + ": a message was not delivered");
    return ok ? 0 : 1;
}

int run_list()
{
    std::string out = "{\"transports\": [";
    bool first = true;
    for (const TransportInfo& info : transports()) {
        auto t = info.make();
        out +=
            fmt::format("{}{{\"name\": {}, \"max_payload\": {}, \"streams\": {}, \"about\": {}}}",
                        first ? "" : ", ", json_string(info.name), t->max_payload(), t->streams(),
                        json_string(info.about));
        first = false;
    }
    out += "], \"cost_rigs\": [";
    first = true;
    for (const CostRigInfo& info : cost_rigs()) {
        auto r = info.make();
        out +=
            fmt::format("{}{{\"name\": {}, \"max_payload\": {}, \"about\": {}}}", first ? "" : ", ",
                        json_string(info.name), r->max_payload(), json_string(info.about));
        first = false;
    }
    std::string cpus;
    for (int c : allowed_cpus()) cpus += fmt::format("{}{}", cpus.empty() ? "" : ", ", c);
    fmt::print("{}], \"cpus\": [{}]}}\n", out, cpus);
    return 0;
}

}  // namespace amp::bench
