// One core of the virtual board: the role, the scenarios (rpc, stream), the
// supervisor, the channel and the shared-memory link in a single-threaded
// event loop that sleeps on the doorbell.
//
// Recovery: the other core may die (kill -9) and start again at any time.
//  - Its death is noticed by its process id (the link keeps each side's pid
//    in the region; checked with kill(pid, 0) every 100 ms), by the link
//    itself (a new CM4 requesting a session, a region re-formatted by a new
//    CM7) and by the supervisor's heartbeats. The link unbinds; the
//    supervisor fails pending calls and aborts streams; this core keeps
//    running and waits up to --timeout for the other one to come back.
//  - A CM7 that starts over a region left by a dead CM7 formats it again in
//    place (new generation): a CM4 still mapped to it follows by itself. A
//    CM4 that starts while a dead CM4 still holds the remote side takes it
//    over (ShmLinkConfig::replaces = the dead pid).
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "amp/channel.h"
#include "amp/role.h"
#include "amp/rpc.h"
#include "amp/services.h"
#include "amp/shm_link.h"
#include "amp/stream.h"
#include "amp/stream_scenario.h"
#include "amp/supervisor.h"
#include "amp/wire.h"
#include "amp_host/console.h"
#include "amp_host/shm_region.h"
#include "board.h"

namespace amp::host::board {
namespace {

using SysClock = std::chrono::steady_clock;
using shm::Side;

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_finish = 0;  // SIGUSR1: end the run gracefully

void on_signal(int sig)
{
    if (sig == SIGUSR1) {
        g_finish = 1;
    } else {
        g_stop = 1;
    }
}

void install_signal_handlers()
{
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a futex wait returns with EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);
    // A closed console (`amp-board run | head`) must not kill the core before
    // it removes its shared memory: writes just fail.
    std::signal(SIGPIPE, SIG_IGN);
}

uint64_t monotonic_ns()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// stdout for `run`'s children: each complete line goes out in one write(),
// prefixed with the time it was completed (see kStampEnv).
ssize_t stamped_write(void* cookie, const char* data, size_t size)
{
    auto* pending = static_cast<std::string*>(cookie);
    pending->append(data, size);
    size_t start = 0;
    for (size_t nl; (nl = pending->find('\n', start)) != std::string::npos; start = nl + 1) {
        const std::string line = fmt::format(
            "{} {}", monotonic_ns(), std::string_view(*pending).substr(start, nl + 1 - start));
        for (size_t done = 0; done < line.size();) {
            const ssize_t n = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return -1;
            done += static_cast<size_t>(n);
        }
    }
    pending->erase(0, start);
    return static_cast<ssize_t>(size);
}

std::FILE* console_file()
{
    if (std::getenv(kStampEnv) == nullptr) return stdout;
    static std::string pending;
    static std::FILE* stamped = [] {
        cookie_io_functions_t io{};
        io.write = stamped_write;
        std::FILE* f = ::fopencookie(&pending, "w", io);
        return f != nullptr ? f : stdout;
    }();
    return stamped;
}

class SteadyClock final : public amp::Clock {
public:
    uint32_t now_us() const override
    {
        return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                         SysClock::now().time_since_epoch())
                                         .count());
    }
};

// Drops the per-message lines (plain level) while quiet; everything else passes.
class QuietSink final : public LogSink {
public:
    explicit QuietSink(LogSink& out) : out_(out) {}
    void write(LogLevel level, const char* line) override
    {
        if (quiet && level == LogLevel::plain) return;
        out_.write(level, line);
    }
    bool quiet = false;

private:
    LogSink& out_;
};

struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

double seconds_since(SysClock::time_point t)
{
    return std::chrono::duration<double>(SysClock::now() - t).count();
}

// What a region's header says about its owners (read without trusting it).
struct HeaderView {
    bool valid = false;  // magic present
    uint32_t primary_pid = 0;
    uint32_t remote_pid = 0;
};

