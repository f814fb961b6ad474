// Logging hooks. The library never prints: it formats short lines into a
// stack buffer and hands them to a LogSink the platform implements (Zephyr
// LOG_* / printk on target, stdout on the host, nothing in tests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "amp/link.h"

namespace amp {

enum class LogLevel : uint8_t { error, warning, info, debug, plain };

class LogSink {
public:
    /// `line` has no trailing newline and is valid only during the call.
    virtual void write(LogLevel level, const char* line) = 0;

protected:
    ~LogSink() = default;
};

/// Fixed-capacity line builder: no heap, no printf. Text that does not fit
/// is cut and the line ends with "..." so truncation is visible.
class Line {
public:
    static constexpr size_t kCapacity = 120;

    Line() { buf_[0] = '\0'; }

    Line& operator<<(const char* s);
    Line& operator<<(char c);
    /// Any integer type up to 32 bits wide (no ambiguity between `unsigned`,
    /// `unsigned long` and `size_t` across Arm and x86).
    template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, char> && !std::is_same_v<T, bool>) Line&
    operator<<(T v)
    {
        if constexpr (std::is_signed_v<T>) {
            return put_signed(static_cast<int32_t>(v));
        } else {
            return put_unsigned(static_cast<uint32_t>(v));
        }
    }
    /// Untrusted bytes as text: printable ASCII kept, anything else shown as '.'.
    Line& text(ByteSpan bytes);
    Line& operator<<(ByteSpan bytes) { return text(bytes); }
    Line& hex(uint32_t v);

    const char* c_str() const { return buf_; }
    size_t size() const { return len_; }

private:
    void put(char c);
    Line& put_unsigned(uint32_t v);
    Line& put_signed(int32_t v);

    char buf_[kCapacity + 1];  // NOLINT: terminated at len_, not cleared (cheaper)
    size_t len_ = 0;
    bool cut_ = false;
};

/// Sends `line` to `sink` if there is one.
inline void log_line(LogSink* sink, LogLevel level, const Line& line)
{
    if (sink != nullptr) sink->write(level, line.c_str());
}

}  // namespace amp
