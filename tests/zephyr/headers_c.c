/* The sample's shared C headers compile as C (C11, pedantic). */
#include "amp_shell.h"
#include "openamp_common.h"

_Static_assert(OPENAMP_MAX_MESSAGE_SIZE == AMP_MAX_MESSAGE_SIZE, "one frame per message");
_Static_assert(OPENAMP_RX_QUEUE_DEPTH > 0u, "the receive queue holds messages");
_Static_assert(OPENAMP_BIND_TIMEOUT_MS < OPENAMP_RUN_TIMEOUT_MS, "bind first, then run");

int main(void)
{
    struct amp_shell_snapshot s = {0};
    return (int)s.sent + (sizeof(OPENAMP_ENDPOINT_NAME) > 1 ? 0 : 1);
}
