// The dual-core board's program: CPU0 runs the primary (CM7) role, CPU1 the
// remote (CM4) role, over the portable shared-memory link (amp::ShmLink, as
// the host virtual board) in the SSE-200's shared SRAM, with the MHU as the
// doorbell. Each core sleeps in WFI until the other rings.
//
// The scenarios, one after the other: the hello exchange of the original
// sample (AMP_AN521_HELLOS round trips, the first lines of each core
// printed), the request/response calls of amp::services::RpcScenario in both
// directions, then amp::StreamScenario: the CM7 streams AMP_AN521_STREAM_BYTES
// to the CM4, which checks the CRC-32C and length of what arrived.
//
// The end: CPU0 prints its summaries, then CPU1 prints its own and publishes
// its counters in shared memory; CPU0 checks that both sides agree (hellos,
// calls, link messages, no error, no fault, at least 1000 messages) and ends
// QEMU with exit status 0 only then. A core that makes no progress for
// AMP_AN521_STALL_MS fails the run, naming what it was waiting for.
#include <atomic>
#include <cstdint>

#include "amp/channel.h"
#include "amp/role.h"
#include "amp/rpc.h"
#include "amp/services.h"
#include "amp/shm_link.h"
#include "amp/stream.h"
#include "amp/stream_scenario.h"
#include "board.h"

#ifndef AMP_AN521_HELLOS
#define AMP_AN521_HELLOS 500  // hello round trips (two messages each)
#endif
#ifndef AMP_AN521_CM7_CALLS
#define AMP_AN521_CM7_CALLS 200  // CM7 -> CM4 calls
#endif
#ifndef AMP_AN521_CM4_CALLS
#define AMP_AN521_CM4_CALLS 100  // CM4 -> CM7 calls
#endif
#ifndef AMP_AN521_STREAM_BYTES
#define AMP_AN521_STREAM_BYTES (128u * 1024u)  // CM7 -> CM4
#endif
#ifndef AMP_AN521_STALL_MS
#define AMP_AN521_STALL_MS 5000
#endif

namespace amp::an521 {
namespace {

constexpr uint32_t kHellos = AMP_AN521_HELLOS;
constexpr uint32_t kCalls[2] = {AMP_AN521_CM7_CALLS, AMP_AN521_CM4_CALLS};  // by Cpu
constexpr uint32_t kMinMessages = 1000;
constexpr uint32_t kLoggedHellos = 10;        // round trips printed (the transcript)
constexpr uint32_t kLoggedCalls = 4;          // calls printed per core
constexpr uint32_t kHousekeepingUs = 10'000;  // rpc timeouts, watchdog: checked this often
constexpr uint32_t kStallUs = AMP_AN521_STALL_MS * 1000u;
constexpr uint32_t kLinkBytes = 32 * 1024;  // as one RT1160 IPC instance: 16 x 512 B per direction
constexpr const char* kEndpointName = "amp-an521";

// ---- shared memory ----

/// One core's counters at the end of the run, for the other core to check.
struct Report {
    uint32_t ready;  ///< set last (store-release) by the writer
    uint32_t hellos_sent, hellos_received, errors;
    uint32_t link_tx, link_rx, link_dropped, link_faults, link_no_buffer;
    uint32_t rpc_calls, rpc_ok, rpc_failed, rpc_served;
    uint32_t stream_transfers, stream_ok;
    uint32_t rings, bells, elapsed_us, clock_backwards;
};

/// The SSE-200 SRAM (section .shared, zeroed by CPU0 before CPU1 starts):
/// the link's region, then the reports. Each core writes only its own report.
struct SharedMemory {
    alignas(64) uint8_t link[kLinkBytes];
    alignas(64) Report report[2];  // by Cpu
};
[[gnu::section(".shared")]] SharedMemory g_shared;

std::atomic_ref<uint32_t> ready_flag(Cpu cpu)
{
    return std::atomic_ref<uint32_t>(g_shared.report[index(cpu)].ready);
}

// ---- one core ----

class CoreRunner {
public:
    explicit CoreRunner(Cpu cpu);
    int run();

private:
    bool primary() const { return cpu_ == Cpu::cpu0; }
    Status attach_or_create();
    void run_scenarios();
    void drain();
    void exchange_reports();
    int verdict();
    [[noreturn]] void fail(const char* what, const char* detail = nullptr);
    void note_bound();
    void watchdog(const char* phase);
    const char* phase() const;
    uint32_t link_activity() const;
    void sleep(uint32_t timeout_us)
    {
        bells_ = wait_for_bell(cpu_, clock_, bells_, clock_.now_us() + timeout_us);
    }
    void fill_report(Report& r);

