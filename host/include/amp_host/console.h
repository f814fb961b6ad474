// A LogSink that prints like a Zephyr console: leveled lines get the
// "[hh:mm:ss.mmm,uuu] <inf> module: " prefix, plain lines print as printk would.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "amp/log.h"

namespace amp::host {

class ConsoleSink final : public LogSink {
public:
    /// `module` is the Zephyr log module name, e.g. "cm7_main".
    explicit ConsoleSink(std::string module, std::FILE* out = stdout);

    void write(LogLevel level, const char* line) override;
    void info(const std::string& text) { write(LogLevel::info, text.c_str()); }
    void warn(const std::string& text) { write(LogLevel::warning, text.c_str()); }
    void error(const std::string& text) { write(LogLevel::error, text.c_str()); }

private:
    std::string module_;
    std::FILE* out_;
    std::chrono::steady_clock::time_point start_;
    std::mutex mutex_;
};

/// Formats microseconds as Zephyr's log timestamp "[00:00:01.125,000]".
std::string zephyr_timestamp(uint64_t us);

}  // namespace amp::host
