// A rogue core for the end-to-end tests: it binds to a real `amp-board`
// process through the shared-memory link like a well-behaved peer, then
// writes bad indices, lengths or addresses into the shared region and rings.
// The victim must report the fault and exit cleanly.
//
//   amp-e2e-rogue --shm NAME --as primary|remote --corrupt MODE
//   amp-e2e-rogue --shm NAME --stale      leave a region whose creator is dead
//   amp-e2e-rogue --shm NAME --hold S     create a region and keep it S seconds
//
// Exit status 0 when the victim's state word turned "faulted" (or the
// region was left/held as asked), 1 otherwise.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "amp/channel.h"
#include "amp/role.h"
#include "amp/services.h"
#include "amp/shm_link.h"
#include "amp_host/futex_doorbell.h"
#include "amp_host/shm_region.h"

using namespace amp;
using namespace amp::host;
using shm::Side;

namespace {

constexpr const char* kName = "amp-board";  // the endpoint name amp-board binds with

class SteadyClock final : public amp::Clock {
public:
    uint32_t now_us() const override
    {
        return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count());
    }
};

uint16_t get16(uint8_t* base, uint32_t off)
{
    return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(base + off)).load();
}
void put16(uint8_t* base, uint32_t off, uint16_t v)
{
    std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(base + off)).store(v);
}
void put32(uint8_t* base, uint32_t off, uint32_t v)
{
    std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(base + off)).store(v);
}

bool wait_until(const std::function<bool()>& cond, double seconds)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return cond();
}

// Publishes buffer 0 of `me`'s ring with descriptor `id`, address `addr`,
// length `len`, and an RPMsg header claiming `rpmsg_len` bytes for the victim.
void publish(uint8_t* base, const shm::Layout& l, Side me, uint32_t id, uint32_t addr, uint32_t len,
             uint16_t rpmsg_len)
{
    rpmsg::Header h;
    h.src = ShmLink::kLocalAddress;
    h.dst = ShmLink::kLocalAddress;
    h.len = rpmsg_len;
    rpmsg::encode_header(h, base + l.buffer(me, 0));
    const uint32_t d = l.desc(me, id < l.num_buffers ? id : 0);
    put32(base, d, addr);
    put32(base, d + 4, 0);
    put32(base, d + 8, len);
    put16(base, d + 12, 0);
    const uint16_t idx = get16(base, l.avail_idx(me));
    put16(base, l.avail_entry(me, idx % l.num_buffers), static_cast<uint16_t>(id));
    std::atomic_thread_fence(std::memory_order_release);
    put16(base, l.avail_idx(me), static_cast<uint16_t>(idx + 1));
}

