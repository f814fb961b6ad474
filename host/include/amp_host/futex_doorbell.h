// The virtual board's doorbell: a futex on a 32-bit word inside the shared
// region (works between unrelated processes), in place of the MU mailbox.
//
// Each side has a SideBlock in the region header with two words:
//   bell_seq      incremented by the peer when it rings while this side sleeps
//   bell_waiting  nonzero while this side sleeps on bell_seq
// Event suppression: ring() only reads bell_waiting (after a full fence); it
// bumps bell_seq and calls FUTEX_WAKE only when the peer announced that it
// sleeps, so a ring of a peer that polls writes nothing to shared memory.
//
// Waiting modes:
//   spin      never sleep; poll until there is work or the timeout passes
//   block     sleep on the futex at once
//   adaptive  spin a short while, then sleep (the default). The spin budget
//             tunes itself like an adaptive mutex: about twice the recent
//             waits shorter than the maximum (50 us), whether they ended
//             while spinning or after a sleep, halved after each wait that
//             lasted longer (an idle peer), between 2 us and the maximum.
//             With an active peer it spins, with an idle one it sleeps.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "amp/doorbell.h"
#include "amp/shm_layout.h"
#include "amp/shm_link.h"

namespace amp::host {

enum class DoorbellMode { spin, block, adaptive };

const char* to_string(DoorbellMode m);
std::optional<DoorbellMode> parse_doorbell_mode(std::string_view s);

/// Rings the peer's bell. Bind it to the region before the link uses it.
class FutexDoorbell final : public Doorbell {
public:
    /// `peer` is the side being rung.
    void bind(uint8_t* region_base, shm::Side peer);
    void ring() override;

    /// Futex wake-ups actually issued (the peer was asleep).
    uint32_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }

private:
    uint32_t* seq_ = nullptr;
    uint32_t* waiting_ = nullptr;
    std::atomic<uint32_t> wakeups_{0};
};

/// Waits for this side's bell.
class BellWaiter {
public:
    explicit BellWaiter(DoorbellMode mode, uint32_t max_spin_us = 50)
        : mode_(mode), max_spin_us_(max_spin_us), budget_us_(max_spin_us)
    {
    }

    /// `self` is the side that waits.
    void bind(uint8_t* region_base, shm::Side self);
    /// Returns as soon as `pending()` is true or the bell rings, at the
    /// latest after `timeout_us`. `pending` is re-checked after announcing
    /// the sleep, so a ring between the check and the sleep is never lost.
    void wait(const std::function<bool()>& pending, uint32_t timeout_us);

    DoorbellMode mode() const { return mode_; }
    /// Times this side actually slept in the kernel.
    uint32_t sleeps() const { return sleeps_; }
    /// The current adaptive spin budget.
    uint32_t spin_budget_us() const { return budget_us_; }

private:
    static constexpr uint32_t kMinSpinUs = 2;

    void learn(uint64_t waited_us, bool found_work);  // adaptive: tunes budget_us_

    DoorbellMode mode_;
    uint32_t max_spin_us_;
    uint32_t budget_us_;
    uint32_t* seq_ = nullptr;
    uint32_t* waiting_ = nullptr;
    uint32_t sleeps_ = 0;
};

/// Sends `data`, waiting up to `timeout_us` for a free buffer: on no_buffer
/// it polls the link (so the peer's messages keep flowing and no side
/// deadlocks) and sleeps on the bell until the peer returns buffers.
/// Returns the send status, or Status::timeout. Do not call it from inside
/// a listener callback (poll() is not re-entrant; it would only time out).
Status send_wait(ShmLink& link, BellWaiter& waiter, ByteSpan data, uint32_t timeout_us);

}  // namespace amp::host