// Stream transfers over the scenario objects of one run (the stream scenario
// is armed again after each transfer: see CoreRunner::rearm_stream).
struct StreamTally {
    uint32_t transfers = 0;
    uint32_t ok = 0;
    uint32_t failed = 0;
};

HeaderView inspect(const ShmRegion& r)
{
    HeaderView v;
    if (r.size() < sizeof(shm::RegionHeader)) return v;
    auto* h = static_cast<shm::RegionHeader*>(static_cast<void*>(r.base()));
    v.valid = std::atomic_ref<uint32_t>(h->magic).load(std::memory_order_acquire) == shm::kMagic;
    v.primary_pid = std::atomic_ref<uint32_t>(h->side[0].tag).load(std::memory_order_relaxed);
    v.remote_pid = std::atomic_ref<uint32_t>(h->side[1].tag).load(std::memory_order_relaxed);
    return v;
}

class CoreRunner {
public:
    CoreRunner(CoreId core, const Options& opt)
        : core_(core),
          opt_(opt),
          primary_(core == CoreId::cm7),
          me_(primary_ ? "cm7" : "cm4"),
          peer_(primary_ ? "CM4" : "CM7"),
          console_(primary_ ? "cm7_main" : "cm4_main", console_file()),
          log_(console_),
          waiter_(opt.doorbell),
          link_(primary_ ? Side::primary : Side::remote, bell_, &log_),
          channel_(link_, clock_, &log_),
          role_(core, channel_, role_config(opt)),
          rpc_(channel_),
          streams_(channel_),
          supervisor_(channel_, supervisor_config(opt), &rpc_, &streams_),
          corrupter_(opt.corrupt_every)
    {
    }

    int run();

private:
    // Hellos for --duration only when nothing else runs after them.
    bool hello_duration() const { return opt_.duration_s > 0 && !opt_.rpc && !opt_.stream; }
    static RoleConfig role_config(const Options& opt)
    {
        RoleConfig rc;
        rc.count = opt.duration_s > 0 && !opt.rpc && !opt.stream ? UINT32_MAX : opt.count;
        rc.interval_us = opt.interval_us;
        rc.payload_size = opt.size;
        return rc;
    }
    static SupervisorConfig supervisor_config(const Options& opt)
    {
        SupervisorConfig c;
        c.period_us = opt.heartbeat_ms * 1000;
        c.max_missed = opt.missed;
        return c;
    }
    ShmLinkConfig link_config() const
    {
        ShmLinkConfig c;
        c.name = kEndpointName;
        c.buffer_size = opt_.buffer_size;
        c.tag = static_cast<uint32_t>(::getpid());
        return c;
    }
    std::string path() const { return shm_file_path(opt_.shm); }
    std::string shm_arg() const { return opt_.shm == "amp-board" ? "" : " --shm " + opt_.shm; }

    void start_scenarios();
    void create_region();
    void attach_region();
    void follow_region();
    void loop();
    void poll_apps();
    bool extras_done() const;
    void rearm_stream();
    void check_state();
    bool finished();
    void supervise();
    void drain();
    std::string verdict();
    void log_summaries();
    void print_stats();
    void wait_for_work(uint32_t timeout_us)
    {
        waiter_.wait([this] { return link_.work_pending(); }, timeout_us);
    }
    uint32_t next_wait_us();
    void note_waiting(const char* what)
    {
        if (warned_waiting_ || seconds_since(start_) < 1.0) return;
        warned_waiting_ = true;
        std::fprintf(stderr, "amp-board %s: waiting for %s on %s\n", me_, what, path().c_str());
    }

