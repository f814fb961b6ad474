// amp-board internals: one core of the virtual board (run_core) and the
// runner that starts both as two processes (run_both).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "amp/role.h"
#include "amp/shm_layout.h"
#include "amp/wire.h"
#include "amp_host/futex_doorbell.h"

namespace amp::host::board {

struct Options {
    uint32_t count = 10;       ///< CM7: hellos to send
    uint32_t size = 0;         ///< CM7: payload bytes (0: text only)
    uint32_t interval_us = 0;  ///< CM7: pause after each answer
    double duration_s = 0;     ///< CM7: run this long instead of --count (0: off)
    DoorbellMode doorbell = DoorbellMode::adaptive;
    std::string shm = "amp-board";
    double timeout_s = 30;       ///< wait this long for the other core (to start, to come back)
    bool quiet = false;          ///< no per-message lines
    bool stats = false;          ///< print the link counters after the summary
    uint32_t buffer_size = 512;  ///< CM7: bytes per buffer, RPMsg header included
    uint32_t shm_size = 32768;   ///< CM7: bytes of shared memory
    // What runs after the hellos (--scenario hello|rpc|stream, or rpc,stream).
    bool rpc = false;
    bool stream = false;
    uint16_t protocol_version = kProtocolVersion;  ///< announced in the handshake
    uint32_t rpc_calls = 6;            ///< calls the CM7 makes (both cores with rpc_both_ways)
    uint32_t rpc_in_flight = 1;        ///< calls in flight at once (1..4)
    bool rpc_both_ways = false;        ///< the CM4 calls the CM7's services too
    uint32_t rpc_timeout_ms = 500;     ///< per call
    uint32_t stream_bytes = 1u << 20;  ///< bytes per stream transfer
    uint32_t heartbeat_ms = 100;       ///< supervision period (0: no heartbeats)
    uint32_t missed = 10;              ///< silent periods before the peer is lost
    uint32_t corrupt_every = 0;        ///< testing: damage every Nth request/response received
};

/// Set by `run` for its children: every stdout line then starts with the
/// CLOCK_MONOTONIC time in ns and a space, so the runner can merge the two
/// consoles in time order.
inline constexpr const char* kStampEnv = "AMP_BOARD_STAMP_LINES";

/// Endpoint name both cores use for binding.
inline constexpr const char* kEndpointName = "amp-board";

/// --corrupt-every N (testing, board_corrupt.cpp): flips one bit in every Nth
/// request or response this core receives, in the shared memory before it
/// reads it, where only the CRC can catch it.
class Corrupter {
public:
    explicit Corrupter(uint32_t every) : every_(every) {}
    /// Looks at what the peer published and this core has not read yet.
    /// Call it right before the link's poll(), never during.
    void before_poll(MutableByteSpan region, const shm::Layout& layout, shm::Side me);
    uint32_t seen() const { return seen_; }        ///< requests and responses looked at
    uint32_t flipped() const { return flipped_; }  ///< of those, damaged

private:
    uint32_t next_random();

    uint32_t every_;
    uint32_t seen_ = 0;
    uint32_t flipped_ = 0;
    uint16_t next_ = 0;  // next ring entry to look at
    uint32_t state_ = 2463534242u;
};

/// The largest --size the options allow.
uint32_t max_payload(const Options& opt);

/// Runs one core; returns the process exit status.
int run_core(CoreId core, const Options& opt);

/// Starts `self cm7 args...` and `self cm4 args...`, interleaves their
/// output line by line and returns 0 if both succeeded.
int run_both(const std::vector<std::string>& args);

}  // namespace amp::host::board
