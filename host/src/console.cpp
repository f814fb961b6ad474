#include "amp_host/console.h"

#include <fmt/format.h>

namespace amp::host {

ConsoleSink::ConsoleSink(std::string module, std::FILE* out)
    : module_(std::move(module)), out_(out), start_(std::chrono::steady_clock::now())
{
}

std::string zephyr_timestamp(uint64_t us)
{
    const uint64_t ms = us / 1000;
    return fmt::format("[{:02}:{:02}:{:02}.{:03},{:03}]", ms / 3600000, (ms / 60000) % 60,
                       (ms / 1000) % 60, ms % 1000, us % 1000);
}

void ConsoleSink::write(LogLevel level, const char* line)
{
    std::string text;
    if (level == LogLevel::plain) {
        text = fmt::format("{}\n", line);
    } else {
        static constexpr const char* kTags[] = {"err", "wrn", "inf", "dbg"};
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start_)
                            .count();
        text = fmt::format("{} <{}> {}: {}\n", zephyr_timestamp(static_cast<uint64_t>(us)),
                           kTags[static_cast<int>(level)], module_, line);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    std::fputs(text.c_str(), out_);
    std::fflush(out_);
}

}  // namespace amp::host