    CoreId core_;
    const Options& opt_;
    bool primary_;
    const char* me_;
    const char* peer_;
    ConsoleSink console_;
    QuietSink log_;
    SteadyClock clock_;
    FutexDoorbell bell_;
    BellWaiter waiter_;
    ShmLink link_;
    Channel channel_;
    Role role_;
    RpcClient rpc_;
    Streams streams_;
    Supervisor supervisor_;
    Corrupter corrupter_;  // --corrupt-every (testing)
    std::optional<services::RpcScenario> rpc_scenario_;
    std::optional<StreamScenario> stream_;
    bool stream_tallied_ = false;  // the current stream_'s outcome is in tally_
    StreamTally tally_;
    std::optional<ShmRegion> region_;
    SysClock::time_point start_ = SysClock::now();
    SysClock::time_point last_check_ = SysClock::now();
    SysClock::time_point last_progress_ = SysClock::now();
    std::optional<SysClock::time_point> first_ready_;  // --duration counts from here
    std::optional<SysClock::time_point> down_since_;   // the other core is not there
    bool warned_waiting_ = false;
    bool ever_bound_ = false;
    bool stopping_ = false;  // CM7 --duration: no new hellos or transfers
    uint32_t lost_pid_ = 0;  // the other core's process, seen dead
};

// Before anything binds: the protocol both announce, the services, streams.
void CoreRunner::start_scenarios()
{
    channel_.set_protocol(services::protocol(opt_.protocol_version));
    services::ScenarioConfig sc;
    sc.calls = opt_.rpc && (primary_ || opt_.rpc_both_ways) ? opt_.rpc_calls : 0;
    sc.in_flight = opt_.rpc_in_flight;
    sc.timeout_us = opt_.rpc_timeout_ms * 1000;
    sc.wait_for_peer = opt_.rpc && opt_.rpc_both_ways;
    // Every core serves the services; the CM7 calls after its hellos.
    rpc_scenario_.emplace(core_, rpc_, primary_ ? &role_ : nullptr, sc);
    if (primary_ ? opt_.stream : true) {  // a CM4 receives whatever comes
        StreamScenarioConfig cfg;
        cfg.bytes = opt_.stream_bytes;
        stream_.emplace(core_, streams_, primary_ ? &role_ : nullptr, cfg);
    }
    // The supervisor's loss needs no hook here: a silent peer whose process
    // lives is slow, and the supervisor restarts the channel's session; a
    // dead one is found by the process-id check (supervise()), which resets
    // the link.
}

// CM7: creates the region, or formats again in place one left by a dead CM7
// (a CM4 still attached to it follows).
void CoreRunner::create_region()
{
    for (int attempt = 0; attempt < 4 && !region_; ++attempt) {
        if (auto r = ShmRegion::create(opt_.shm, opt_.shm_size)) {
            r->remove_on_close(true);
            region_ = std::move(r);
            break;
        }
        auto old = ShmRegion::open(opt_.shm);
        if (!old) continue;  // vanished meanwhile: try again
        const HeaderView h = inspect(*old);
        if (h.valid && process_alive(h.primary_pid)) {
            throw Failure(fmt::format(
                "shared memory {} is in use by a running CM7 (pid {}); choose another --shm "
                "NAME, or if pid {} is not an amp-board, remove it: rm {}",
                path(), h.primary_pid, h.primary_pid, path()));
        }
        if (!h.valid && attempt == 0) {  // maybe another CM7 is formatting it right now
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            continue;
        }
        std::fprintf(stderr,
                     "amp-board cm7: reclaiming stale shared memory %s (creator pid %u is gone)\n",
                     path().c_str(), h.primary_pid);
        if (old->size() == opt_.shm_size) {
            old->remove_on_close(true);
            region_ = std::move(old);
            break;
        }
        ShmRegion::remove(opt_.shm);
    }
    if (!region_) throw Failure("cannot create shared memory " + path());
    bell_.bind(region_->base(), Side::remote);
    waiter_.bind(region_->base(), Side::primary);
    if (link_.create(region_->bytes(), link_config()) != Status::ok) {
        throw Failure(fmt::format("cannot lay out {} bytes of shared memory with {}-byte buffers",
                                  opt_.shm_size, opt_.buffer_size));
    }
}

