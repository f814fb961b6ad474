#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "amp/loopback.h"

using namespace amp;

namespace {
struct Recorder final : EndpointListener {
    int bound = 0;
    int unbound = 0;
    int received = 0;
    std::array<uint8_t, 64> last{};
    size_t last_len = 0;
    Endpoint* reply_on = nullptr;  // echo each message back through this endpoint

    void on_bound() override { ++bound; }
    void on_unbound() override { ++unbound; }
    void on_received(ByteSpan d) override
    {
        ++received;
        last_len = d.size();
        std::memcpy(last.data(), d.data(), d.size() < last.size() ? d.size() : last.size());
        if (reply_on != nullptr) reply_on->send(d);
    }
};
const uint8_t kMsg[] = {1, 2, 3};
}  // namespace

TEST(Loopback, SendBeforeBindIsRefused)
{
    LoopbackPair<2, 16> pair;
    EXPECT_FALSE(pair.a().is_bound());
    EXPECT_EQ(pair.a().send(kMsg), Status::not_bound);
}

TEST(Loopback, BindFiresBothCallbacks)
{
    LoopbackPair<2, 16> pair;
    Recorder ra, rb;
    pair.a().set_listener(&ra);
    pair.b().set_listener(&rb);
    pair.bind();
    EXPECT_EQ(ra.bound, 1);
    EXPECT_EQ(rb.bound, 1);
    EXPECT_TRUE(pair.a().is_bound());
    EXPECT_EQ(pair.a().max_message_size(), 16u);
}

TEST(Loopback, DeliversOnPumpNotOnSend)
{
    LoopbackPair<2, 16> pair;
    Recorder ra, rb;
    pair.a().set_listener(&ra);
    pair.b().set_listener(&rb);
    pair.bind();
    ASSERT_EQ(pair.a().send(kMsg), Status::ok);
    EXPECT_EQ(rb.received, 0);
    EXPECT_EQ(pair.pump(), 1u);
    EXPECT_EQ(rb.received, 1);
    EXPECT_EQ(rb.last_len, 3u);
    EXPECT_EQ(rb.last[2], 3);
}

TEST(Loopback, NoFreeBufferThenFreedAfterDelivery)
{
    LoopbackPair<2, 16> pair;
    Recorder ra, rb;
    pair.a().set_listener(&ra);
    pair.b().set_listener(&rb);
    pair.bind();
    EXPECT_EQ(pair.a().send(kMsg), Status::ok);
    EXPECT_EQ(pair.a().send(kMsg), Status::ok);
    EXPECT_EQ(pair.a().free_buffers(), 0u);
    EXPECT_EQ(pair.a().send(kMsg), Status::no_buffer);
    EXPECT_EQ(pair.b().send(kMsg), Status::ok);  // the other direction has its own buffers
    pair.pump();
    EXPECT_EQ(pair.a().free_buffers(), 2u);
    EXPECT_EQ(rb.received, 2);
    EXPECT_EQ(ra.received, 1);
}

TEST(Loopback, OversizeAndEmptyMessages)
{
    LoopbackPair<2, 16> pair;
    Recorder rb;
    pair.b().set_listener(&rb);
    pair.bind();
    std::array<uint8_t, 17> big{};
    EXPECT_EQ(pair.a().send(big), Status::too_large);
    EXPECT_EQ(pair.a().send(ByteSpan{big.data(), 16}), Status::ok);
    EXPECT_EQ(pair.a().send(ByteSpan{}), Status::ok);
    pair.pump();
    EXPECT_EQ(rb.received, 2);
    EXPECT_EQ(rb.last_len, 0u);
}

TEST(Loopback, ReplyFromCallbackDoesNotRecurse)
{
    LoopbackPair<1, 16> pair;
    Recorder ra, rb;
    rb.reply_on = &pair.b();
    pair.a().set_listener(&ra);
    pair.b().set_listener(&rb);
    pair.bind();
    ASSERT_EQ(pair.a().send(kMsg), Status::ok);
    EXPECT_EQ(pair.pump(), 2u);
    EXPECT_EQ(ra.received, 1);
    EXPECT_EQ(pair.pending(), 0u);
}

TEST(Loopback, UnbindDropsQueuedMessages)
{
    LoopbackPair<2, 16> pair;
    Recorder ra, rb;
    pair.a().set_listener(&ra);
    pair.b().set_listener(&rb);
    pair.bind();
    ASSERT_EQ(pair.a().send(kMsg), Status::ok);
    pair.unbind();
    EXPECT_EQ(ra.unbound, 1);
    EXPECT_EQ(rb.unbound, 1);
    EXPECT_EQ(pair.pump(), 0u);
    EXPECT_EQ(pair.a().send(kMsg), Status::not_bound);
}
