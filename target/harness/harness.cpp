// Runner of the target test harness (gtest/gtest.h): runs every registered
// TEST in registration order, prints one line per test and per failure, and
// ends with "N passed, N failed". The exit status is 0 only when all passed.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#ifndef AMP_TARGET_CPU
#define AMP_TARGET_CPU "cortex-m"
#endif

namespace amp_harness {
namespace {

TestCase* g_first = nullptr;
TestCase* g_last = nullptr;
unsigned g_failures_in_test = 0;

}  // namespace

Registrar::Registrar(TestCase& test)
{
    if (g_last == nullptr) {
        g_first = &test;
    } else {
        g_last->next = &test;
    }
    g_last = &test;
}

Message& Message::operator<<(const char* s)
{
    return append(s);
}

Message& Message::append(const char* s)
{
    if (s == nullptr) s = "(null)";
    while (*s != '\0' && len_ < kCapacity) buf_[len_++] = *s++;
    buf_[len_] = '\0';
    return *this;
}

Message& Message::operator<<(char c)
{
    const char text[2] = {c, '\0'};
    return append(text);
}

Message& Message::operator<<(bool b)
{
    return *this << (b ? "true" : "false");
}

Message& Message::operator<<(const void* p)
{
    if (p == nullptr) return *this << "nullptr";
    char text[16];
    std::snprintf(text, sizeof text, "0x%08lx",
                  static_cast<unsigned long>(reinterpret_cast<uintptr_t>(p)));
    return append(text);
}

Message& Message::operator<<(double v)
{
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return append(text);
}

Message& Message::put_signed(long long v)
{
    char text[24];
    std::snprintf(text, sizeof text, "%lld", v);
    return append(text);
}

Message& Message::put_unsigned(unsigned long long v)
{
    char text[24];
    std::snprintf(text, sizeof text, "%llu", v);
    return append(text);
}

Result check_bool(bool value, bool expected, const char* expr)
{
    Result r;
    if (value == expected) return r;
    r.ok = false;
    r.text << "expected " << expr << " to be " << expected;
    return r;
}

Result compare_str(bool want_equal, const char* ea, const char* eb, const char* a, const char* b)
{
    const bool equal = (a == nullptr || b == nullptr) ? a == b : std::strcmp(a, b) == 0;
    Result r;
    if (equal == want_equal) return r;
    r.ok = false;
    r.text << "expected " << ea << (want_equal ? " equal to " : " different from ") << eb
           << ", got \"" << a << "\" vs \"" << b << '"';
    return r;
}

void Failure::operator=(const Message& message) const
{
    ++g_failures_in_test;
    std::printf("%s:%d: Failure: %s", file_, line_, result_.text.c_str());
    if (message.c_str()[0] != '\0') std::printf(" (%s)", message.c_str());
    std::printf("\n");
}

}  // namespace amp_harness

int main()
{
    using amp_harness::TestCase;
    unsigned total = 0;
    for (const TestCase* t = amp_harness::g_first; t != nullptr; t = t->next) ++total;
    std::printf("[==========] %u tests on %s\n", total, AMP_TARGET_CPU);

    unsigned passed = 0;
    unsigned failed = 0;
    for (const TestCase* t = amp_harness::g_first; t != nullptr; t = t->next) {
        std::printf("[ RUN      ] %s.%s\n", t->suite, t->name);
        amp_harness::g_failures_in_test = 0;
        t->function();
        if (amp_harness::g_failures_in_test == 0) {
            ++passed;
            std::printf("[       OK ] %s.%s\n", t->suite, t->name);
        } else {
            ++failed;
            std::printf("[  FAILED  ] %s.%s\n", t->suite, t->name);
        }
    }
    std::printf("%u passed, %u failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
