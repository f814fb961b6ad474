#include "amp/status.h"

#include <cerrno>

namespace amp {

const char* to_string(Status s)
{
    switch (s) {
    case Status::ok: return "ok";
    case Status::no_buffer: return "no_buffer";
    case Status::too_large: return "too_large";
    case Status::not_bound: return "not_bound";
    case Status::invalid_argument: return "invalid_argument";
    case Status::bad_magic: return "bad_magic";
    case Status::bad_version: return "bad_version";
    case Status::truncated: return "truncated";
    case Status::bad_length: return "bad_length";
    case Status::crc_mismatch: return "crc_mismatch";
    case Status::bad_flags: return "bad_flags";
    case Status::unknown_type: return "unknown_type";
    case Status::wrong_size: return "wrong_size";
    case Status::table_full: return "table_full";
    case Status::timeout: return "timeout";
    case Status::link_reset: return "link_reset";
    case Status::would_block: return "would_block";
    case Status::faulted: return "faulted";
    case Status::version_mismatch: return "version_mismatch";
    case Status::busy: return "busy";
    case Status::not_found: return "not_found";
    case Status::count_: break;
    }
    return "unknown_status";
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
