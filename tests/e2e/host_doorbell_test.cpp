// Host glue of the virtual board, with threads: POSIX shared memory, the
// futex doorbell (event suppression, no lost wake-ups) and send_wait().
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "amp/shm_link.h"
#include "amp_host/futex_doorbell.h"
#include "amp_host/shm_region.h"

using namespace amp;
using namespace amp::host;
using shm::Side;
using Steady = std::chrono::steady_clock;

namespace {

std::string unique_name(const char* what)
{
    return std::string("amp-test-") + what + "-" + std::to_string(::getpid());
}

struct Counter final : EndpointListener {
    std::atomic<uint32_t> received{0};
    Endpoint* echo = nullptr;
    void on_bound() override {}
    void on_received(ByteSpan d) override
    {
        ++received;
        if (echo != nullptr) {
            EXPECT_EQ(echo->send(d), Status::ok);
        }
    }
};

// Both sides of a link in one process, each with its futex bell.
struct Pair {
    std::optional<ShmRegion> region;
    FutexDoorbell to_remote, to_primary;
    ShmLink primary{Side::primary, to_remote, nullptr};
    ShmLink remote{Side::remote, to_primary, nullptr};
    BellWaiter wait_primary;
    BellWaiter wait_remote;
    std::string name;

    explicit Pair(DoorbellMode mode)
        : wait_primary(mode), wait_remote(mode), name(unique_name("pair"))
    {
        ShmRegion::remove(name);
        region = ShmRegion::create(name, 32768);
        region->remove_on_close(true);
        to_remote.bind(region->base(), Side::remote);
        to_primary.bind(region->base(), Side::primary);
        wait_primary.bind(region->base(), Side::primary);
        wait_remote.bind(region->base(), Side::remote);
    }
    bool bind()
    {
        ShmLinkConfig cfg;
        if (primary.create(region->bytes(), cfg) != Status::ok) return false;
        if (remote.attach(region->bytes(), cfg) != Status::ok) return false;
        for (int i = 0; i < 4; ++i) {
            primary.poll();
            remote.poll();
        }
        return primary.is_bound() && remote.is_bound();
    }
};

}  // namespace

TEST(ShmRegion, CreateOpenAndRemove)
{
    const std::string name = unique_name("region");
    ShmRegion::remove(name);
    auto a = ShmRegion::create(name, 8192);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->size(), 8192u);
    EXPECT_FALSE(ShmRegion::create(name, 8192).has_value());  // exclusive
    auto b = ShmRegion::open(name);
    ASSERT_TRUE(b.has_value());
    ASSERT_EQ(b->size(), 8192u);
    std::memcpy(a->base() + 100, "shared", 6);
    EXPECT_EQ(std::memcmp(b->base() + 100, "shared", 6), 0);  // the same memory
    EXPECT_TRUE(ShmRegion::remove(name));
    EXPECT_FALSE(ShmRegion::open(name).has_value());
    EXPECT_EQ(shm_file_path(name), "/dev/shm/" + name);
}

TEST(ShmRegion, RemoveOnCloseIsTheCreatorsJob)
{
    const std::string name = unique_name("close");
    ShmRegion::remove(name);
    {
        auto a = ShmRegion::create(name, 4096);
        ASSERT_TRUE(a.has_value());
        a->remove_on_close(true);
        auto b = ShmRegion::open(name);  // closing b leaves the name alone
    }
    EXPECT_FALSE(ShmRegion::open(name).has_value());
}

TEST(ProcessAlive, TellsLiveFromGone)
{
    EXPECT_TRUE(process_alive(static_cast<uint32_t>(::getpid())));
    EXPECT_FALSE(process_alive(0));
    EXPECT_FALSE(process_alive(0x7FFFFFF0u));
}

TEST(DoorbellMode, ParsesTheThreeModes)
{
    EXPECT_EQ(parse_doorbell_mode("spin"), DoorbellMode::spin);
    EXPECT_EQ(parse_doorbell_mode("block"), DoorbellMode::block);
    EXPECT_EQ(parse_doorbell_mode("adaptive"), DoorbellMode::adaptive);
    EXPECT_FALSE(parse_doorbell_mode("sometimes").has_value());
    EXPECT_STREQ(to_string(DoorbellMode::adaptive), "adaptive");
}

TEST(FutexDoorbell, NoWakeUpCallWhenThePeerIsNotSleeping)
{
    Pair p(DoorbellMode::block);
    auto* h = static_cast<shm::RegionHeader*>(static_cast<void*>(p.region->base()));
    const uint32_t before = h->side[1].bell_seq;
    p.to_remote.ring();
    p.to_remote.ring();
    EXPECT_EQ(h->side[1].bell_seq, before);  // not even the bell word is written
    EXPECT_EQ(p.to_remote.wakeups(), 0u);    // event suppression
}