// CM4: attaches to the region once a live CM7 has formatted it; takes over
// the side of a dead CM4.
void CoreRunner::attach_region()
{
    for (;;) {
        if (g_stop != 0) throw Failure("interrupted");
        if (auto r = ShmRegion::open(opt_.shm)) {
            const HeaderView h = inspect(*r);
            if (h.valid && process_alive(h.primary_pid)) {
                bell_.bind(r->base(), Side::primary);
                waiter_.bind(r->base(), Side::remote);
                ShmLinkConfig c = link_config();
                Status st = link_.attach(r->bytes(), c);
                const bool dead_holder = h.remote_pid != 0 && !process_alive(h.remote_pid);
                if (st == Status::busy && dead_holder) {
                    c.replaces = h.remote_pid;
                    st = link_.attach(r->bytes(), c);
                    if (st == Status::ok) {
                        console_.info(fmt::format("taking over the CM4 side of {} (pid {} is gone)",
                                                  path(), h.remote_pid));
                    }
                }
                if (st == Status::ok) {
                    region_ = std::move(r);
                    return;
                }
                if (st == Status::busy && !dead_holder && h.remote_pid != 0) {
                    throw Failure(fmt::format("another CM4 (pid {}) is attached to {}",
                                              h.remote_pid, path()));
                }
                if (st == Status::version_mismatch || st == Status::invalid_argument) {
                    throw Failure("shared memory " + path() +
                                  " has an incompatible layout (see the log above)");
                }
            }
        }
        if (seconds_since(start_) > opt_.timeout_s) {
            throw Failure(fmt::format("no CM7 created {} within {} s (start `amp-board cm7{}`)",
                                      path(), opt_.timeout_s, shm_arg()));
        }
        note_waiting("the CM7 to create the shared memory");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// CM4 waiting for a CM7 that came back: if the name now refers to another
// region (the new CM7 could not reuse the old one), move there.
void CoreRunner::follow_region()
{
    if (primary_ || link_.is_bound() || !region_ || region_->is_current()) return;
    auto r = ShmRegion::open(opt_.shm);
    if (!r) return;
    const HeaderView h = inspect(*r);
    if (!h.valid || !process_alive(h.primary_pid)) return;
    bell_.bind(r->base(), Side::primary);
    waiter_.bind(r->base(), Side::remote);
    if (link_.attach(r->bytes(), link_config()) == Status::ok) {
        console_.info(
            fmt::format("attached to the new shared memory of the CM7 (pid {})", h.primary_pid));
        region_ = std::move(r);
        return;
    }
    bell_.bind(region_->base(), Side::primary);
    waiter_.bind(region_->base(), Side::remote);
}

void CoreRunner::poll_apps()
{
    // The rpc scenario would count calls refused while the peer is away.
    if (channel_.is_ready()) rpc_scenario_->poll();
    if (stream_) {
        stream_->poll();
        rearm_stream();
    }
    if (!primary_) return;
    if (!stopping_ &&
        ((first_ready_ && opt_.duration_s > 0 && seconds_since(*first_ready_) >= opt_.duration_s) ||
         g_finish != 0)) {
        stopping_ = true;  // no new hellos or transfers; finish those under way
    }
    // The goodbye waits for every scenario (each one clears the hold when
    // its own part is done: the board decides).
    role_.hold_goodbye(!extras_done());
    if (!(stopping_ && hello_duration())) role_.poll();
}

bool CoreRunner::extras_done() const
{
    if (opt_.rpc && !rpc_scenario_->done()) return false;
    if (primary_ && opt_.stream) return stream_->done() && (opt_.duration_s == 0 || stopping_);
    return true;
}

// A finished transfer is tallied; the CM7 under --duration streams the next
// one, the CM4 is ready for the next one.
void CoreRunner::rearm_stream()
{
    if (!stream_->done() || stream_tallied_) return;
    stream_tallied_ = true;
    tally_.transfers += stream_->transfers();
    (stream_->ok() ? tally_.ok : tally_.failed) += 1;
    const bool again = stream_->ok() && (primary_ ? opt_.duration_s > 0 && !stopping_ : true);
    if (!again) return;
    StreamScenarioConfig cfg;
    cfg.bytes = opt_.stream_bytes;
    stream_.emplace(core_, streams_, primary_ ? &role_ : nullptr, cfg);
    stream_tallied_ = false;
}

void CoreRunner::check_state()
{
    if (link_.faulted()) {
        throw Failure(fmt::format("link fault ({}), see the log above", to_string(link_.fault())));
    }
    if (region_ && !link_.attached()) {  // only a CM4 that another one replaced
        throw Failure(
            fmt::format("another CM4 (pid {}) took over {}", inspect(*region_).remote_pid, path()));
    }
    if (channel_.state() == Channel::State::mismatch) {
        const ProtocolInfo mine = channel_.protocol();
        const ProtocolInfo theirs = channel_.peer_protocol();
        throw Failure(fmt::format(
            "protocol mismatch: this core speaks v{} (hash {:#010x}), the {} v{} (hash {:#010x}); "
            "no application traffic",
            mine.version, mine.type_table_hash, peer_, theirs.version, theirs.type_table_hash));
    }
    if (rpc_scenario_->status() != Status::ok) {
        throw Failure(fmt::format("rpc services: {}", to_string(rpc_scenario_->status())));
    }
    if (streams_.status() != Status::ok) {
        throw Failure(fmt::format("streams: {}", to_string(streams_.status())));
    }
}

// CM7: goodbye sent (after the hellos and every scenario); CM4: goodbye received.
bool CoreRunner::finished()
{
    if (!primary_ || !hello_duration()) return role_.done();
    if (!stopping_) return false;
    const RoleCounters c = role_.counters();
    if (c.received != c.sent || !extras_done()) return false;  // the hello in flight first
    const Status st = channel_.send(msg::kGoodbye, ByteSpan{});
    if (st == Status::ok) return true;
    if (st != Status::no_buffer && st != Status::not_bound) {
        throw Failure(fmt::format("goodbye failed: {}", to_string(st)));
    }
    return false;
}

void CoreRunner::loop()
{
    for (;;) {
        if (opt_.corrupt_every != 0 && region_) {
            corrupter_.before_poll(region_->bytes(), link_.layout(), link_.side());
        }
        const size_t handled = link_.poll();
        supervisor_.poll();
        poll_apps();
        check_state();
        if (finished()) return;
        supervise();
        if (handled == 0 && !link_.work_pending()) wait_for_work(next_wait_us());
    }
}

uint32_t CoreRunner::next_wait_us()
{
    uint32_t timeout = 100000;
    const uint32_t now = clock_.now_us();
    auto until = [&](uint32_t due) {
        const auto d = static_cast<int32_t>(due - now);
        if (d <= 0) {
            timeout = 0;
        } else {
            timeout = std::min(timeout, static_cast<uint32_t>(d));
        }
    };
    until(supervisor_.next_due_us());
    if (primary_ && opt_.interval_us > 0 && channel_.is_ready()) until(role_.next_due_us());
    return timeout;
}

// Every 100 ms: stop request, the other core's process and state word, the
// outage and binding timeouts, progress.
void CoreRunner::supervise()
{
    const auto now = SysClock::now();
    if (now - last_check_ < std::chrono::milliseconds(100)) return;
    last_check_ = now;
    if (g_stop != 0) throw Failure("interrupted");
    if (link_.peer_state() == shm::SideState::faulted) {
        throw Failure(fmt::format("the {} side reported a link fault", peer_));
    }
    // The other core's process (its id is its tag in the region): once per
    // process that died, the link ends the session and waits for a new one.
    const uint32_t pid = link_.peer_tag();
    if (pid != 0 && pid != lost_pid_ && !process_alive(pid)) {
        lost_pid_ = pid;
        if (ever_bound_) {
            console_.warn(
                fmt::format("the {} (pid {}) is gone; waiting up to {} s for it to come back",
                            peer_, pid, opt_.timeout_s));
        }
        link_.peer_lost();
    }
    if (channel_.is_ready()) {
        down_since_.reset();
        if (!first_ready_) first_ready_ = now;
    } else if (!down_since_) {
        down_since_ = now;
    }
    const double timeout = opt_.timeout_s;
    if (first_ready_ && down_since_ &&
        std::chrono::duration<double>(now - *down_since_).count() > timeout) {
        const std::string who =
            lost_pid_ != 0 ? fmt::format("{} (pid {}) exited and", peer_, lost_pid_) : peer_;
        throw Failure(fmt::format("the {} did not come back within {} s", who, timeout));
    }
    if (!first_ready_ && seconds_since(start_) > timeout) {
        throw Failure(fmt::format("the {} did not bind within {} s (start `amp-board {}{}`)", peer_,
                                  timeout, primary_ ? "cm4" : "cm7", shm_arg()));
    }
    if (!first_ready_) note_waiting(primary_ ? "the CM4 to attach" : "the CM7 to answer");
    follow_region();
    if (opt_.quiet && primary_ && now - last_progress_ >= std::chrono::seconds(1)) {
        last_progress_ = now;
        if (opt_.stream) {
            console_.info(fmt::format("progress: {} transfers ok, {} resets", tally_.ok,
                                      supervisor_.resets()));
        } else if (opt_.rpc) {
            console_.info(fmt::format("progress: {} calls", rpc_scenario_->counters().calls));
        } else {
            console_.info(fmt::format("progress: {} exchanges", role_.counters().received));
        }
    }
}

// Waits until the peer has given back every buffer this side sent.
void CoreRunner::drain()
{
    const auto until = SysClock::now() + std::chrono::seconds(5);
    link_.poll();
    while (link_.free_buffers() < link_.num_buffers() && link_.is_bound() &&
           SysClock::now() < until) {
        const uint32_t pid = link_.peer_tag();
        if (pid != 0 && !process_alive(pid)) break;
        wait_for_work(10000);
        link_.poll();
    }
}

// What went wrong, if anything, once the loop ended without an exception.
std::string CoreRunner::verdict()
{
    const RoleCounters c = role_.counters();
    if (link_.free_buffers() != link_.num_buffers()) {
        return fmt::format("{} of {} transmit buffers were never given back",
                           link_.num_buffers() - link_.free_buffers(), link_.num_buffers());
    }
    if (c.errors != 0) return fmt::format("{} errors (see the log above)", c.errors);
    // Calls in flight when the other core died end with link_reset or a
    // timeout; any other failure (an error, a wrong result) is one.
    const services::ScenarioCounters sc = rpc_scenario_->counters();
    const RpcCounters rc = rpc_.counters();
    const uint32_t resets = supervisor_.resets();
    const uint32_t cut = resets > 0 ? rc.failed + rc.timeouts : 0;
    if (sc.failed > cut) {
        return fmt::format("{} rpc calls failed (see the log above)", sc.failed - cut);
    }
    if (cut > resets * opt_.rpc_in_flight) {
        return fmt::format("{} rpc calls lost at {} resets, with at most {} in flight", cut, resets,
                           opt_.rpc_in_flight);
    }
    if (stream_) rearm_stream();  // tallies the last transfer
    if (tally_.failed != 0) return fmt::format("{} stream transfers failed", tally_.failed);
    if (opt_.stream && tally_.ok == 0) return "no stream transfer completed";
    return {};
}

void CoreRunner::log_summaries()
{
    if (opt_.rpc && (primary_ || opt_.rpc_both_ways)) rpc_scenario_->log_summary();
    if (opt_.stream && stream_) {
        uint32_t transfers = tally_.transfers;
        uint32_t ok = tally_.ok;
        uint32_t failed = tally_.failed;
        if (!stream_tallied_) {
            transfers += stream_->transfers();
            ok += stream_->ok() ? 1 : 0;
            failed += stream_->done() && !stream_->ok() ? 1 : 0;
        }
        console_.write(LogLevel::plain,
                       fmt::format("{} stream summary: transfers {}, ok {}, failed {}",
                                   core_name(core_), transfers, ok, failed)
                           .c_str());
    }
    if (ever_bound_) role_.log_summary();
    if (opt_.corrupt_every != 0) {
        console_.write(LogLevel::plain,
                       fmt::format("{} corrupted {} of {} requests and responses received "
                                   "(one bit each, in the shared memory)",
                                   core_name(core_), corrupter_.flipped(), corrupter_.seen())
                           .c_str());
    }
}

void CoreRunner::print_stats()
{
    const ShmLinkCounters c = link_.counters();
    const std::string link = fmt::format(
        "{} link: buffers free {}/{}, tx {}, rx {}, no_buffer {}, dropped {}, faults {}, resets "
        "{}, "
        "stale {}, sessions {}, empty {}, doorbells {}, wakeups {}, sleeps {}",
        core_name(core_), link_.free_buffers(), link_.num_buffers(), c.tx_messages, c.rx_messages,
        c.no_buffer, c.rx_dropped, c.faults, c.resets, c.stale_dropped, c.sessions, c.rx_empty,
        c.doorbells,
        bell_.wakeups(), waiter_.sleeps());
    console_.write(LogLevel::plain, link.c_str());
    const StatsSnapshot s = channel_.stats().snapshot();
    const std::string channel = fmt::format(
        "{} channel: tx {}, rx {}, send failures {}, dropped {} (stale {}), sessions {}, resets {}",
        core_name(core_), s.tx_messages, s.rx_messages, s.send_failures, s.total_dropped(),
        s.dropped[static_cast<size_t>(DropReason::stale)], channel_.session(), s.resets);
    console_.write(LogLevel::plain, channel.c_str());
    const StreamTotals t = streams_.totals();
    if (t.opened != 0 || opt_.stream) {
        const std::string streams = fmt::format(
            "{} streams: opened {}, ended {}, aborted {}, disorder {}, no_credit {}, unknown {}, "
            "malformed {}, refused {}",
            core_name(core_), t.opened, t.ended, t.aborted, t.disorder, t.no_credit, t.unknown,
            t.malformed, t.refused);
        console_.write(LogLevel::plain, streams.c_str());
    }
}

int CoreRunner::run()
{
    install_signal_handlers();
    Channel::Events events;
    events.bound = [](void* self) {
        auto* r = static_cast<CoreRunner*>(self);
        r->ever_bound_ = true;
        r->console_.info("IPC endpoint bound");
    };
    events.unbound = [](void* self) {
        auto* r = static_cast<CoreRunner*>(self);
        r->console_.warn("IPC endpoint unbound");
        r->supervisor_.on_unbound();
    };
    events.ready = [](void* self) { static_cast<CoreRunner*>(self)->supervisor_.on_ready(); };
    events.context = this;
    channel_.set_events(events);

    console_.info(primary_ ? "Starting CM7 application" : "Starting CM4 application");
    role_.start();
    start_scenarios();
    log_.quiet = opt_.quiet;

    std::string error;
    try {
        if (primary_) {
            create_region();
        } else {
            attach_region();
        }
        loop();
        drain();
    } catch (const std::exception& e) {
        error = e.what();
    }

    log_.quiet = false;
    if (error.empty()) error = verdict();
    log_summaries();
    if (opt_.stats && region_) print_stats();
    if (!error.empty()) {
        std::fprintf(stderr, "amp-board %s: error: %s\n", me_, error.c_str());
        return 1;
    }
    return 0;
}

}  // namespace

uint32_t max_payload(const Options& opt)
{
    const uint32_t overhead = static_cast<uint32_t>(rpmsg::kHeaderSize + kFrameHeaderSize);
    const uint32_t link = opt.buffer_size > overhead ? opt.buffer_size - overhead : 0;
    return std::min<uint32_t>(link, static_cast<uint32_t>(kMaxPayloadSize));
}

int run_core(CoreId core, const Options& opt)
{
    auto runner = std::make_unique<CoreRunner>(core, opt);
    return runner->run();
}

}  // namespace amp::host::board
