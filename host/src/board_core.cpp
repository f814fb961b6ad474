// One core of the virtual board: the role, the channel and the shared-memory
// link in a single-threaded event loop that sleeps on the doorbell.
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
#include "amp/shm_link.h"
#include "amp/wire.h"
#include "amp_host/console.h"
#include "amp_host/shm_region.h"
#include "board.h"

namespace amp::host::board {
namespace {

using SysClock = std::chrono::steady_clock;
using shm::Side;

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int /*sig*/)
{
    g_stop = 1;
}

void install_signal_handlers()
{
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a futex wait returns with EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
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
          role_(core, channel_, role_config(opt))
    {
    }

    int run();

private:
    static RoleConfig role_config(const Options& opt)
    {
        RoleConfig rc;
        rc.count = opt.duration_s > 0 ? UINT32_MAX : opt.count;
        rc.interval_us = opt.interval_us;
        rc.payload_size = opt.size;
        return rc;
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

    void create_region();
    void attach_region();
    void wait_for_binding();
    void exchange();
    void drain();
    void supervise();
    void wait_for_work(uint32_t timeout_us)
    {
        waiter_.wait([this] { return link_.work_pending(); }, timeout_us);
    }
    void note_waiting(const char* what)
    {
        if (warned_waiting_ || seconds_since(start_) < 1.0) return;
        warned_waiting_ = true;
        std::fprintf(stderr, "amp-board %s: waiting for %s on %s\n", me_, what, path().c_str());
    }
    void print_stats();

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
    std::optional<ShmRegion> region_;
    SysClock::time_point start_ = SysClock::now();
    SysClock::time_point last_check_ = SysClock::now();
    SysClock::time_point last_progress_ = SysClock::now();
    bool warned_waiting_ = false;
    bool ever_bound_ = false;
};

// CM7: creates the region; reclaims one left by a crashed run.
void CoreRunner::create_region()
{
    for (int attempt = 0; attempt < 4; ++attempt) {
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

// CM4: attaches to the region once a live CM7 has formatted it.
void CoreRunner::attach_region()
{
    for (;;) {
        if (g_stop != 0) throw Failure("interrupted");
        if (auto r = ShmRegion::open(opt_.shm)) {
            const HeaderView h = inspect(*r);
            if (h.valid && process_alive(h.primary_pid)) {
                bell_.bind(r->base(), Side::primary);
                waiter_.bind(r->base(), Side::remote);
                const Status st = link_.attach(r->bytes(), link_config());
                if (st == Status::ok) {
                    region_ = std::move(r);
                    return;
                }
                if (st == Status::busy && h.remote_pid != 0 && process_alive(h.remote_pid)) {
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
                                      path(), opt_.timeout_s,
                                      opt_.shm == "amp-board" ? "" : " --shm " + opt_.shm));
        }
        note_waiting("the CM7 to create the shared memory");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// Stop request, peer gone or faulted: checked every 100 ms.
void CoreRunner::supervise()
{
    const auto now = SysClock::now();
    if (now - last_check_ < std::chrono::milliseconds(100)) return;
    last_check_ = now;
    if (g_stop != 0) throw Failure("interrupted");
    const shm::SideState ps = link_.peer_state();
    if (ps == shm::SideState::faulted) {
        throw Failure(fmt::format("the {} side reported a link fault", peer_));
    }
    const uint32_t pid = link_.peer_tag();
    if (ps != shm::SideState::absent && pid != 0 && !process_alive(pid)) {
        throw Failure(
            fmt::format("the {} (pid {}) exited before the exchange finished", peer_, pid));
    }
    if (opt_.quiet && primary_ && now - last_progress_ >= std::chrono::seconds(1)) {
        last_progress_ = now;
        console_.info(fmt::format("progress: {} exchanges", role_.counters().received));
    }
}

void CoreRunner::wait_for_binding()
{
    while (!link_.is_bound()) {
        link_.poll();
        if (link_.faulted()) break;
        if (link_.is_bound()) break;
        supervise();
        if (seconds_since(start_) > opt_.timeout_s) {
            throw Failure(fmt::format("the {} did not bind within {} s (start `amp-board {}{}`)",
                                      peer_, opt_.timeout_s, primary_ ? "cm4" : "cm7",
                                      opt_.shm == "amp-board" ? "" : " --shm " + opt_.shm));
        }
        note_waiting(primary_ ? "the CM4 to attach" : "the CM7 to answer");
        wait_for_work(100000);
    }
    if (link_.faulted()) {
        throw Failure(fmt::format("link fault ({}) while binding", to_string(link_.fault())));
    }
}

void CoreRunner::exchange()
{
    const auto bound_at = SysClock::now();
    bool stopping = false;
    for (;;) {
        const size_t handled = link_.poll();
        if (primary_ && !stopping) role_.poll();
        if (link_.faulted()) {
            throw Failure(
                fmt::format("link fault ({}), see the log above", to_string(link_.fault())));
        }
        if (role_.done()) return;
        if (primary_ && opt_.duration_s > 0 && !stopping &&
            seconds_since(bound_at) >= opt_.duration_s) {
            stopping = true;  // no new hellos; finish the one in flight
        }
        if (stopping) {
            const RoleCounters c = role_.counters();
            if (c.received == c.sent) {
                const Status st = channel_.send(msg::kGoodbye, ByteSpan{});
                if (st == Status::ok) return;
                if (st != Status::no_buffer) {
                    throw Failure(fmt::format("goodbye failed: {}", to_string(st)));
                }
            }
        }
        supervise();
        if (handled == 0 && !link_.work_pending()) {
            uint32_t timeout = 100000;
            if (primary_ && opt_.interval_us > 0) {
                const auto due = static_cast<int32_t>(role_.next_due_us() - clock_.now_us());
                if (due > 0) timeout = std::min<uint32_t>(timeout, static_cast<uint32_t>(due));
            }
            wait_for_work(timeout);
        }
    }
}

// Waits until the peer has given back every buffer this side sent.
void CoreRunner::drain()
{
    const auto until = SysClock::now() + std::chrono::seconds(5);
    link_.poll();
    while (link_.free_buffers() < link_.num_buffers() && !link_.faulted() &&
           SysClock::now() < until) {
        const uint32_t pid = link_.peer_tag();
        if (pid != 0 && !process_alive(pid)) break;
        wait_for_work(10000);
        link_.poll();
    }
}

void CoreRunner::print_stats()
{
    const ShmLinkCounters c = link_.counters();
    const std::string line = fmt::format(
        "{} link: buffers free {}/{}, tx {}, rx {}, no_buffer {}, dropped {}, faults {}, "
        "doorbells {}, wakeups {}, sleeps {}",
        core_name(core_), link_.free_buffers(), link_.num_buffers(), c.tx_messages, c.rx_messages,
        c.no_buffer, c.rx_dropped, c.faults, c.doorbells, bell_.wakeups(), waiter_.sleeps());
    console_.write(LogLevel::plain, line.c_str());
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
    events.context = this;
    channel_.set_events(events);

    console_.info(primary_ ? "Starting CM7 application" : "Starting CM4 application");
    role_.start();
    log_.quiet = opt_.quiet;

    std::string error;
    try {
        if (primary_) {
            create_region();
        } else {
            attach_region();
        }
        wait_for_binding();
        exchange();
        drain();
    } catch (const std::exception& e) {
        error = e.what();
    }

    log_.quiet = false;
    if (ever_bound_) role_.log_summary();
    if (opt_.stats && region_) print_stats();

    const RoleCounters c = role_.counters();
    if (error.empty() && link_.free_buffers() != link_.num_buffers()) {
        error = fmt::format("{} of {} transmit buffers were never given back",
                            link_.num_buffers() - link_.free_buffers(), link_.num_buffers());
    }
    if (error.empty() && c.errors != 0)
        error = fmt::format("{} errors (see the log above)", c.errors);
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
