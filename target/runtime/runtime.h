// The bare-metal runtime of the QEMU images (startup.cpp, cxxabi.cpp).
#pragma once

extern "C" {
/// Writes NUL-terminated `text` to the semihosting console, unbuffered.
void amp_target_write(const char* text);
/// Ends the run with `status` as QEMU's exit code. Weak: test images replace
/// it with one that flushes stdio first.
[[noreturn]] void amp_target_exit(int status);
/// Reports `why` and ends the run with exit code 3.
[[noreturn]] void amp_target_fatal(const char* why);
}
