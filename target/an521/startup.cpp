// Startup of the dual-core board image (QEMU mps2-an521): both cores' vector
// tables and reset handlers, starting CPU1, semihosting console and exit,
// fault report. No newlib start files are linked (-nostartfiles).
//
// Boot: QEMU starts CPU0 from the table at 0x10000000 (INITSVTOR0's reset
// value); CPU1 is held in CPUWAIT. CPU0 initialises its .data/.bss, formats
// the shared memory and calls start_cpu1(): CPU1's table is copied into
// CPU1's RAM (a NOLOAD section, so QEMU reads it from memory and not from the
// ELF file), INITSVTOR1 points at it, and clearing CPUWAIT bit 1 lets CPU1
// take its reset. CPU1 zeroes its own .cpu1_bss and runs its program.
#include <cstdint>
#include <cstring>

#include "../runtime/runtime.h"
#include "board.h"

extern "C" {
// From an521.ld.
extern uint32_t __cpu0_stack_top, __cpu1_stack_top;
extern uint32_t __data_start__[], __data_end__[], __data_load__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern uint32_t __cpu1_bss_start__[], __cpu1_bss_end__[];
extern uint32_t __shared_start__[], __shared_end__[];
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();

[[noreturn]] void amp_an521_cpu0_reset();
[[noreturn]] void amp_an521_cpu1_reset();
void amp_an521_fault_entry();
[[noreturn]] void amp_an521_fault_report(const uint32_t* frame);
// Interrupt handlers (board.cpp).
void amp_an521_systick_cpu0();
void amp_an521_systick_cpu1();
void amp_an521_mhu1_cpu0();
void amp_an521_mhu0_cpu1();
}

namespace amp::an521 {
namespace {

using Vector = void (*)();

// 16 system exceptions, then IRQ 0..7: IRQ 6 is MHU0, IRQ 7 is MHU1.
constexpr unsigned kVectorCount = 16 + 8;

constexpr uintptr_t kSysCtl = 0x50021000;  // SSE-200 system control (Secure)
volatile uint32_t* const kInitSvtor1 = reinterpret_cast<volatile uint32_t*>(kSysCtl + 0x114);
volatile uint32_t* const kCpuWait = reinterpret_cast<volatile uint32_t*>(kSysCtl + 0x118);

#define AMP_AN521_FAULT amp_an521_fault_entry

// CPU0's table, where QEMU's CPU0 looks for it (start of .vectors, 0x10000000).
[[gnu::section(".vectors"), gnu::used]] const Vector kCpu0Vectors[kVectorCount] = {
    reinterpret_cast<Vector>(&__cpu0_stack_top),
    amp_an521_cpu0_reset,
    AMP_AN521_FAULT,  // NMI
    AMP_AN521_FAULT,  // HardFault
    AMP_AN521_FAULT,  // MemManage
    AMP_AN521_FAULT,  // BusFault
    AMP_AN521_FAULT,  // UsageFault
    AMP_AN521_FAULT,  // SecureFault
    nullptr,
    nullptr,
    nullptr,
    AMP_AN521_FAULT,  // SVCall
    AMP_AN521_FAULT,  // DebugMonitor
    nullptr,
    AMP_AN521_FAULT,  // PendSV
    amp_an521_systick_cpu0,
    AMP_AN521_FAULT,  // IRQ 0..5: not enabled
    AMP_AN521_FAULT,
    AMP_AN521_FAULT,
    AMP_AN521_FAULT,
    AMP_AN521_FAULT,
    AMP_AN521_FAULT,
    AMP_AN521_FAULT,      // IRQ 6: MHU0, CPU0's line (not used: CPU0 is rung through MHU1)
    amp_an521_mhu1_cpu0,  // IRQ 7: MHU1, CPU0INTR: CPU1 rang
};

// CPU1's table as start_cpu1() copies it.
const Vector kCpu1VectorsSource[kVectorCount] = {
    reinterpret_cast<Vector>(&__cpu1_stack_top),
    amp_an521_cpu1_reset,
    AMP_AN521_FAULT,  // NMI
    AMP_AN521_FAULT,  // HardFault
    AMP_AN521_FAULT,  // MemManage
    AMP_AN521_FAULT,  // BusFault
    AMP_AN521_FAULT,  // UsageFault
    AMP_AN521_FAULT,  // SecureFault
    nullptr,
    nullptr,
    nullptr,
    AMP_AN521_FAULT,  // SVCall
    AMP_AN521_FAULT,  // DebugMonitor
    nullptr,
    AMP_AN521_FAULT,  // PendSV
    amp_an521_systick_cpu1,
    AMP_AN521_FAULT,  // IRQ 0..5: not enabled
    AMP_AN521_FAULT,
    AMP_AN521_FAULT,
    AMP_AN521_FAULT,
    AMP_AN521_FAULT,
    AMP_AN521_FAULT,
    amp_an521_mhu0_cpu1,  // IRQ 6: MHU0, CPU1INTR: CPU0 rang
    AMP_AN521_FAULT,      // IRQ 7: MHU1, CPU1's line (not used: CPU1 is rung through MHU0)
};

#undef AMP_AN521_FAULT

// Where CPU1 finds its table: its own RAM, no file contents in the ELF.
[[gnu::section(".cpu1_vectors"), gnu::used]] Vector g_cpu1_vectors[kVectorCount];

// Semihosting operations (Arm "Semihosting for AArch32 and AArch64").
constexpr uint32_t kSysWrite0 = 0x04;
constexpr uint32_t kSysExitExtended = 0x20;
constexpr uint32_t kAdpStoppedApplicationExit = 0x20026;

uint32_t semihost(uint32_t op, const void* arg)
{
    register uint32_t r0 asm("r0") = op;
    register const void* r1 asm("r1") = arg;
    asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void append_hex(char*& out, uint32_t v)
{
    *out++ = '0';
    *out++ = 'x';
    for (int i = 0; i < 8; ++i) *out++ = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xFu];
}

void append(char*& out, const char* s)
{
    while (*s != '\0') *out++ = *s++;
}

}  // namespace

void console_write(const char* text)
{
    semihost(kSysWrite0, text);
}

void exit_run(int status)
{
    const uint32_t block[2] = {kAdpStoppedApplicationExit, static_cast<uint32_t>(status)};
    for (;;) semihost(kSysExitExtended, block);
}

void park()
{
    for (;;) asm volatile("wfi" ::: "memory");
}

uint32_t start_cpu1()
{
    std::memcpy(static_cast<void*>(g_cpu1_vectors), kCpu1VectorsSource, sizeof g_cpu1_vectors);
    // The table (and the shared memory CPU0 formatted) is written before
    // CPU1 can fetch its SP and PC from it.
    dsb();
    const auto table = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(g_cpu1_vectors));
    *kInitSvtor1 = table;
    // The vector address is set before CPU1 leaves CPUWAIT and resets.
    dsb();
    *kCpuWait = *kCpuWait & ~2u;
    return table;
}

}  // namespace amp::an521

