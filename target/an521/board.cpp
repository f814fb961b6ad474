#include "board.h"

#include <cstring>

namespace amp::an521 {
namespace {

// ---- registers ----

volatile uint32_t& reg(uintptr_t addr)
{
    return *reinterpret_cast<volatile uint32_t*>(addr);
}

constexpr uintptr_t kCpuIdentity = 0x4001F000;  // SSE-200 CPU_IDENTITY: CPUID at offset 0

// Message handling units (SSE-200): CPUn's interrupt line of an MHU is high
// while CPUnINTR_STAT is non-zero; SET/CLR set and clear its bits.
constexpr uintptr_t kMhu0 = 0x40003000;  // IRQ 6 on both cores
constexpr uintptr_t kMhu1 = 0x40004000;  // IRQ 7 on both cores
constexpr uintptr_t kCpu0IntrStat = 0x00, kCpu0IntrSet = 0x04, kCpu0IntrClr = 0x08;
constexpr uintptr_t kCpu1IntrStat = 0x10, kCpu1IntrSet = 0x14, kCpu1IntrClr = 0x18;
constexpr unsigned kMhu0Irq = 6;
constexpr unsigned kMhu1Irq = 7;

// SysTick and NVIC (each core has its own, at the same addresses).
constexpr uintptr_t kSystCsr = 0xE000E010, kSystRvr = 0xE000E014, kSystCvr = 0xE000E018;
constexpr uintptr_t kIcsr = 0xE000ED04;
constexpr uint32_t kIcsrPendStSet = 1u << 26;
constexpr uintptr_t kNvicIser0 = 0xE000E100;

// SysTick on the processor clock, 20 MHz in QEMU's mps2-an521 (SYSCLK_FRQ),
// one interrupt every 10 ms. The period also bounds how late a deadline of
// wait_for_bell() is noticed.
constexpr uint32_t kTicksPerUs = 20;
constexpr uint32_t kPeriodUs = 10'000;
constexpr uint32_t kReload = kPeriodUs * kTicksPerUs - 1;  // fits SysTick's 24 bits
static_assert(kReload < (1u << 24));

CoreIrq g_irq_cpu0;                                // CPU0's .bss
[[gnu::section(".cpu1_bss")]] CoreIrq g_irq_cpu1;  // CPU1's own RAM

void count(std::atomic<uint32_t>& c)
{
    // Only this core's handlers write it: no read-modify-write needed.
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

// A doorbell interrupt: clear the MHU, then count the ring.
void take_doorbell(uintptr_t mhu, uintptr_t stat, uintptr_t clr, CoreIrq& irq)
{
    reg(mhu + clr) = reg(mhu + stat);
    // Barrier after taking the interrupt (the handler's half): the clear
    // has reached the MHU before the handler returns, so its level no longer
    // pends the interrupt; a ring after the clear sets STAT again and
    // interrupts again, so none is lost. The main loop's half is in
    // wait_for_bell().
    dsb();
    count(irq.bells);
}

bool starts_with(const char* s, const char* prefix)
{
    return std::strncmp(s, prefix, std::strlen(prefix)) == 0;
}

// A line of the hello exchange: "CM7 sending message: Hello from CM7, ..."
// or "CM4 received message with length: 24".
bool is_hello_line(const char* line)
{
    if (!(starts_with(line, "CM7 ") || starts_with(line, "CM4 "))) return false;
    return starts_with(line + 4, "sending message: Hello from ") ||
           starts_with(line + 4, "received message with length: ");
}

// A line builder for the console: bounded, no printf.
class Text {
public:
    Text& put(const char* s)
    {
        while (*s != '\0' && len_ < kCapacity) buf_[len_++] = *s++;
        return *this;
    }
    Text& dec(uint32_t v, unsigned width)
    {
        char digits[10];
        unsigned n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (n < width) digits[n++] = '0';
        while (n > 0 && len_ < kCapacity) buf_[len_++] = digits[--n];
        return *this;
    }
    const char* c_str()
    {
        buf_[len_] = '\0';
        return buf_;
    }

private:
    static constexpr size_t kCapacity = 190;
    char buf_[kCapacity + 1];
    size_t len_ = 0;
};

}  // namespace

CoreIrq& irq_state(Cpu cpu)
{
    return cpu == Cpu::cpu0 ? g_irq_cpu0 : g_irq_cpu1;
}

Cpu current_cpu()
{
    return reg(kCpuIdentity) == 0 ? Cpu::cpu0 : Cpu::cpu1;
}

void init_core(Cpu cpu)
{
    reg(kSystRvr) = kReload;
    reg(kSystCvr) = 0;
    reg(kSystCsr) = 0x7;  // enable, interrupt, processor clock
    // The cleared counter reads 0 until it reloads on the next clock edge;
    // TickClock would take that 0 for the end of a period (a clock that
    // jumps 10 ms ahead and then back), so wait for the reload.
    while (reg(kSystCvr) == 0) {
    }
    // The doorbell this core is rung through (see MhuDoorbell).
    reg(kNvicIser0) = 1u << (cpu == Cpu::cpu0 ? kMhu1Irq : kMhu0Irq);
    isb();
}

// ---- doorbell ----

MhuDoorbell::MhuDoorbell(Cpu self)
    : set_(&reg(self == Cpu::cpu0 ? kMhu0 + kCpu1IntrSet : kMhu1 + kCpu0IntrSet))
{
}

void MhuDoorbell::ring()
{
    ++rings_;
#if AMP_AN521_BREAK_DOORBELL
    return;  // the test of the test: the peer is never told
#else
    // Barrier before ringing: the link has written the buffer, the
    // descriptor and the ring index (a store-release). The DSB makes those
    // stores complete, visible to the other core, before the MHU write that
    // raises its interrupt: the write to the device is not a memory access
    // the other core reads, so DMB's ordering is not enough; the interrupt
    // could otherwise arrive before the data (Linux uses the same DSB before
    // an inter-processor interrupt).
    dsb();
    *set_ = 1;
#endif
}

// ---- interrupt handlers (vector tables in startup.cpp) ----

extern "C" void amp_an521_mhu1_cpu0()
{
    take_doorbell(kMhu1, kCpu0IntrStat, kCpu0IntrClr, g_irq_cpu0);
}

extern "C" void amp_an521_mhu0_cpu1()
{
    take_doorbell(kMhu0, kCpu1IntrStat, kCpu1IntrClr, g_irq_cpu1);
}

extern "C" void amp_an521_systick_cpu0()
{
    count(g_irq_cpu0.wraps);
}

extern "C" void amp_an521_systick_cpu1()
{
    count(g_irq_cpu1.wraps);
}

// ---- time ----

uint32_t TickClock::now_us() const
{
    for (;;) {
        const uint32_t wraps = irq_.wraps.load(std::memory_order_acquire);
        const uint32_t cvr = reg(kSystCvr);
        // A wrap whose interrupt has not run yet (masked, or we are in a
        // handler): the counter has reloaded, count that period too. `cvr`
        // was read before the pending bit, so take the value after it.
        const bool pending = (reg(kIcsr) & kIcsrPendStSet) != 0;
        const uint32_t cvr_after = reg(kSystCvr);
        if (irq_.wraps.load(std::memory_order_acquire) != wraps) continue;  // the handler ran
        const uint32_t periods = pending ? wraps + 1 : wraps;
        const uint32_t value = pending ? cvr_after : cvr;
        const uint32_t now = periods * kPeriodUs + (kReload - value) / kTicksPerUs;
        if (static_cast<int32_t>(now - last_) < 0) ++backwards_;
        last_ = now;
        return now;
    }
}

uint32_t wait_for_bell(Cpu cpu, const Clock& clock, uint32_t seen, uint32_t deadline_us)
{
    CoreIrq& irq = irq_state(cpu);
    for (;;) {
        // With interrupts masked the check and the WFI are one step: a ring
        // after the check pends the interrupt, and WFI returns at once (it
        // wakes on a pending interrupt even while PRIMASK masks it).
        asm volatile("cpsid i" ::: "memory");
        const uint32_t bells = irq.bells.load(std::memory_order_relaxed);
        if (bells != seen || is_due(deadline_us, clock.now_us())) {
            asm volatile("cpsie i" ::: "memory");
            // Barrier after taking the interrupt (the main loop's half): the
            // reads of the rings that follow (the link's poll) are ordered
            // after the doorbell observed here, so they see what the peer
            // published before its DSB and MHU write, not values read early.
            dmb();
            return bells;
        }
        asm volatile("wfi" ::: "memory");
        asm volatile("cpsie i" ::: "memory");  // the pending handler runs here
        isb();
    }
}

// ---- console ----

void Console::write(LogLevel level, const char* line)
{
    if (level == LogLevel::plain && is_hello_line(line) && ++hello_seen_ > hello_lines_) {
        ++muted_;
        return;
    }
    Text t;
    if (level != LogLevel::plain) {
        static constexpr const char* kTags[] = {"err", "wrn", "inf", "dbg"};
        const uint32_t us = clock_.now_us();
        const uint32_t ms = us / 1000;
        t.put("[")
            .dec(ms / 3'600'000, 2)
            .put(":")
            .dec(ms / 60'000 % 60, 2)
            .put(":")
            .dec(ms / 1000 % 60, 2)
            .put(".")
            .dec(ms % 1000, 3)
            .put(",")
            .dec(us % 1000, 3)
            .put("] <")
            .put(kTags[static_cast<unsigned>(level)])
            .put("> ")
            .put(module_)
            .put(": ");
    }
    t.put(line).put("\n");
    console_write(t.c_str());
}

}  // namespace amp::an521
