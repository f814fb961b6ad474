#include "amp_host/futex_doorbell.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstddef>
#include <ctime>

namespace amp::host {
namespace {

using shm::RegionHeader;
using shm::SideBlock;

uint32_t* side_word(uint8_t* base, shm::Side s, size_t field)
{
    const size_t off = offsetof(RegionHeader, side) + sizeof(SideBlock) * shm::index(s) + field;
    return static_cast<uint32_t*>(static_cast<void*>(base + off));
}

std::atomic_ref<uint32_t> word(uint32_t* p)
{
    return std::atomic_ref<uint32_t>(*p);
}

// Not FUTEX_PRIVATE: the word is shared between processes.
void futex_wake(uint32_t* addr)
{
    ::syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

void futex_wait(uint32_t* addr, uint32_t expected, uint32_t timeout_us)
{
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(timeout_us / 1000000);
    ts.tv_nsec = static_cast<long>(timeout_us % 1000000) * 1000;
    // Returns at once if *addr != expected (the bell rang since we looked);
    // EINTR and ETIMEDOUT simply end the wait.
    ::syscall(SYS_futex, addr, FUTEX_WAIT, expected, &ts, nullptr, 0);
}

uint64_t now_us()
{
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}

inline void cpu_relax()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    asm volatile("yield");
#endif
}

}  // namespace

const char* to_string(DoorbellMode m)
{
    switch (m) {
    case DoorbellMode::spin: return "spin";
    case DoorbellMode::block: return "block";
    case DoorbellMode::adaptive: return "adaptive";
    }
    return "?";
}

std::optional<DoorbellMode> parse_doorbell_mode(std::string_view s)
{
    if (s == "spin") return DoorbellMode::spin;
    if (s == "block") return DoorbellMode::block;
    if (s == "adaptive") return DoorbellMode::adaptive;
    return std::nullopt;
}

void FutexDoorbell::bind(uint8_t* region_base, shm::Side peer)
{
    seq_ = side_word(region_base, peer, offsetof(SideBlock, bell_seq));
    waiting_ = side_word(region_base, peer, offsetof(SideBlock, bell_waiting));
}

void FutexDoorbell::ring()
{
    if (seq_ == nullptr) return;
    // Full fence: the link's store-release of a ring index is ordered before
    // our load of the peer's `waiting` flag. It pairs with the fence in
    // BellWaiter::wait (store waiting, fence, re-check the rings): either the
    // peer's re-check sees our index, or we see its flag and wake it.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (word(waiting_).load(std::memory_order_seq_cst) != 0) {
        // Only a sleeper needs the word to change (its FUTEX_WAIT compares it
        // with what it read before announcing the sleep). Not writing it on
        // every ring keeps the peer's side block in the peer's cache: the
        // link polls words of that cache line.
        word(seq_).fetch_add(1, std::memory_order_seq_cst);
        wakeups_.fetch_add(1, std::memory_order_relaxed);
        futex_wake(seq_);
    }
}

void BellWaiter::bind(uint8_t* region_base, shm::Side self)
{
    seq_ = side_word(region_base, self, offsetof(SideBlock, bell_seq));
    waiting_ = side_word(region_base, self, offsetof(SideBlock, bell_waiting));
}

// Adaptive policy. A wait of w us that found work before max_spin_us (while
// spinning, or after a sleep: the peer answered soon, spinning longer would
// have paid) aims the budget at 2w: up at once, down by an eighth of the gap.
// A wait of max_spin_us or more (the peer was idle; spinning could not have
// paid) halves it. A shorter wait that timed out says nothing. Learning from
// the waits that slept too keeps the policy from locking into sleeping: when
// both sides sleep, each wait lasts a wake-up or two (tens of us on a VM),
// and a budget that only shrank after sleeping would never spin again.
void BellWaiter::learn(uint64_t waited_us, bool found_work)
{
    if (waited_us >= max_spin_us_) {
        budget_us_ = std::max(kMinSpinUs, budget_us_ / 2);
        return;
    }
    if (!found_work) return;
    const auto target = static_cast<uint32_t>(std::max<uint64_t>(kMinSpinUs, 2 * waited_us));
    const uint32_t capped = std::min(max_spin_us_, target);
    budget_us_ = capped >= budget_us_ ? capped : budget_us_ - (budget_us_ - capped) / 8;
}

void BellWaiter::wait(const std::function<bool()>& pending, uint32_t timeout_us)
{
    const uint64_t start = now_us();
    if (mode_ != DoorbellMode::block) {
        const uint64_t spin =
            mode_ == DoorbellMode::spin ? timeout_us : std::min(budget_us_, timeout_us);
        for (uint32_t i = 0;; ++i) {
            if (pending()) {
                if (mode_ == DoorbellMode::adaptive) learn(now_us() - start, true);
                return;
            }
            if (now_us() - start >= spin) break;
            cpu_relax();
            // Stay fair when there are fewer cores than spinning processes.
            if (mode_ == DoorbellMode::spin && i % 256 == 255) ::sched_yield();
        }
        if (mode_ == DoorbellMode::spin) return;
    }
    if (seq_ == nullptr) return;
    const uint64_t spent = now_us() - start;
    if (spent >= timeout_us) {
        if (mode_ == DoorbellMode::adaptive) learn(spent, false);
        return;
    }

    const uint32_t seen = word(seq_).load(std::memory_order_acquire);
    word(waiting_).store(1, std::memory_order_seq_cst);
    // Full fence: our `waiting` store is visible before we re-check the
    // rings (see FutexDoorbell::ring for the other half).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!pending()) {
        ++sleeps_;
        futex_wait(seq_, seen, static_cast<uint32_t>(timeout_us - spent));
    }
    word(waiting_).store(0, std::memory_order_relaxed);
    if (mode_ == DoorbellMode::adaptive) {
        const uint64_t waited = now_us() - start;
        learn(waited, waited < max_spin_us_ && pending());
    }
}

Status send_wait(ShmLink& link, BellWaiter& waiter, ByteSpan data, uint32_t timeout_us)
{
    const uint64_t start = now_us();
    for (;;) {
        Status st = link.send(data);
        if (st != Status::no_buffer) return st;
        link.poll();  // takes back returned buffers, keeps receiving
        st = link.send(data);
        if (st != Status::no_buffer) return st;
        const uint64_t spent = now_us() - start;
        if (spent >= timeout_us) return Status::timeout;
        waiter.wait([&] { return link.work_pending(); }, static_cast<uint32_t>(timeout_us - spent));
    }
}

}  // namespace amp::host
