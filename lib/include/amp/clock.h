// Injected time source: the library never reads a clock of its own.
#pragma once

#include <cstdint>

namespace amp {

/// Microseconds since an arbitrary origin. Wraps after about 71 minutes;
/// compare times only through elapsed_us() / is_due().
class Clock {
public:
    virtual uint32_t now_us() const = 0;

protected:
    ~Clock() = default;
};

/// Wrap-safe difference `later - earlier`.
constexpr uint32_t elapsed_us(uint32_t earlier, uint32_t later)
{
    return later - earlier;
}

/// True when `deadline` has been reached at time `now` (wrap-safe within 35 minutes).
constexpr bool is_due(uint32_t deadline, uint32_t now)
{
    return static_cast<int32_t>(now - deadline) >= 0;
}

/// A clock the caller sets by hand (tests, simulations).
class ManualClock final : public Clock {
public:
    uint32_t now_us() const override { return now_; }
    void set(uint32_t t) { now_ = t; }
    void advance(uint32_t dt) { now_ += dt; }

private:
    uint32_t now_ = 0;
};

}  // namespace amp
