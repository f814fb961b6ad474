// The non-Zephyr parts of the sample's glue, on the host: the shared headers
// compile as C++, and the errno values of Zephyr's IPC service map to the
// amp::Status the library acts on (no_buffer is retried, the rest is not).
#include <gtest/gtest.h>

#include <cerrno>

#include "amp/stats.h"
#include "amp/wire.h"
#include "amp_shell.h"
#include "ipc_status.h"
#include "openamp_common.h"

namespace {

using amp::Status;
using amp_zephyr::status_from_ipc;

TEST(ZephyrGlue, ByteCountsAreSuccess)
{
    EXPECT_EQ(status_from_ipc(0), Status::ok);
    EXPECT_EQ(status_from_ipc(44), Status::ok);
}

TEST(ZephyrGlue, NoBufferIsRetriable)
{
    EXPECT_EQ(status_from_ipc(-ENOMEM), Status::no_buffer);   // ipc_service_send, pbuf full
    EXPECT_EQ(status_from_ipc(-ENOBUFS), Status::no_buffer);  // get_tx_buffer(K_NO_WAIT)
    EXPECT_EQ(status_from_ipc(-EAGAIN), Status::no_buffer);
}

TEST(ZephyrGlue, NotReadyIsNotBound)
{
    EXPECT_EQ(status_from_ipc(-EBUSY), Status::not_bound);   // instance not open / icmsg unbound
    EXPECT_EQ(status_from_ipc(-ENOENT), Status::not_bound);  // endpoint not registered
}

TEST(ZephyrGlue, BadArgumentsAndFaults)
{
    EXPECT_EQ(status_from_ipc(-EBADMSG), Status::invalid_argument);
    EXPECT_EQ(status_from_ipc(-ENODATA), Status::invalid_argument);
    EXPECT_EQ(status_from_ipc(-EMSGSIZE), Status::too_large);
    EXPECT_EQ(status_from_ipc(-EIO), Status::faulted);
    EXPECT_EQ(status_from_ipc(-ENOTSUP), Status::faulted);
    EXPECT_EQ(status_from_ipc(-2004), Status::faulted);  // an OpenAMP RPMSG_ERR_* code
}

TEST(ZephyrGlue, SharedLimitsAgreeWithTheLibrary)
{
    EXPECT_EQ(size_t{OPENAMP_MAX_MESSAGE_SIZE}, amp::kMaxMessageSize);
    EXPECT_EQ(AMP_SHELL_DROP_REASONS, static_cast<unsigned>(amp::kDropReasonCount));
    EXPECT_GT(OPENAMP_RX_QUEUE_DEPTH, 0u);
    EXPECT_LT(OPENAMP_BIND_TIMEOUT_MS, OPENAMP_RUN_TIMEOUT_MS);
}

}  // namespace
