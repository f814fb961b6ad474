// The demo services and the rpc scenario, platform-free so that the
// firmware, the host virtual board and QEMU run the same code.
//
// Services (every core that runs an RpcScenario serves them):
//   checksum: CRC-32C and length of a buffer of up to 256 bytes,
//   stats:    the server's link statistics (a Stats snapshot) and uptime.
// Scenario: once the primary's hellos are answered (or at once, without a
// role), call the services `calls` times, alternating, check every result,
// and log each call with its latency:
//   "CM7 rpc checksum(256 bytes) = 0x1234abcd in 42 us"
//   "CM7 rpc stats = tx 14, rx 14, dropped 0 in 35 us"
//   "CM7 rpc summary: calls 6, ok 6, failed 0"
// The wire layouts are the C structs of amp/amp.h, so C code can call or
// serve the same services.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "amp/amp.h"
#include "amp/channel.h"
#include "amp/handshake.h"
#include "amp/role.h"
#include "amp/rpc.h"

namespace amp::services {

struct ChecksumRequest : amp_checksum_request_t {
    static constexpr uint8_t kType = AMP_MSG_RPC_CHECKSUM;
};
struct ChecksumReply : amp_checksum_reply_t {};
struct StatsRequest : amp_stats_request_t {
    static constexpr uint8_t kType = AMP_MSG_RPC_STATS;
};
struct StatsReply : amp_stats_reply_t {};
/// One-way: the sender's scenario finished its calls.
struct CallsDone : amp_rpc_done_t {
    static constexpr uint8_t kType = AMP_MSG_RPC_DONE;
};

inline constexpr size_t kChecksumCapacity = AMP_RPC_CHECKSUM_CAPACITY;
static_assert(kDropReasonCount <= AMP_RPC_STATS_DROP_SLOTS, "StatsReply::dropped too small");

/// The message-type table of the demo, and its hash for the handshake.
inline constexpr std::array<TypeInfo, 3> kTypes{service_type<ChecksumRequest, ChecksumReply>(),
                                                service_type<StatsRequest, StatsReply>(),
                                                message_type<CallsDone>()};
inline constexpr uint32_t kTypesHash = type_table_hash(kTypes);
static_assert(kTypesHash == AMP_RPC_TYPES_HASH, "update AMP_RPC_TYPES_HASH in amp/amp.h");

/// What both demo images announce; `version` is amp-board's --protocol-version.
constexpr ProtocolInfo protocol(uint16_t version = kProtocolVersion)
{
    return ProtocolInfo{version, kTypesHash};
}

struct ScenarioConfig {
    uint32_t calls = 6;  ///< calls to make, alternating checksum and stats (0: serve only)
    uint32_t timeout_us = 100'000;    ///< per call
    uint32_t in_flight = 1;           ///< calls in flight at once, 1..kMaxInFlight
    uint32_t log_calls = UINT32_MAX;  ///< calls logged one by one; the rest only count
    bool wait_for_peer = false;       ///< done only once the peer's scenario is done too
};

struct ScenarioCounters {
    uint32_t calls = 0;   ///< calls completed
    uint32_t ok = 0;      ///< with the expected result
    uint32_t failed = 0;  ///< error, timeout, refused or wrong result
    uint32_t served = 0;  ///< requests this core's services answered
};

class RpcScenario {
public:
    static constexpr uint32_t kMaxInFlight = 4;

    /// Serves checksum and stats on `rpc.channel()`. `after` (the primary's
    /// role, may be null): start calling once its hellos are answered, and
    /// hold its goodbye until done(); without it, start when the channel is
    /// ready.
    RpcScenario(CoreId core, RpcClient& rpc, Role* after, const ScenarioConfig& config);

    RpcScenario(const RpcScenario&) = delete;
    RpcScenario& operator=(const RpcScenario&) = delete;

    /// Starts calls, expires timeouts (RpcClient::poll()). Call it with the role's poll().
    void poll();
    /// All calls completed (and, with wait_for_peer, the peer's too).
    bool done() const { return done_.load(std::memory_order_acquire); }
    /// Ok, or why a service could not be registered.
    Status status() const { return status_; }
    ScenarioCounters counters() const;
    /// Logs "CMx rpc summary: calls N, ok N, failed N". Print it before the
    /// role's summary, which stays last.
    void log_summary() const;

private:
    struct Call {
        RpcScenario* owner = nullptr;
        uint32_t index = 0;
        uint32_t started_us = 0;
        uint32_t expected_crc = 0;
        uint32_t length = 0;
        std::atomic<bool> busy{false};
    };

    static Status serve_checksum(void* self, const ChecksumRequest& req, ChecksumReply& reply);
    static Status serve_stats(void* self, const StatsRequest& req, StatsReply& reply);
    static void on_peer_done(void* self, const CallsDone& msg);
    static void on_checksum(void* call, Status st, const ChecksumReply& reply);
    static void on_stats(void* call, Status st, const StatsReply& reply);

    bool started();
    Status issue(Call& call, uint32_t index);
    void complete(Call& call, Status st, bool result_ok, Line& line);

    CoreId core_;
    RpcClient& rpc_;
    Channel& channel_;
    Role* after_;
    ScenarioConfig config_;
    Status status_ = Status::ok;
    std::array<Call, kMaxInFlight> calls_{};
    uint32_t issued_ = 0;
    bool started_ = false;
    bool done_sent_ = false;
    std::atomic<uint32_t> completed_{0};
    std::atomic<uint32_t> ok_{0};
    std::atomic<uint32_t> failed_{0};
    std::atomic<uint32_t> served_{0};
    std::atomic<bool> peer_done_{false};
    std::atomic<bool> done_{false};
};

}  // namespace amp::services
