#include "amp/status.h"

#include <array>
#include <cerrno>
#include <cstddef>
#include <iterator>

#include "amp/config.h"

namespace amp {

namespace {

// The names in enum order, each ending with its '\0', then the fallback: one
// string instead of a table of pointers. Without names, the decimal values.
#if AMP_CONFIG_STATUS_NAMES
constexpr char kNames[] =
    "ok\0no_buffer\0too_large\0not_bound\0invalid_argument\0bad_magic\0bad_version\0"
    "truncated\0bad_length\0crc_mismatch\0bad_flags\0unknown_type\0wrong_size\0table_full\0"
    "timeout\0link_reset\0would_block\0faulted\0version_mismatch\0busy\0not_found\0"
    "unknown_status";
#else
static_assert(kStatusCount <= 100, "two digits at most");

constexpr size_t numbers_size()
{
    size_t n = 2;  // "?" and its '\0'
    for (unsigned i = 0; i < kStatusCount; ++i) n += i < 10 ? 2 : 3;
    return n;
}

constexpr std::array<char, numbers_size()> make_numbers()
{
    std::array<char, numbers_size()> out{};
    size_t at = 0;
    for (unsigned i = 0; i < kStatusCount; ++i) {
        if (i >= 10) out[at++] = static_cast<char>('0' + i / 10);
        out[at++] = static_cast<char>('0' + i % 10);
        out[at++] = '\0';
    }
    out[at] = '?';
    return out;
}
constexpr auto kNames = make_numbers();  // "0", "1", ..., then "?"
#endif

constexpr unsigned count_names()
{
    unsigned n = 0;
    for (char c : kNames) n += c == '\0' ? 1 : 0;
    return n;
}
static_assert(count_names() == kStatusCount + 1, "one name per status, then the fallback");

}  // namespace

const char* to_string(Status s)
{
    unsigned skip =
        static_cast<unsigned>(s) < kStatusCount ? static_cast<unsigned>(s) : kStatusCount;
    const char* p = std::data(kNames);
    for (; skip > 0; --skip) {
        while (*p++ != '\0') {
        }
    }
    return p;
}

int to_errno(Status s)
{
    switch (s) {
    case Status::ok: return 0;
    case Status::no_buffer: return -ENOMEM;  // what ipc_service_send() returns
    case Status::too_large: return -EMSGSIZE;
    case Status::not_bound: return -ENOTCONN;
    case Status::invalid_argument:
    case Status::truncated: return -EINVAL;
    case Status::bad_magic:
    case Status::bad_flags:
    case Status::bad_length:
    case Status::crc_mismatch:
    case Status::wrong_size: return -EBADMSG;
    case Status::bad_version:
    case Status::version_mismatch: return -EPROTONOSUPPORT;
    case Status::unknown_type: return -ENOMSG;
    case Status::table_full: return -ENOSPC;
    case Status::timeout: return -ETIMEDOUT;
    case Status::link_reset: return -ECONNRESET;
    case Status::would_block: return -EAGAIN;
    case Status::faulted: return -EIO;
    case Status::busy: return -EBUSY;
    case Status::not_found: return -ENOENT;
    case Status::count_: break;
    }
    return -EINVAL;
}

}  // namespace amp
