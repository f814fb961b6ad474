// The stream demo, platform-free: the CM7 streams a large buffer to the CM4
// over amp::Streams; the CM4 checks its integrity (CRC-32C of every byte and
// the byte count) against the same deterministic pattern. Both log progress
// and throughput (info level; an integrity error at error level, an abort as a
// warning, the summary as a plain line):
//   "CM7 stream progress: 262144 of 1048576 bytes, 5120 kB/s"
//   "CM4 stream done: 1048576 bytes in 2241 chunks, 0 stalls, 4980 kB/s, crc 0x1a2b3c4d"
//   "CM4 stream integrity error: crc 0x... (expected 0x...), 1048576 bytes (expected 1048576)"
//   "CM7 stream aborted: link_reset"      (the link was reset: the CM7 starts over)
//   "CM7 stream summary: transfers 2, ok 1, failed 0"
// The CM4 checks as soon as the last byte is in and aborts the stream with
// crc_mismatch (or bad_length) when it is wrong, so the CM7 learns it too.
// After a link reset the CM7 sends the whole buffer again in a new stream.
#pragma once

#include <cstdint>

#include "amp/role.h"
#include "amp/stream.h"

namespace amp {

struct StreamScenarioConfig {
    uint32_t bytes = 1u << 20;         ///< bytes to stream (both cores must agree)
    uint32_t seed = 1;                 ///< of the byte pattern (both cores must agree)
    uint32_t chunk = 0;                ///< CM7: bytes per chunk (0 or too large: the largest)
    uint32_t progress = 4;             ///< progress lines per transfer (0: none)
    uint32_t corrupt_at = UINT32_MAX;  ///< CM7, for tests: flips one bit of this byte
};

/// Byte `offset` of the pattern of `seed`.
uint8_t stream_pattern(uint32_t seed, uint32_t offset);

class StreamScenario {
public:
    /// Installs itself as `streams`' events. `after` (the CM7's role, may be
    /// null): start once its hellos are answered and hold its goodbye until
    /// done(); without it, start when the channel is ready.
    StreamScenario(CoreId core, Streams& streams, Role* after, const StreamScenarioConfig& config);

    StreamScenario(const StreamScenario&) = delete;
    StreamScenario& operator=(const StreamScenario&) = delete;

    /// CM7: opens the stream and sends while credit lasts, then ends it.
    /// Both: Streams::poll(). Call it with the role's poll().
    void poll();
    /// The buffer went through, or failed for good (integrity error, refused).
    bool done() const { return done_; }
    /// Done and verified (CM4), or confirmed by the CM4 (CM7).
    bool ok() const { return done_ && failed_ == 0; }
    uint32_t transfers() const { return transfers_; }
    /// Logs "CMx stream summary: transfers N, ok N, failed N".
    void log_summary() const;

private:
    static bool on_data(void* self, uint8_t handle, ByteSpan chunk);
    static void on_opened(void* self, uint8_t handle);
    static void on_closed(void* self, uint8_t handle, Status reason, const StreamCounters& c);
    void begin(uint8_t handle);
    void advance(ByteSpan bytes);
    void finish(bool ok);
    bool verify() const;
    Line& head(Line& l, const char* what) const;

    CoreId core_;
    Streams& streams_;
    Role* after_;
    StreamScenarioConfig config_;
    uint32_t step_;           // bytes between progress lines
    uint32_t offset_ = 0;     // bytes sent or received in this transfer
    uint32_t next_line_ = 0;  // offset of the next progress line
    uint32_t crc_ = 0;        // of the bytes sent or received
    uint32_t expected_ = 0;   // CM4: of the pattern
    uint32_t transfers_ = 0;
    uint32_t ok_ = 0;
    uint32_t failed_ = 0;
    uint8_t handle_ = 0;  // the transfer under way (0: none)
    bool ending_ = false;
    bool done_ = false;
};

}  // namespace amp