using namespace amp::an521;

extern "C" [[noreturn]] void amp_an521_cpu0_reset()
{
    const uint32_t* src = __data_load__;
    for (uint32_t* dst = __data_start__; dst < __data_end__;) *dst++ = *src++;
    for (uint32_t* dst = __bss_start__; dst < __bss_end__;) *dst++ = 0;
    // The shared memory: CPU1 is not running yet.
    for (uint32_t* dst = __shared_start__; dst < __shared_end__;) *dst++ = 0;
    for (auto* f = __init_array_start; f < __init_array_end; ++f) (*f)();
    exit_run(amp_an521_cpu0_main());
}

extern "C" [[noreturn]] void amp_an521_cpu1_reset()
{
    // CPU1's state is its own RAM; CPU0's .data/.bss are not touched here.
    for (uint32_t* dst = __cpu1_bss_start__; dst < __cpu1_bss_end__;) *dst++ = 0;
    const int status = amp_an521_cpu1_main();
    if (status != 0) exit_run(status);
    park();
}

// What crti.o/crtn.o would provide, for newlib's init/fini arrays.
extern "C" void _init() {}
extern "C" void _fini() {}

// Any fault or unexpected exception: pass the stacked frame (MSP or PSP) on.
extern "C" [[gnu::naked]] void amp_an521_fault_entry()
{
    asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "b amp_an521_fault_report\n");
}

// Prints the core, the exception number, the faulting pc and lr; fails the run.
extern "C" [[noreturn, gnu::used]] void amp_an521_fault_report(const uint32_t* frame)
{
    uint32_t ipsr = 0;
    asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    char text[96];
    char* out = text;
    append(out, current_cpu() == Cpu::cpu0 ? "amp-an521 cpu0" : "amp-an521 cpu1");
    append(out, ": exception ");
    append_hex(out, ipsr);
    append(out, " at pc ");
    append_hex(out, frame[6]);  // stacked pc
    append(out, ", lr ");
    append_hex(out, frame[5]);  // stacked lr
    append(out, "\n");
    *out = '\0';
    console_write(text);
    exit_run(3);
}

// The runtime interface of target/runtime (runtime.h), for cxxabi.cpp.
void amp_target_write(const char* text)
{
    console_write(text);
}

void amp_target_exit(int status)
{
    exit_run(status);
}

void amp_target_fatal(const char* why)
{
    console_write(current_cpu() == Cpu::cpu0 ? "amp-an521 cpu0: fatal: "
                                             : "amp-an521 cpu1: fatal: ");
    console_write(why);
    console_write("\n");
    exit_run(3);
}
