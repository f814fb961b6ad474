// Request/response over a Channel, without heap, threads or code generator.
//
// Server: a service is a typed handler that fills a response and returns a
// status; amp::serve() registers it with the channel's dispatcher.
//
//   Status on_read(void* ctx, const ReadReq& req, ReadReply& reply);
//   amp::serve(channel, &on_read, ctx);
//
// Client: an RpcClient keeps a fixed table of pending requests
// (AMP_CONFIG_MAX_PENDING) and calls each completion exactly once: with the
// response, the server's error status, timeout (poll() expires requests by
// the channel's clock), or whatever cancel()/fail_all() give (link_reset).
//
//   void on_reply(void* ctx, Status st, const ReadReply& reply);
//   rpc.call(ReadReq{...}, &on_reply, ctx, 10'000 /* us */);
//
// On the wire a request is a frame of the service's type flagged kFlagRequest
// with a fresh correlation id; the response has the same type and id, is
// flagged kFlagResponse, and its payload is one status byte (an amp::Status
// value; 0 is ok) followed by the response body. A message sent without
// kFlagRequest is one-way: the service runs and nothing is answered. A
// request for a type nobody serves, or of the wrong size, is answered by the
// channel with unknown_type / wrong_size.
//
// Threads: call(), poll(), cancel() and fail_all() may run in any thread or
// context, concurrently with the receive path; each pending entry is claimed
// with a compare-and-swap, which is what makes completions exactly-once.
// Completions run in the context that completed them (the receive callback
// for responses, the caller of poll()/cancel()/fail_all() otherwise) and may
// start new calls.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "amp/channel.h"
#include "amp/config.h"
#include "amp/dispatcher.h"
#include "amp/typed.h"

namespace amp {

/// Counters of one RpcClient.
struct RpcCounters {
    uint32_t calls = 0;            ///< requests sent
    uint32_t ok = 0;               ///< completed with an ok response
    uint32_t error_responses = 0;  ///< completed with the server's error status
    uint32_t timeouts = 0;         ///< completed with timeout (poll() or cancel())
    uint32_t failed = 0;           ///< completed by cancel()/fail_all() with another reason
    uint32_t late = 0;             ///< responses for requests no longer pending (dropped)
    uint32_t unknown = 0;          ///< responses with an id this client never issued (dropped)
    uint32_t malformed = 0;        ///< responses without status byte, of another type or size
    uint32_t table_full = 0;       ///< calls refused: the pending table was full
    uint32_t send_failures = 0;    ///< calls whose request the channel refused
};

class RpcClient {
public:
    using Completion = void (*)(void* context, Status status, ByteSpan body);
    template <WireLayout Resp>
    using TypedCompletion = void (*)(void* context, Status status, const Resp& response);

    /// Longest timeout: clock comparisons are wrap-safe within 2^31 us.
    static constexpr uint32_t kMaxTimeoutUs = 0x7FFFFFFFu;

    /// Receives the responses of `channel` (its response sink: one RpcClient
    /// per channel). Destroy it only when no call is pending.
    explicit RpcClient(Channel& channel);
    ~RpcClient() { channel_.set_response_sink(nullptr, nullptr); }

    RpcClient(const RpcClient&) = delete;
    RpcClient& operator=(const RpcClient&) = delete;

    /// Sends `request` as a request of `type` and calls `done` exactly once
    /// later, unless it returns an error. `id` (optional) receives the
    /// correlation id, for cancel(). Errors: invalid_argument (null `done`,
    /// timeout over kMaxTimeoutUs), table_full, and those of Channel::send()
    /// (not_bound before the handshake, version_mismatch, no_buffer, ...).
    Status call(uint8_t type, ByteSpan request, Completion done, void* context, uint32_t timeout_us,
                uint32_t* id = nullptr);

    /// Typed call: `Req::kType` request, `Resp` response body. A body of
    /// another size completes with wrong_size; on any error `response` is
    /// value-initialised.
    template <Message Req, WireLayout Resp>
    Status call(const Req& request, TypedCompletion<Resp> done, void* context, uint32_t timeout_us,
                uint32_t* id = nullptr)
    {
        return start(Req::kType, as_bytes(request), &deliver_typed<Resp>,
                     reinterpret_cast<AnyFn>(done), sizeof(Resp), context, timeout_us, id);
    }

    /// One-way message: no response, no pending entry.
    template <Message T>
    Status notify(const T& message)
    {
        return channel_.send(message);
    }

