// Startup of the bare-metal images (QEMU mps2-an500 / mps2-an386): vector
// table, reset handler, fault report. No newlib start files are linked
// (-nostartfiles): this file initialises memory and runs the constructors.
#include <cstddef>
#include <cstdint>

#include "runtime.h"

extern "C" {
// From mps2.ld.
extern uint32_t __stack_top;
extern uint32_t __data_start__[], __data_end__[], __data_load__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern void (*__preinit_array_start[])();
extern void (*__preinit_array_end[])();
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();

int main();
[[noreturn]] void Reset_Handler();
[[noreturn]] void amp_target_start();
void amp_target_fault_entry();
[[noreturn]] void amp_target_fault_report(const uint32_t* frame);
}

namespace {

using Vector = void (*)();

// Cortex-M system exceptions. No interrupt is enabled by these images, so the
// table stops after SysTick.
[[gnu::section(".vectors"), gnu::used]] const Vector kVectors[16] = {
    reinterpret_cast<Vector>(&__stack_top),  // initial main stack pointer
    Reset_Handler,
    amp_target_fault_entry,  // NMI
    amp_target_fault_entry,  // HardFault
    amp_target_fault_entry,  // MemManage
    amp_target_fault_entry,  // BusFault
    amp_target_fault_entry,  // UsageFault
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    amp_target_fault_entry,  // SVCall
    amp_target_fault_entry,  // DebugMonitor
    nullptr,
    amp_target_fault_entry,  // PendSV
    amp_target_fault_entry,  // SysTick
};

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

// "0x" and 8 hex digits, NUL-terminated.
void write_hex(uint32_t v)
{
    char text[11] = "0x";
    for (int i = 0; i < 8; ++i) text[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xFu];
    text[10] = '\0';
    amp_target_write(text);
}

}  // namespace

void amp_target_write(const char* text)
{
    semihost(kSysWrite0, text);
}

// Default exit: stops QEMU with `status` as its exit code. Test images
// override it to flush stdio first (see semihost_io.cpp).
[[gnu::weak, noreturn]] void amp_target_exit(int status)
{
    const uint32_t block[2] = {kAdpStoppedApplicationExit, static_cast<uint32_t>(status)};
    for (;;) semihost(kSysExitExtended, block);
}

// The FPU (CP10/CP11) is off after reset: grant full access in CPACR before
// the first floating-point instruction, which hard-float code may emit
// anywhere, so this part is written in assembly. Then the C++ part runs.
extern "C" [[gnu::naked, noreturn]] void Reset_Handler()
{
#if defined(__ARM_FP)
    asm volatile(
        "ldr r0, =0xE000ED88\n"  // SCB->CPACR
        "ldr r1, [r0]\n"
        "orr r1, r1, #(0xF << 20)\n"
        "str r1, [r0]\n"
        "dsb\n"
        "isb\n"
        "b amp_target_start\n");
#else
    asm volatile("b amp_target_start\n");
#endif
}

extern "C" [[noreturn, gnu::used]] void amp_target_start()
{
    const uint32_t* src = __data_load__;
    for (uint32_t* dst = __data_start__; dst < __data_end__;) *dst++ = *src++;
    for (uint32_t* dst = __bss_start__; dst < __bss_end__;) *dst++ = 0;
    for (auto* f = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
    for (auto* f = __init_array_start; f < __init_array_end; ++f) (*f)();
    amp_target_exit(main());
}

// What crti.o/crtn.o would provide: newlib's __libc_fini_array (linked by
// librdimon's exit path) calls _fini. The arrays do all the work here.
extern "C" void _init() {}
extern "C" void _fini() {}

// Any fault or unexpected exception: pass the stacked frame (MSP or PSP) on.
extern "C" [[gnu::naked]] void amp_target_fault_entry()
{
    asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "b amp_target_fault_report\n");
}

// Prints the exception number, the faulting pc and lr, then fails the run.
extern "C" [[noreturn, gnu::used]] void amp_target_fault_report(const uint32_t* frame)
{
    uint32_t ipsr = 0;
    asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    amp_target_write("\namp-target: exception ");
    write_hex(ipsr);
    amp_target_write(" at pc ");
    write_hex(frame[6]);  // stacked pc
    amp_target_write(", lr ");
    write_hex(frame[5]);  // stacked lr
    amp_target_write("\n");
    amp_target_fatal("unexpected exception");
}

void amp_target_fatal(const char* why)
{
    amp_target_write("amp-target: fatal: ");
    amp_target_write(why);
    amp_target_write("\n");
    const uint32_t block[2] = {kAdpStoppedApplicationExit, 3};
    for (;;) semihost(kSysExitExtended, block);
}
