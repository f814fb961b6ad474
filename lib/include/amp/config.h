// Compile-time configuration. Each value may be overridden with -D (the
// Zephyr module maps its Kconfig options onto these).
#pragma once

#ifndef AMP_CONFIG_MAX_HANDLERS
#define AMP_CONFIG_MAX_HANDLERS 8  // message types one dispatcher serves
#endif

#ifndef AMP_CONFIG_MAX_PENDING
#define AMP_CONFIG_MAX_PENDING 8  // requests one RpcClient keeps in flight
#endif

#ifndef AMP_CONFIG_MAX_STREAMS
#define AMP_CONFIG_MAX_STREAMS 4  // streams one channel carries at once
#endif

#ifndef AMP_CONFIG_CRC
#define AMP_CONFIG_CRC 1  // 0: frames carry crc 0 and the check is skipped
#endif

// 1: to_string(Status) gives names ("crc_mismatch"), 0: decimal values
// ("9"), about 200 bytes less flash (Zephyr: CONFIG_AMP_STATUS_NAMES, off by
// default).
#ifndef AMP_CONFIG_STATUS_NAMES
#define AMP_CONFIG_STATUS_NAMES 1
#endif

namespace amp::config {
inline constexpr unsigned kMaxHandlers = AMP_CONFIG_MAX_HANDLERS;
inline constexpr unsigned kMaxPending = AMP_CONFIG_MAX_PENDING;
static_assert(kMaxPending > 0, "AMP_CONFIG_MAX_PENDING must be at least 1");
inline constexpr bool kCrcEnabled = AMP_CONFIG_CRC != 0;
inline constexpr bool kStatusNames = AMP_CONFIG_STATUS_NAMES != 0;
}  // namespace amp::config
