// What Zephyr's IPC service send calls return, as amp::Status values.
//
// Kept free of Zephyr headers (only <cerrno>) so that the host tests check
// the mapping. The errno values come from include/zephyr/ipc/ipc_service.h
// and the two backends this sample uses:
//   - RPMsg static vrings: -EBUSY (instance not open), -ENOENT (endpoint not
//     registered), -EBADMSG (empty message), -ENOMEM (ipc_service_send: no
//     buffer, after OpenAMP waited for one), -ENOBUFS (ipc_service_get_tx_buffer
//     with K_NO_WAIT: no buffer now), -ENOTSUP;
//   - icmsg: -EBUSY (not bound yet), -ENODATA (empty message), -ENOBUFS (the
//     shared-memory lock was busy), -ENOMEM (no room in the ring).
#pragma once

#include <cerrno>

#include "amp/status.h"

namespace amp_zephyr {

/// `rc` is what ipc_service_send(), ipc_service_get_tx_buffer() or
/// ipc_service_send_nocopy() returned: a byte count (>= 0) or a negative errno.
constexpr amp::Status status_from_ipc(int rc)
{
    if (rc >= 0) return amp::Status::ok;
    switch (-rc) {
    case ENOMEM:
    case ENOBUFS:
    case EAGAIN: return amp::Status::no_buffer;  // try again once the peer freed one
    case EBUSY:
    case ENOENT:
    case ENOTCONN: return amp::Status::not_bound;
    case EMSGSIZE: return amp::Status::too_large;
    case EBADMSG:
    case ENODATA:
    case EINVAL: return amp::Status::invalid_argument;
    default: return amp::Status::faulted;  // -EIO, -ENOTSUP, OpenAMP's own codes
    }
}

}  // namespace amp_zephyr