    /// Completes the requests whose timeout passed (status timeout), and
    /// sends a refused handshake again (Channel::poll()).
    void poll();
    /// Completes request `id` now with `reason`. Errors: not_found (not
    /// pending: already completed, or being completed right now).
    Status cancel(uint32_t id, Status reason = Status::timeout);
    /// Completes every pending request with `reason`; returns how many.
    uint32_t fail_all(Status reason = Status::link_reset);

    /// Requests in flight.
    uint32_t pending() const;
    RpcCounters counters() const;
    Channel& channel() { return channel_; }

    /// RAM of the pending table (AMP_CONFIG_MAX_PENDING entries).
    static constexpr size_t table_bytes() { return sizeof(slots_); }

private:
    using AnyFn = Dispatcher::AnyFn;
    using Deliver = void (*)(AnyFn fn, void* context, Status status, ByteSpan body);
    static constexpr uint32_t kBusy = 0xFFFFFFFFu;  // slot claimed; never an id
    static constexpr uint16_t kAnySize = 0xFFFFu;   // raw call: any body size

    struct Slot {
        std::atomic<uint32_t> id{0};  // 0: free, kBusy: claimed, else pending
        std::atomic<uint32_t> deadline_us{0};
        Deliver deliver = nullptr;  // null: a raw Completion
        AnyFn fn = nullptr;
        void* context = nullptr;
        uint8_t type = 0;
        uint16_t body_size = 0;
    };

    // In the order of the RpcCounters fields.
    enum Counter : uint8_t {
        kCalls,
        kOk,
        kErrorResponses,
        kTimeouts,
        kFailed,
        kLate,
        kUnknown,
        kMalformed,
        kTableFull,
        kSendFailures,
        kCounterCount
    };

    Status start(uint8_t type, ByteSpan request, Deliver deliver, AnyFn fn, uint16_t body_size,
                 void* context, uint32_t timeout_us, uint32_t* id);
    static Status on_response(void* self, const Frame& frame);
    Status handle_response(const Frame& frame);
    bool claim(Slot& slot, uint32_t id);
    bool expire(Slot& slot, uint32_t id, Status reason);
    enum class Pick : uint8_t { due, id, all };
    uint32_t sweep(Pick pick, uint32_t value, Status reason);
    void finish(Slot& slot, Status status, ByteSpan body);
    void count(Counter c) { counters_[c].fetch_add(1, std::memory_order_relaxed); }

    template <WireLayout Resp>
    static void deliver_typed(AnyFn fn, void* context, Status status, ByteSpan body)
    {
        Resp response{};
        if (status == Status::ok) decode_as(body, response);  // size checked before
        reinterpret_cast<TypedCompletion<Resp>>(fn)(context, status, response);
    }

    Channel& channel_;
    std::array<Slot, config::kMaxPending> slots_{};
    std::array<std::atomic<uint32_t>, kCounterCount> counters_{};
    std::atomic<uint32_t> next_id_{1};
};

/// A service: fills `response` and returns ok, or returns an error status
/// (sent to the client instead of a body).
template <Message Req, WireLayout Resp>
using ServiceHandler = Status (*)(void* context, const Req& request, Resp& response);

namespace detail {
template <Message Req, WireLayout Resp>
Status invoke_service(Dispatcher::AnyFn fn, void* context, const Frame& frame, Channel* channel)
{
    if ((frame.header.flags & kFlagResponse) != 0) return Status::unknown_type;  // not ours
    Req request;
    if (decode_as(frame.payload, request) != Status::ok) return Status::wrong_size;
    Resp response{};
    const Status st = reinterpret_cast<ServiceHandler<Req, Resp>>(fn)(context, request, response);
    if (channel != nullptr && (frame.header.flags & kFlagRequest) != 0) {
        channel->respond(frame.header, st, st == Status::ok ? as_bytes(response) : ByteSpan{});
    }
    return Status::ok;
}
}  // namespace detail

/// Serves `Req::kType` on `channel`: requests are answered with the
/// handler's status and response; one-way messages just run it. Errors: those
/// of Dispatcher::add_invoker() (busy, table_full, ...).
template <Message Req, WireLayout Resp>
Status serve(Channel& channel, ServiceHandler<Req, Resp> handler, void* context)
{
    if (handler == nullptr) return Status::invalid_argument;
    return channel.dispatcher().add_invoker(Req::kType, &detail::invoke_service<Req, Resp>,
                                            reinterpret_cast<Dispatcher::AnyFn>(handler), context);
}

}  // namespace amp
