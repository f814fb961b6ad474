// The library as the CM4 image of samples/open_amp_cpp uses it, without
// Zephyr: an endpoint, a clock and a log sink of its own (glue, not counted),
// a Channel and the remote Role, the counters and the names the shell shows.
// The size report counts the libamp.a code this image links.
#include <cstddef>
#include <cstdint>

#include "amp/channel.h"
#include "amp/role.h"
#include "amp/stats.h"

namespace {

// Stands in for the Zephyr IPC service endpoint.
class GlueEndpoint final : public amp::Endpoint {
public:
    amp::Status send(amp::ByteSpan data) override
    {
        last_size = data.size();
        return amp::Status::ok;
    }
    size_t max_message_size() const override { return amp::kMaxMessageSize; }
    bool is_bound() const override { return true; }
    void deliver(amp::ByteSpan data) { notify_received(data); }
    void bind() { notify_bound(); }

    volatile size_t last_size = 0;
};

class GlueClock final : public amp::Clock {
public:
    uint32_t now_us() const override { return ticks; }
    volatile uint32_t ticks = 0;
};

class GlueSink final : public amp::LogSink {
public:
    void write(amp::LogLevel, const char* line) override { last = line; }
    const char* volatile last = nullptr;
};

GlueEndpoint endpoint;
GlueClock uptime;
GlueSink log_sink;
amp::Channel channel(endpoint, uptime, &log_sink);
amp::Role role(amp::CoreId::cm4, channel, amp::RoleConfig{});

// A received message the compiler cannot see through.
uint8_t rx_buffer[amp::kMaxMessageSize];
volatile size_t rx_size = 0;

}  // namespace

int main()
{
    role.start();
    endpoint.bind();
    while (!role.done()) {
        endpoint.deliver(amp::ByteSpan{rx_buffer, rx_size});
        role.poll();
    }
    role.log_summary();

    // What the sample's `amp stats` shell command reads.
    const amp::StatsSnapshot s = channel.stats().snapshot();
    const amp::RoleCounters c = role.counters();
    uint32_t sum = c.sent + c.received + c.errors + s.total_dropped();
    for (size_t i = 0; i < amp::kDropReasonCount; ++i) {
        sum += amp::to_string(static_cast<amp::DropReason>(i))[0];
    }
    sum += amp::core_name(role.core())[0];
    return static_cast<int>(sum);
}
