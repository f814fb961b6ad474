#include "amp/log.h"

namespace amp {

void Line::put(char c)
{
    if (len_ < kCapacity) {
        buf_[len_++] = c;
        buf_[len_] = '\0';
        return;
    }
    if (!cut_) {
        cut_ = true;
        buf_[kCapacity - 3] = buf_[kCapacity - 2] = buf_[kCapacity - 1] = '.';
    }
}

Line& Line::operator<<(const char* s)
{
    if (s == nullptr) s = "(null)";
    while (*s != '\0') put(*s++);
    return *this;
}

Line& Line::operator<<(char c)
{
    put(c);
    return *this;
}

Line& Line::put_unsigned(uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) put(digits[--n]);
    return *this;
}

Line& Line::put_signed(int32_t v)
{
    if (v < 0) {
        put('-');
        return put_unsigned(0u - static_cast<uint32_t>(v));
    }
    return put_unsigned(static_cast<uint32_t>(v));
}

Line& Line::hex(uint32_t v)
{
    put('0');
    put('x');
    for (int shift = 28; shift >= 0; shift -= 4) {
        const auto digit = static_cast<char>((v >> shift) & 0xFu);
        put(static_cast<char>(digit < 10 ? '0' + digit : 'a' - 10 + digit));
    }
    return *this;
}

Line& Line::text(ByteSpan bytes)
{
    for (uint8_t b : bytes) put(b >= 0x20 && b < 0x7F ? static_cast<char>(b) : '.');
    return *this;
}

}  // namespace amp
