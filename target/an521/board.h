// Board support of the dual-core board (QEMU mps2-an521: SSE-200, two
// Cortex-M33): the MHU doorbell, a SysTick clock, sleeping until the
// doorbell, the semihosting console, starting CPU1 and ending the run.
// Both cores run this code; everything that is per core takes the Cpu.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "amp/clock.h"
#include "amp/doorbell.h"
#include "amp/log.h"

namespace amp::an521 {

enum class Cpu : uint8_t { cpu0 = 0, cpu1 = 1 };

inline constexpr unsigned index(Cpu c)
{
    return static_cast<unsigned>(c);
}

// ---- barriers ----
//
// Each is also a compiler barrier ("memory" clobber). The places that need
// them are commented where they are used (MhuDoorbell::ring, the doorbell
// interrupt, wait_for_bell, start_cpu1). With -DAMP_AN521_BREAK_BARRIER=1
// (a test of the test, see test-dualcore.sh) dsb() and dmb() emit nothing.
#if AMP_AN521_BREAK_BARRIER
inline void dsb() {}
inline void dmb() {}
#else
/// Data synchronisation barrier: every memory access before it has completed.
inline void dsb()
{
    asm volatile("dsb 0xF" ::: "memory");
}
/// Data memory barrier: accesses before it are observed before those after it.
inline void dmb()
{
    asm volatile("dmb 0xF" ::: "memory");
}
#endif
inline void isb()
{
    asm volatile("isb 0xF" ::: "memory");
}

// ---- per-core interrupt state ----

/// Written by one core's interrupt handlers, read by the same core's main
/// loop. CPU0's lives in .bss, CPU1's in .cpu1_bss (its own RAM).
struct CoreIrq {
    std::atomic<uint32_t> bells{0};  ///< doorbell interrupts taken
    std::atomic<uint32_t> wraps{0};  ///< SysTick periods elapsed
};
CoreIrq& irq_state(Cpu cpu);

/// Which core runs this code, from the SSE-200's CPU_IDENTITY register.
Cpu current_cpu();

/// Enables this core's SysTick (the clock) and its doorbell interrupt.
void init_core(Cpu cpu);

// ---- the doorbell ----

/// amp::Doorbell over the SSE-200 message handling units, one per
/// direction: CPU0 rings CPU1 through MHU0 (CPU1INTR_SET, IRQ 6 on CPU1),
/// CPU1 rings CPU0 through MHU1 (CPU0INTR_SET, IRQ 7 on CPU0). The receiving
/// core's interrupt handler clears the MHU and counts the ring in its
/// CoreIrq::bells; a ring while one is pending just merges with it, which is
/// all the link needs ("look at the rings"). With -DAMP_AN521_BREAK_DOORBELL=1
/// ring() only counts (a test of the test).
class MhuDoorbell final : public Doorbell {
public:
    /// The doorbell `self` rings to reach the other core.
    explicit MhuDoorbell(Cpu self);
    void ring() override;
    uint32_t rings() const { return rings_; }

private:
    volatile uint32_t* set_;
    uint32_t rings_ = 0;
};

// ---- time ----

/// Microseconds from this core's SysTick (20 MHz processor clock in QEMU's
/// model), extended past its 24 bits by the wrap count of CoreIrq. Counts
/// the readings that went backwards (a bug; the run checks there are none).
class TickClock final : public Clock {
public:
    explicit TickClock(Cpu cpu) : irq_(irq_state(cpu)) {}
    uint32_t now_us() const override;
    uint32_t backwards() const { return backwards_; }

private:
    CoreIrq& irq_;
    mutable uint32_t last_ = 0;
    mutable uint32_t backwards_ = 0;
};

/// Sleeps in WFI until this core's doorbell rang since `seen` (a
/// CoreIrq::bells value read before the work that was done) or `deadline_us`
/// of `clock` is due. Returns the current bell count.
uint32_t wait_for_bell(Cpu cpu, const Clock& clock, uint32_t seen, uint32_t deadline_us);

// ---- console ----

/// A LogSink on the semihosting console, one line per semihosting call so
/// that the two cores' lines never mix. Leveled lines look like the Zephyr
/// console ("[00:00:00.012,345] <inf> cm7_main: ..."), plain lines print as
/// they are (the library's lines already name their core: "CM7 sending ...").
/// After `hello_lines` lines of the hello exchange, further ones are counted
/// instead of printed.
class Console final : public LogSink {
public:
    Console(const char* module, const Clock& clock, uint32_t hello_lines)
        : module_(module), clock_(clock), hello_lines_(hello_lines)
    {
    }
    void write(LogLevel level, const char* line) override;
    void info(const char* line) { write(LogLevel::info, line); }
    void error(const char* line) { write(LogLevel::error, line); }
    uint32_t muted() const { return muted_; }

private:
    const char* module_;
    const Clock& clock_;
    uint32_t hello_lines_;
    uint32_t hello_seen_ = 0;
    uint32_t muted_ = 0;
};

// ---- runtime (startup.cpp) ----

/// Writes NUL-terminated `text` to the semihosting console as it is.
void console_write(const char* text);
/// CPU0: copies CPU1's vector table into CPU1's RAM, points INITSVTOR1 at it
/// and releases CPU1 from CPUWAIT. Returns the table's address.
uint32_t start_cpu1();
/// Ends the run (any core): QEMU exits with `status`.
[[noreturn]] void exit_run(int status);
/// Parks this core in WFI for good (CPU1 after its report).
[[noreturn]] void park();

}  // namespace amp::an521

extern "C" {
/// Entry points of the two cores' programs (main.cpp).
int amp_an521_cpu0_main();
int amp_an521_cpu1_main();
}