int corrupt(const std::string& shm_name, Side me, const std::string& mode)
{
    FutexDoorbell bell;
    BellWaiter waiter(DoorbellMode::block);
    ShmLink link(me, bell, nullptr);
    // Well behaved until told otherwise: as the remote it answers hellos.
    SteadyClock clock;
    Channel channel(link, clock, nullptr);
    Role role(me == Side::primary ? CoreId::cm7 : CoreId::cm4, channel, RoleConfig{});
    channel.set_protocol(services::protocol());  // what amp-board announces
    ShmLinkConfig cfg;
    cfg.name = kName;
    cfg.tag = static_cast<uint32_t>(::getpid());

    std::optional<ShmRegion> region;
    if (me == Side::primary) {
        ShmRegion::remove(shm_name);
        region = ShmRegion::create(shm_name, 32768);
        if (!region) return 1;
        region->remove_on_close(true);
        bell.bind(region->base(), Side::remote);
        if (link.create(region->bytes(), cfg) != Status::ok) return 1;
    } else {
        const bool attached = wait_until(
            [&] {
                region = ShmRegion::open(shm_name);
                if (!region) return false;
                bell.bind(region->base(), Side::primary);
                return link.attach(region->bytes(), cfg) == Status::ok;
            },
            10);
        if (!attached) {
            std::fprintf(stderr, "rogue: could not attach to %s\n", shm_name.c_str());
            return 1;
        }
    }
    waiter.bind(region->base(), me);
    const bool bound = wait_until(
        [&] {
            link.poll();
            return link.is_bound() && link.peer_state() == shm::SideState::bound;
        },
        10);
    if (!bound) {
        std::fprintf(stderr, "rogue: no binding\n");
        return 1;
    }
    // Behave for a while (as the remote: answer the victim's hellos).
    const auto behave_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    while (std::chrono::steady_clock::now() < behave_until) {
        link.poll();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    uint8_t* base = region->base();
    const shm::Layout& l = link.layout();
    const Side victim = shm::other(me);
    const uint32_t bs = l.buffer_size;
    const uint32_t buf0 = l.buffer(me, 0);

    if (mode == "avail-idx") {
        const uint16_t idx = get16(base, l.avail_idx(me));
        put16(base, l.avail_idx(me), static_cast<uint16_t>(idx + l.num_buffers + 1));
    } else if (mode == "avail-entry") {
        publish(base, l, me, l.num_buffers + 5, buf0, 24, 8);
    } else if (mode == "desc-addr") {
        publish(base, l, me, 0, 0, 24, 8);  // points at the region header
    } else if (mode == "desc-len") {
        publish(base, l, me, 0, buf0, bs + 1, 8);
    } else if (mode == "rpmsg-len") {
        publish(base, l, me, 0, buf0, 24, static_cast<uint16_t>(bs));
    } else if (mode == "used-id" || mode == "used-idx") {
        // We stopped consuming: wait until the victim has a message in
        // flight on its ring, and give it back with a bad used entry.
        const uint16_t seen = get16(base, l.used_idx(victim));
        if (!wait_until([&] { return get16(base, l.avail_idx(victim)) != seen; }, 10)) {
            std::fprintf(stderr, "rogue: the victim sent nothing\n");
            return 1;
        }
        const uint16_t used = get16(base, l.used_idx(victim));
        if (mode == "used-id") {
            put32(base, l.used_entry(victim, used % l.num_buffers), 999);
            put32(base, l.used_entry(victim, used % l.num_buffers) + 4, 0);
            put16(base, l.used_idx(victim), static_cast<uint16_t>(used + 1));
        } else {
            put16(base, l.used_idx(victim), static_cast<uint16_t>(used + 40));
        }
    } else {
        std::fprintf(stderr, "rogue: unknown mode %s\n", mode.c_str());
        return 1;
    }
    bell.ring();
    const bool faulted =
        wait_until([&] { return link.peer_state() == shm::SideState::faulted; }, 10);
    std::printf("rogue: victim %s\n", faulted ? "reported the fault" : "did NOT report a fault");
    // Stay until the victim has exited, so it sees this process alive.
    wait_until([&] { return !process_alive(link.peer_tag()); }, 10);
    return faulted ? 0 : 1;
}

// A region formatted by a process that is gone, as after a crash.
int leave_stale(const std::string& shm_name)
{
    ShmRegion::remove(shm_name);
    const pid_t pid = ::fork();
    if (pid == 0) {
        auto region = ShmRegion::create(shm_name, 32768);
        if (!region) ::_exit(1);
        FutexDoorbell bell;
        ShmLink link(Side::primary, bell, nullptr);
        ShmLinkConfig cfg;
        cfg.name = kName;
        cfg.tag = static_cast<uint32_t>(::getpid());
        ::_exit(link.create(region->bytes(), cfg) == Status::ok ? 0 : 1);  // no cleanup
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

// A region held by this live process.
int hold(const std::string& shm_name, double seconds)
{
    ShmRegion::remove(shm_name);
    auto region = ShmRegion::create(shm_name, 32768);
    if (!region) return 1;
    region->remove_on_close(true);
    FutexDoorbell bell;
    ShmLink link(Side::primary, bell, nullptr);
    ShmLinkConfig cfg;
    cfg.name = kName;
    cfg.tag = static_cast<uint32_t>(::getpid());
    if (link.create(region->bytes(), cfg) != Status::ok) return 1;
    std::printf("rogue: holding %s\n", shm_file_path(shm_name).c_str());
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    std::string shm_name, as = "primary", mode;
    double hold_s = -1;
    bool stale = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--shm" && has_value) {
            shm_name = argv[++i];
        } else if (a == "--as" && has_value) {
            as = argv[++i];
        } else if (a == "--corrupt" && has_value) {
            mode = argv[++i];
        } else if (a == "--hold" && has_value) {
            hold_s = std::stod(argv[++i]);
        } else if (a == "--stale") {
            stale = true;
        } else {
            std::fprintf(stderr, "usage: see the comment at the top of rogue_peer.cpp\n");
            return 2;
        }
    }
    if (shm_name.empty()) return 2;
    if (stale) return leave_stale(shm_name);
    if (hold_s >= 0) return hold(shm_name, hold_s);
    return corrupt(shm_name, as == "remote" ? Side::remote : Side::primary, mode);
}
