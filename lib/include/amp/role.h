// The two roles of the original sample, platform-free. The primary (CM7)
// waits for the bound event, sends "Hello from CM7, count: N", waits for the
// answer and repeats; the remote (CM4) answers each with "Hello from CM4,
// count: N". Each side counts and logs what it sends and receives. The
// platform only feeds the channel and calls poll().
#pragma once

#include <atomic>
#include <cstdint>

#include "amp/channel.h"
#include "amp/log.h"

namespace amp {

enum class CoreId : uint8_t { cm7, cm4 };

/// "CM7" or "CM4".
const char* core_name(CoreId core);

struct RoleConfig {
    uint32_t count = 10;        ///< primary: hellos to send
    uint32_t interval_us = 0;   ///< primary: pause after each answer
    uint32_t payload_size = 0;  ///< pad hellos to this many bytes (0: text only)
};

/// Role-level counters, read by the summary line.
struct RoleCounters {
    uint32_t sent = 0;
    uint32_t received = 0;
    uint32_t errors = 0;
    uint32_t resets = 0;  ///< link resets (the channel's Stats, counted by amp::Supervisor)
};

class Role {
public:
    /// Registers the hello and goodbye handlers on `channel`.
    Role(CoreId core, Channel& channel, const RoleConfig& config);

    Role(const Role&) = delete;
    Role& operator=(const Role&) = delete;

    /// Logs "C++ OpenAMP library initialized for CMx".
    void start();
    /// Drives the role: the primary sends its next hello when one is due,
    /// once the channel's version handshake is done (Channel::is_ready()).
    /// Cheap; call it after every event or periodically.
    void poll();
    /// Primary: every answer received and goodbye sent. Remote: goodbye received.
    bool done() const { return done_.load(std::memory_order_acquire); }
    /// Primary: every hello answered (the goodbye may still be held back).
    bool hellos_done() const { return hellos_done_.load(std::memory_order_acquire); }
    /// Primary: while held, the goodbye waits after the last answer, so that
    /// more work (e.g. the rpc scenario) can use the link before the remote ends.
    void hold_goodbye(bool hold) { hold_goodbye_.store(hold, std::memory_order_release); }
    /// When the primary wants poll() again (absolute time in us); meaningful
    /// only while a hello is due and not done.
    uint32_t next_due_us() const { return next_due_us_; }

    CoreId core() const { return core_; }
    /// Role counters; `errors` also includes frames the channel dropped
    /// (stale ones after a reset too) and sends the link refused (a refused
    /// hello is retried, but still counted).
    RoleCounters counters() const;
    /// Logs "CMx summary: sent N, received N, errors N, resets N".
    void log_summary() const;

private:
    static void on_hello(void* self, const Frame& frame);
    static void on_goodbye(void* self, const Frame& frame);
    void handle_hello(const Frame& frame);
    Status send_hello(uint32_t count);

    CoreId core_;
    Channel& channel_;
    RoleConfig config_;
    std::atomic<uint32_t> sent_{0};
    std::atomic<uint32_t> received_{0};
    std::atomic<uint32_t> errors_{0};
    std::atomic<bool> done_{false};
    // Primary state.
    std::atomic<bool> awaiting_answer_{false};
    std::atomic<bool> hellos_done_{false};
    std::atomic<bool> hold_goodbye_{false};
    uint32_t next_count_ = 0;
    uint32_t next_due_us_ = 0;
    // Session bookkeeping: after a reset the primary resends the hello that
    // was in flight, and the remote takes the next count it sees as the base.
    uint32_t session_seen_ = 0;
    uint32_t remote_expected_ = 0;
    bool remote_resync_ = false;
    uint32_t sent_at_us_ = 0;
    std::atomic<bool> goodbye_pending_{false};  // set by the receive path
};

}  // namespace amp
