#include <gtest/gtest.h>

#include <cstring>

#include "amp/log.h"
#include "amp/status.h"

using namespace amp;

TEST(Line, FormatsTextAndNumbers)
{
    Line l;
    // Fixed-width types: on Arm, uint32_t is unsigned long, so a plain `0u`
    // (unsigned int) would be ambiguous between the overloads.
    l << "count: " << uint32_t{0} << ", " << uint32_t{4294967295u} << ' ' << int32_t{-12} << ' ';
    l.hex(0xBEEF);
    EXPECT_STREQ(l.c_str(), "count: 0, 4294967295 -12 0x0000beef");
}

TEST(Line, UntrustedBytesArePrintedSafely)
{
    const uint8_t bytes[] = {'o', 'k', 0, 0x7F, 0xFF, '\n', '!'};
    Line l;
    l.text(ByteSpan{bytes, sizeof bytes});
    EXPECT_STREQ(l.c_str(), "ok....!");
}

TEST(Line, OverlongLinesAreCutVisibly)
{
    Line l;
    for (int i = 0; i < 50; ++i) l << "abcdef";
    EXPECT_EQ(l.size(), Line::kCapacity);
    EXPECT_EQ(std::strlen(l.c_str()), Line::kCapacity);
    EXPECT_EQ(std::strcmp(l.c_str() + Line::kCapacity - 3, "..."), 0);
}

TEST(Status, EveryStatusHasANameAndAnErrno)
{
    EXPECT_STREQ(to_string(Status::ok), "ok");
    EXPECT_EQ(to_errno(Status::ok), 0);
    for (unsigned i = 1; i < kStatusCount; ++i) {
        const auto s = static_cast<Status>(i);
        EXPECT_STRNE(to_string(s), "unknown_status") << i;
        EXPECT_LT(to_errno(s), 0) << i;
    }
    EXPECT_STREQ(to_string(Status::no_buffer), "no_buffer");
    EXPECT_STREQ(to_string(Status::crc_mismatch), "crc_mismatch");
    EXPECT_STREQ(to_string(Status::version_mismatch), "version_mismatch");
    EXPECT_STREQ(to_string(Status::not_found), "not_found");  // the last one
    EXPECT_STREQ(to_string(Status::count_), "unknown_status");
    EXPECT_STREQ(to_string(static_cast<Status>(200)), "unknown_status");
}