    Cpu cpu_;
    CoreId core_;
    const char* name_;  // "CM7" / "CM4"
    TickClock clock_;
    Console console_;
    MhuDoorbell bell_;
    ShmLink link_;
    Channel channel_;
    Role role_;
    RpcClient rpc_;
    services::RpcScenario scenario_;
    Streams streams_;
    StreamScenario stream_;
    uint32_t bells_ = 0;          // doorbell count when the rings were last looked at
    uint32_t last_activity_ = 0;  // link messages when progress was last seen
    uint32_t progress_us_ = 0;    // ... and when
    uint32_t bound_us_ = 0;
    uint32_t elapsed_us_ = 0;
};

RoleConfig role_config()
{
    RoleConfig rc;
    rc.count = kHellos;
    return rc;
}

services::ScenarioConfig scenario_config(Cpu cpu)
{
    services::ScenarioConfig sc;
    sc.calls = kCalls[index(cpu)];
    sc.in_flight = cpu == Cpu::cpu0 ? 4 : 2;  // several buffers in flight at once
    sc.log_calls = kLoggedCalls;
    // Generous: the run checks correctness, not latency, and a loaded CI
    // machine may stop QEMU for a while.
    sc.timeout_us = 2'000'000;
    // CM7 holds its goodbye until the CM4's calls are done too.
    sc.wait_for_peer = cpu == Cpu::cpu0;
    return sc;
}

StreamScenarioConfig stream_config()
{
    StreamScenarioConfig sc;
    sc.bytes = AMP_AN521_STREAM_BYTES;
    sc.progress = 2;
#if AMP_AN521_CORRUPT_STREAM
    sc.corrupt_at = 1000;  // the test of the test: the CM4 must see it
#endif
    return sc;
}

CoreRunner::CoreRunner(Cpu cpu)
    : cpu_(cpu),
      core_(cpu == Cpu::cpu0 ? CoreId::cm7 : CoreId::cm4),
      name_(core_name(core_)),
      clock_(cpu),
      console_(cpu == Cpu::cpu0 ? "cm7_main" : "cm4_main", clock_, 2 * kLoggedHellos),
      bell_(cpu),
      link_(cpu == Cpu::cpu0 ? shm::Side::primary : shm::Side::remote, bell_, &console_),
      channel_(link_, clock_, &console_),
      role_(core_, channel_, role_config()),
      rpc_(channel_),
      scenario_(core_, rpc_, cpu == Cpu::cpu0 ? &role_ : nullptr, scenario_config(cpu)),
      streams_(channel_),
      // Not tied to the role: run_scenarios() starts it after the calls.
      stream_(core_, streams_, nullptr, stream_config())
{
    channel_.set_protocol(services::protocol());
    Channel::Events events;
    events.bound = [](void* self) { static_cast<CoreRunner*>(self)->note_bound(); };
    events.context = this;
    channel_.set_events(events);
}

void CoreRunner::note_bound()
{
    bound_us_ = clock_.now_us();
    console_.info("IPC endpoint bound");
}

void CoreRunner::fail(const char* what, const char* detail)
{
    Line l;
    l << "FAIL: " << what;
    if (detail != nullptr) l << ": " << detail;
    console_.error(l.c_str());
    exit_run(1);
}

uint32_t CoreRunner::link_activity() const
{
    const ShmLinkCounters c = link_.counters();
    return c.tx_messages + c.rx_messages + c.ns_ignored;
}

// Fails the run when no message has moved for kStallUs: with the doorbell
// broken the peer is never told and this is where the run ends.
void CoreRunner::watchdog(const char* phase)
{
    const uint32_t now = clock_.now_us();
    const uint32_t activity = link_activity();
    if (activity != last_activity_ || progress_us_ == 0) {
        last_activity_ = activity;
        progress_us_ = now;
        return;
    }
    if (elapsed_us(progress_us_, now) < kStallUs) return;
    Line l;
    l << "no progress for " << kStallUs / 1000 << " ms " << phase << " (doorbells taken "
      << irq_state(cpu_).bells.load(std::memory_order_relaxed) << ", rung " << bell_.rings()
      << ", link tx " << link_.counters().tx_messages << ", rx " << link_.counters().rx_messages
      << ')';
    fail(l.c_str());
}

// What the exchange is waiting for, for the watchdog's message.
const char* CoreRunner::phase() const
{
    if (!link_.is_bound()) return "while binding";
    if (!channel_.is_ready()) return "in the version handshake";
    if (primary() && !role_.hellos_done()) return "in the hello exchange";
    if (!scenario_.done()) return "in the calls";
    return "in the stream";
}

Status CoreRunner::attach_or_create()
{
    ShmLinkConfig cfg;
    cfg.name = kEndpointName;
    cfg.tag = index(cpu_) + 1;
    const MutableByteSpan region{g_shared.link, sizeof g_shared.link};
    if (primary()) return link_.create(region, cfg);
    // CPU0 formats the region before it starts CPU1, so this normally
    // succeeds at once; not_found (no header yet) is retried.
    for (;;) {
        const Status st = link_.attach(region, cfg);
        if (st != Status::not_found) return st;
        watchdog("waiting for CPU0 to format the shared memory");
        sleep(kHousekeepingUs);
    }
}

// Binding, the hello exchange and the calls: the link is polled only when
// the peer rang (or the first time), the role and the calls on every wakeup.
void CoreRunner::run_scenarios()
{
    bool first = true;
    uint32_t polled = 0;
    for (;;) {
        if (first || bells_ != polled) {
            polled = bells_;  // read before polling: a ring during poll() is not lost
            first = false;
            link_.poll();
        }
        role_.poll();
        scenario_.poll();
        // The CM7 starts the stream once the calls of both cores are done
        // (one phase at a time, so no phase runs out of buffers because of
        // another); the CM4 receives whenever it comes.
        if (!primary() || scenario_.done()) stream_.poll();
        // The CM7's goodbye waits for the stream too. The board decides it:
        // Role::hold_goodbye() is one flag, which the rpc scenario clears
        // when its own part is done.
        if (primary()) role_.hold_goodbye(!(scenario_.done() && stream_.done()));
        if (link_.faulted()) fail("link fault", to_string(link_.fault()));
        if (scenario_.status() != Status::ok) fail("rpc services", to_string(scenario_.status()));
        if (streams_.status() != Status::ok) fail("streams", to_string(streams_.status()));
        // CM7: goodbye sent (after the calls of both and the stream); CM4:
        // goodbye received, and its calls and the stream done.
        if (role_.done() && scenario_.done() && stream_.done()) break;
        watchdog(phase());
        sleep(kHousekeepingUs);
    }
    elapsed_us_ = elapsed_us(bound_us_, clock_.now_us());
}

// Waits until the peer has given back every buffer this side sent. The peer
// returns buffers without ringing while we have free ones (event
// suppression), so the link is polled on the housekeeping wakeups here.
void CoreRunner::drain()
{
    const uint32_t start = clock_.now_us();
    link_.poll();
    while (link_.free_buffers() < link_.num_buffers() && !link_.faulted()) {
        if (elapsed_us(start, clock_.now_us()) > kStallUs) {
            fail("transmit buffers never given back");
        }
        sleep(kHousekeepingUs);
        link_.poll();
    }
}

void CoreRunner::fill_report(Report& r)
{
    const RoleCounters rc = role_.counters();
    const ShmLinkCounters lc = link_.counters();
    const services::ScenarioCounters sc = scenario_.counters();
    r.hellos_sent = rc.sent;
    r.hellos_received = rc.received;
    r.errors = rc.errors;
    r.link_tx = lc.tx_messages;
    r.link_rx = lc.rx_messages;
    r.link_dropped = lc.rx_dropped;
    r.link_faults = lc.faults;
    r.link_no_buffer = lc.no_buffer;
    r.rpc_calls = sc.calls;
    r.rpc_ok = sc.ok;
    r.rpc_failed = sc.failed;
    r.rpc_served = sc.served;
    r.stream_transfers = stream_.transfers();
    r.stream_ok = stream_.ok() ? 1 : 0;
    r.rings = bell_.rings();
    r.bells = irq_state(cpu_).bells.load(std::memory_order_relaxed);
    r.elapsed_us = elapsed_us_;
    r.clock_backwards = clock_.backwards();
}

// CM7 prints first, then the CM4, so the two summaries end the transcript in
// that order; each core's report becomes visible with a store-release of its
// `ready` word and a ring.
void CoreRunner::exchange_reports()
{
    const Cpu other = primary() ? Cpu::cpu1 : Cpu::cpu0;
    if (!primary()) {
        const uint32_t start = clock_.now_us();
        while (ready_flag(other).load(std::memory_order_acquire) == 0) {
            if (elapsed_us(start, clock_.now_us()) > kStallUs) {
                fail("no end-of-run report from CM7");
            }
            sleep(kHousekeepingUs);
        }
    }
    Line l;
    l << name_ << " link: tx " << link_.counters().tx_messages << ", rx "
      << link_.counters().rx_messages << ", doorbells rung " << bell_.rings() << ", taken "
      << irq_state(cpu_).bells.load(std::memory_order_relaxed) << ", hello lines not shown "
      << console_.muted() << ", " << elapsed_us_ / 1000 << " ms";
    console_.write(LogLevel::plain, l.c_str());
    scenario_.log_summary();
    stream_.log_summary();
    role_.log_summary();

    Report& mine = g_shared.report[index(cpu_)];
    fill_report(mine);
    ready_flag(cpu_).store(1, std::memory_order_release);
    bell_.ring();
    if (primary()) {
        const uint32_t start = clock_.now_us();
        while (ready_flag(other).load(std::memory_order_acquire) == 0) {
            if (elapsed_us(start, clock_.now_us()) > kStallUs) {
                fail("no end-of-run report from CM4");
            }
            sleep(kHousekeepingUs);
        }
    }
}

// CM7: both reports must tell the same story.
int CoreRunner::verdict()
{
    const Report& a = g_shared.report[0];  // CM7
    const Report& b = g_shared.report[1];  // CM4
    struct Check {
        bool ok;
        const char* what;
    };
    const Check checks[] = {
        {a.hellos_sent == kHellos && a.hellos_received == kHellos, "CM7 hellos sent and answered"},
        {b.hellos_received == a.hellos_sent && b.hellos_sent == a.hellos_received,
         "CM4 hellos match CM7's"},
        {a.errors == 0 && b.errors == 0, "no role errors"},
        {a.rpc_calls == kCalls[0] && a.rpc_ok == kCalls[0] && a.rpc_failed == 0, "CM7 calls ok"},
        {b.rpc_calls == kCalls[1] && b.rpc_ok == kCalls[1] && b.rpc_failed == 0, "CM4 calls ok"},
        {a.rpc_served == b.rpc_calls && b.rpc_served == a.rpc_calls, "calls served match"},
        {a.stream_ok == 1 && a.stream_transfers == 1, "CM7 stream confirmed"},
        {b.stream_ok == 1 && b.stream_transfers == 1, "CM4 stream verified"},
        {a.link_tx == b.link_rx && b.link_tx == a.link_rx, "link messages match"},
        {a.link_tx + b.link_tx >= kMinMessages, "at least 1000 messages"},
        {a.link_faults + b.link_faults + a.link_dropped + b.link_dropped == 0,
         "no link fault or drop"},
        {a.bells > 0 && b.bells > 0, "both cores woke on the doorbell"},
        {a.clock_backwards + b.clock_backwards == 0, "clocks monotonic"},
    };
    bool ok = true;
    for (const Check& c : checks) {
        if (c.ok) continue;
        ok = false;
        Line l;
        l << "check failed: " << c.what;
        console_.error(l.c_str());
    }
    Line l;
    l << "amp-an521: " << (ok ? "PASS" : "FAIL") << ": " << a.link_tx + b.link_tx
      << " messages, hellos " << a.hellos_received << '/' << kHellos << ", calls " << a.rpc_ok
      << '+' << b.rpc_ok << ", stream " << (a.stream_ok & b.stream_ok ? "ok" : "failed")
      << ", doorbells " << a.bells << '+' << b.bells << ", " << a.elapsed_us / 1000 << " ms";
    console_.write(LogLevel::plain, l.c_str());
    return ok ? 0 : 1;
}

int CoreRunner::run()
{
    init_core(cpu_);
    if (current_cpu() != cpu_) fail("started on the wrong core");
    console_.info(primary() ? "Starting CM7 application" : "Starting CM4 application");
    role_.start();

    const Status st = attach_or_create();
    if (st != Status::ok) fail(primary() ? "create the link" : "attach the link", to_string(st));
    if (primary()) {
        Line l;
        l << "CPU1 started, vector table at ";
        l.hex(start_cpu1());
        console_.info(l.c_str());
    }
    run_scenarios();
    drain();
    exchange_reports();
    return primary() ? verdict() : 0;
}

}  // namespace
}  // namespace amp::an521

// Each core's program; its objects live on its own stack.
extern "C" int amp_an521_cpu0_main()
{
    amp::an521::CoreRunner runner(amp::an521::Cpu::cpu0);
    return runner.run();
}

extern "C" int amp_an521_cpu1_main()
{
    amp::an521::CoreRunner runner(amp::an521::Cpu::cpu1);
    return runner.run();
}
