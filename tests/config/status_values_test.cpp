// AMP_CONFIG_STATUS_NAMES=0: to_string() gives each status's decimal value.
#include <gtest/gtest.h>

#include <string>

#include "amp/config.h"
#include "amp/stats.h"
#include "amp/status.h"

using namespace amp;

static_assert(!config::kStatusNames, "built with AMP_CONFIG_STATUS_NAMES=0");

TEST(StatusValues, EveryStatusIsItsDecimalValue)
{
    for (unsigned i = 0; i < kStatusCount; ++i) {
        EXPECT_EQ(std::string(to_string(static_cast<Status>(i))), std::to_string(i));
    }
    EXPECT_STREQ(to_string(Status::crc_mismatch), "9");
    EXPECT_STREQ(to_string(Status::count_), "?");
    EXPECT_STREQ(to_string(static_cast<Status>(200)), "?");
}

TEST(StatusValues, DropReasonsOfMalformedFramesShowTheirStatus)
{
    EXPECT_STREQ(to_string(DropReason::crc_mismatch), "9");
    EXPECT_STREQ(to_string(DropReason::truncated), "7");
    EXPECT_STREQ(to_string(DropReason::other), "other");
    EXPECT_STREQ(to_string(DropReason::stale), "stale");
}
