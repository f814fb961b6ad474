#include <gtest/gtest.h>

#include "amp/dispatcher.h"

using namespace amp;

namespace {
struct Seen {
    int calls = 0;
    uint8_t type = 0;
};
void record(void* ctx, const Frame& f)
{
    auto* s = static_cast<Seen*>(ctx);
    ++s->calls;
    s->type = f.header.type;
}
Frame frame_of(uint8_t type)
{
    Frame f;
    f.header.type = type;
    return f;
}
}  // namespace

TEST(Dispatcher, CallsTheHandlerOfTheType)
{
    Dispatcher d;
    Seen a, b;
    ASSERT_EQ(d.add(0x10, record, &a), Status::ok);
    ASSERT_EQ(d.add(0x11, record, &b), Status::ok);
    EXPECT_EQ(d.dispatch(frame_of(0x11)), Status::ok);
    EXPECT_EQ(a.calls, 0);
    EXPECT_EQ(b.calls, 1);
    EXPECT_EQ(b.type, 0x11);
}

TEST(Dispatcher, UnknownTypeIsRefused)
{
    Dispatcher d;
    Seen a;
    ASSERT_EQ(d.add(0x10, record, &a), Status::ok);
    EXPECT_EQ(d.dispatch(frame_of(0x20)), Status::unknown_type);
    EXPECT_EQ(d.dispatch(frame_of(0)), Status::unknown_type);
    EXPECT_EQ(a.calls, 0);
}

TEST(Dispatcher, RejectsBadRegistrations)
{
    Dispatcher d;
    Seen a;
    EXPECT_EQ(d.add(0, record, &a), Status::invalid_argument);
    EXPECT_EQ(d.add(1, nullptr, &a), Status::invalid_argument);
    ASSERT_EQ(d.add(1, record, &a), Status::ok);
    EXPECT_EQ(d.add(1, record, &a), Status::busy);
}

TEST(Dispatcher, TableFullThenRemoveFreesASlot)
{
    Dispatcher d;
    Seen a;
    for (unsigned i = 1; i <= config::kMaxHandlers; ++i) {
        ASSERT_EQ(d.add(static_cast<uint8_t>(i), record, &a), Status::ok);
    }
    EXPECT_EQ(d.add(0xF0, record, &a), Status::table_full);
    EXPECT_EQ(d.remove(1), Status::ok);
    EXPECT_EQ(d.remove(1), Status::not_found);
    EXPECT_FALSE(d.has(1));
    EXPECT_EQ(d.add(0xF0, record, &a), Status::ok);
    EXPECT_TRUE(d.has(0xF0));
}
