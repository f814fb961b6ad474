// The host's blocking rpc wrapper with real threads: callers block on a
// condition variable while a "transport thread" delivers frames.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "amp/channel.h"
#include "amp/loopback.h"
#include "amp/rpc.h"
#include "amp_host/blocking_rpc.h"

using namespace amp;
using namespace std::chrono_literals;

namespace {

class SteadyClock final : public Clock {
public:
    uint32_t now_us() const override
    {
        return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count());
    }
};

// One side of a loopback pair behind a mutex both sides share, so that
// application threads may send while the transport thread delivers.
class LockedEndpoint final : public Endpoint, public EndpointListener {
public:
    LockedEndpoint(Endpoint& inner, std::recursive_mutex& mutex) : inner_(inner), mutex_(mutex)
    {
        inner_.set_listener(this);
    }
    Status send(ByteSpan data) override
    {
        std::lock_guard<std::recursive_mutex> lock(mutex_);
        return inner_.send(data);
    }
    size_t max_message_size() const override { return inner_.max_message_size(); }
    bool is_bound() const override
    {
        std::lock_guard<std::recursive_mutex> lock(mutex_);
        return inner_.is_bound();
    }
    void on_bound() override { notify_bound(); }
    void on_received(ByteSpan data) override { notify_received(data); }
    void on_unbound() override { notify_unbound(); }

private:
    Endpoint& inner_;
    std::recursive_mutex& mutex_;
};

struct Square {
    static constexpr uint8_t kType = 0x90;
    uint32_t value;
};
struct Squared {
    uint32_t value;
    uint32_t square;
};
struct Silent {  // served by a handler that never answers
    static constexpr uint8_t kType = 0x91;
    uint32_t value;
};

Status square(void* /*ctx*/, const Square& req, Squared& resp)
{
    if (req.value == 13) return Status::invalid_argument;
    resp.value = req.value;
    resp.square = req.value * req.value;
    return Status::ok;
}

// Client and server over the loopback, frames delivered by a thread.
struct Board {
    LoopbackPair<8> pair;
    std::recursive_mutex mutex;
    LockedEndpoint client_ep{pair.a(), mutex};
    LockedEndpoint server_ep{pair.b(), mutex};
    SteadyClock clock;
    Channel client{client_ep, clock, nullptr};
    Channel server{server_ep, clock, nullptr};
    RpcClient rpc{client};
    std::atomic<bool> stop{false};
    std::thread transport;

    Board()
    {
        serve(server, &square, nullptr);
        server.dispatcher().add(
            Silent::kType, [](void*, const Frame&) {}, nullptr);
    }
    void start()
    {
        {
            std::lock_guard<std::recursive_mutex> lock(mutex);
            pair.bind();
        }
        transport = std::thread([this] {
            while (!stop.load()) {
                {
                    std::lock_guard<std::recursive_mutex> lock(mutex);
                    pair.pump();
                }
                std::this_thread::sleep_for(20us);
            }
        });
        while (!client.is_ready() || !server.is_ready()) std::this_thread::sleep_for(100us);
    }
    ~Board()
    {
        stop.store(true);
        if (transport.joinable()) transport.join();
    }
};

}  // namespace

TEST(BlockingRpc, ReturnsTheResponse)
{
    Board b;
    b.start();
    Squared out{};
    EXPECT_EQ(host::call_blocking(b.rpc, Square{12}, out, 1s), Status::ok);
    EXPECT_EQ(out.value, 12u);
    EXPECT_EQ(out.square, 144u);
    EXPECT_EQ(b.rpc.pending(), 0u);
}

TEST(BlockingRpc, ReturnsTheServersError)
{
    Board b;
    b.start();
    Squared out{7, 7};
    EXPECT_EQ(host::call_blocking(b.rpc, Square{13}, out, 1s), Status::invalid_argument);
    EXPECT_EQ(out.square, 7u);  // untouched
}

TEST(BlockingRpc, TimesOutWhenNoAnswerComes)
{
    Board b;
    b.start();
    Squared out{};
    EXPECT_EQ(host::call_blocking(b.rpc, Silent{1}, out, 20ms), Status::timeout);
    EXPECT_EQ(b.rpc.pending(), 0u);
    EXPECT_EQ(b.rpc.counters().timeouts, 1u);
}

TEST(BlockingRpc, RefusedCallReturnsAtOnce)
{
    Board b;  // never bound
    Squared out{};
    EXPECT_EQ(host::call_blocking(b.rpc, Square{2}, out, 1s), Status::not_bound);
    EXPECT_EQ(b.rpc.pending(), 0u);
}

TEST(BlockingRpc, LinkResetWakesTheCaller)
{
    Board b;
    b.start();
    Status result = Status::ok;
    std::thread caller([&] {
        Squared out{};
        result = host::call_blocking(b.rpc, Silent{1}, out, 10s);
    });
    while (b.rpc.counters().calls == 0) std::this_thread::sleep_for(100us);  // sent
    EXPECT_EQ(b.rpc.fail_all(Status::link_reset), 1u);
    caller.join();
    EXPECT_EQ(result, Status::link_reset);
}

TEST(BlockingRpc, ManyThreadsManyCallsEachGetTheirAnswer)
{
    Board b;
    b.start();
    constexpr uint32_t kThreads = 4;
    constexpr uint32_t kCalls = 300;
    std::atomic<uint32_t> ok{0};
    std::atomic<uint32_t> wrong{0};
    std::vector<std::thread> threads;
    for (uint32_t t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (uint32_t i = 0; i < kCalls; ++i) {
                const uint32_t v = 1000 + t * kCalls + i;
                Squared out{};
                const Status st = host::call_blocking(b.rpc, Square{v}, out, 5s);
                (st == Status::ok && out.value == v && out.square == v * v ? ok : wrong)++;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), kThreads * kCalls);
    EXPECT_EQ(wrong.load(), 0u);
    const RpcCounters c = b.rpc.counters();
    EXPECT_EQ(c.ok, kThreads * kCalls);
    EXPECT_EQ(c.late + c.unknown + c.malformed + c.timeouts, 0u);
}
