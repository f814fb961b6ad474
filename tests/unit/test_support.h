// Helpers shared by the unit tests (host GoogleTest and the target harness).
#pragma once

#include <array>
#include <cstring>

#include "amp/log.h"

namespace amp::test {

/// Keeps the last lines written, for assertions on what the library logs.
class CaptureSink final : public LogSink {
public:
    static constexpr size_t kLines = 64;

    void write(LogLevel level, const char* line) override
    {
        Entry& e = lines_[count_ % kLines];
        e.level = level;
        std::strncpy(e.text.data(), line, e.text.size() - 1);
        e.text[e.text.size() - 1] = '\0';
        ++count_;
    }
    size_t count() const { return count_; }
    /// True when any kept line contains `needle`.
    bool contains(const char* needle) const
    {
        const size_t n = count_ < kLines ? count_ : kLines;
        for (size_t i = 0; i < n; ++i) {
            if (std::strstr(lines_[i].text.data(), needle) != nullptr) return true;
        }
        return false;
    }
    /// Number of kept lines at `level`.
    size_t count_at(LogLevel level) const
    {
        size_t c = 0;
        const size_t n = count_ < kLines ? count_ : kLines;
        for (size_t i = 0; i < n; ++i) c += lines_[i].level == level ? 1 : 0;
        return c;
    }
    void clear() { count_ = 0; }

private:
    struct Entry {
        LogLevel level = LogLevel::info;
        std::array<char, Line::kCapacity + 1> text{};
    };
    std::array<Entry, kLines> lines_{};
    size_t count_ = 0;
};

}  // namespace amp::test