TEST(FutexDoorbell, RingWakesASleepingWaiter)
{
    Pair p(DoorbellMode::block);
    std::atomic<bool> flag{false};
    std::atomic<bool> woke{false};
    std::thread waiter([&] {
        p.wait_remote.wait([&] { return flag.load(); }, 10000000);  // 10 s
        woke = true;
    });
    // Ring only once the waiter sleeps, so the wake-up path is what ends its wait.
    auto* h = static_cast<shm::RegionHeader*>(static_cast<void*>(p.region->base()));
    while (std::atomic_ref<uint32_t>(h->side[1].bell_waiting).load() == 0)
        std::this_thread::yield();
    const auto t0 = Steady::now();
    flag = true;
    p.to_remote.ring();
    waiter.join();
    EXPECT_TRUE(woke);
    EXPECT_EQ(p.to_remote.wakeups(), 1u);
    EXPECT_EQ(p.wait_remote.sleeps(), 1u);
    EXPECT_LT(Steady::now() - t0, std::chrono::seconds(5));  // not the 10 s timeout
}

TEST(BellWaiter, ReturnsAfterTheTimeoutWhenNothingRings)
{
    for (DoorbellMode m : {DoorbellMode::spin, DoorbellMode::block, DoorbellMode::adaptive}) {
        Pair p(m);
        BellWaiter& w = p.wait_primary;
        const auto t0 = Steady::now();
        w.wait([] { return false; }, 20000);
        EXPECT_GE(Steady::now() - t0, std::chrono::milliseconds(19)) << to_string(m);
    }
}

// Two threads, each driving one side and sleeping on its bell: a lost
// wake-up would show as a wait that ends by its (2 s) timeout.
TEST(FutexDoorbell, NoLostWakeUpsInAnEchoExchange)
{
    for (DoorbellMode m : {DoorbellMode::block, DoorbellMode::adaptive}) {
        Pair p(m);
        Counter at_primary, at_remote;
        at_remote.echo = &p.remote;
        p.primary.set_listener(&at_primary);
        p.remote.set_listener(&at_remote);
        ASSERT_TRUE(p.bind());
        constexpr uint32_t kMessages = 20000;
        std::atomic<bool> stop{false};
        std::atomic<uint32_t> timeouts{0};
        auto drive = [&](ShmLink& link, BellWaiter& w) {
            while (!stop) {
                if (link.poll() > 0) continue;
                const auto t0 = Steady::now();
                w.wait([&] { return link.work_pending() || stop.load(); }, 2000000);
                if (!link.work_pending() && !stop &&
                    Steady::now() - t0 >= std::chrono::seconds(2)) {
                    ++timeouts;
                }
            }
        };
        std::thread remote([&] { drive(p.remote, p.wait_remote); });
        const uint8_t msg[] = {1, 2, 3, 4};
        for (uint32_t i = 0; i < kMessages; ++i) {
            ASSERT_EQ(p.primary.send(msg), Status::ok);
            while (at_primary.received <= i) {
                if (p.primary.poll() > 0) continue;
                const auto t0 = Steady::now();
                p.wait_primary.wait([&] { return p.primary.work_pending(); }, 2000000);
                if (!p.primary.work_pending() && Steady::now() - t0 >= std::chrono::seconds(2)) {
                    ++timeouts;
                }
            }
        }
        stop = true;
        p.to_remote.ring();
        remote.join();
        p.primary.poll();
        EXPECT_EQ(at_remote.received.load(), kMessages) << to_string(m);
        EXPECT_EQ(at_primary.received.load(), kMessages) << to_string(m);
        EXPECT_EQ(timeouts.load(), 0u) << to_string(m);
        EXPECT_EQ(p.primary.free_buffers(), p.primary.num_buffers());
    }
}

TEST(SendWait, TimesOutWhenThePeerKeepsEveryBufferAndSucceedsOnceItReturnsOne)
{
    Pair p(DoorbellMode::adaptive);
    ASSERT_TRUE(p.bind());
    const uint8_t msg[] = {9};
    while (p.primary.send(msg) == Status::ok) {
    }
    EXPECT_EQ(p.primary.free_buffers(), 0u);
    EXPECT_EQ(p.primary.send(msg), Status::no_buffer);  // at once
    EXPECT_EQ(send_wait(p.primary, p.wait_primary, msg, 30000), Status::timeout);

    std::thread consumer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        p.remote.poll();  // gives every buffer back and rings: the sender asked for it
    });
    EXPECT_EQ(send_wait(p.primary, p.wait_primary, msg, 5000000), Status::ok);
    consumer.join();
}
