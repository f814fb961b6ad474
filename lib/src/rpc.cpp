#include "amp/rpc.h"

#include <cstring>

namespace amp {

namespace {
constexpr auto kAcqRel = std::memory_order_acq_rel;
constexpr auto kAcquire = std::memory_order_acquire;
constexpr auto kRelaxed = std::memory_order_relaxed;

// The status byte of a response is an amp::Status value: the enum is part of
// the wire format, so its values may only be appended to.
static_assert(static_cast<uint8_t>(Status::ok) == 0 &&
                  static_cast<uint8_t>(Status::unknown_type) == 11 &&
                  static_cast<uint8_t>(Status::wrong_size) == 12 &&
                  static_cast<uint8_t>(Status::timeout) == 14 &&
                  static_cast<uint8_t>(Status::not_found) == 20,
              "amp::Status values travel in responses: only append values at the end");
}  // namespace

RpcClient::RpcClient(Channel& channel) : channel_(channel)
{
    channel_.set_response_sink(&RpcClient::on_response, this);
}

Status RpcClient::call(uint8_t type, ByteSpan request, Completion done, void* context,
                       uint32_t timeout_us, uint32_t* id)
{
    return start(type, request, nullptr, reinterpret_cast<AnyFn>(done), kAnySize, context,
                 timeout_us, id);
}

Status RpcClient::start(uint8_t type, ByteSpan request, Deliver deliver, AnyFn fn,
                        uint16_t body_size, void* context, uint32_t timeout_us, uint32_t* id)
{
    if (fn == nullptr || timeout_us > kMaxTimeoutUs) return Status::invalid_argument;
    Slot* slot = nullptr;
    for (Slot& s : slots_) {
        uint32_t expected = 0;
        if (s.id.compare_exchange_strong(expected, kBusy, kAcqRel)) {
            slot = &s;
            break;
        }
    }
    if (slot == nullptr) {
        count(kTableFull);
        return Status::table_full;
    }
    uint32_t new_id = 0;
    do {
        new_id = next_id_.fetch_add(1, kRelaxed);
    } while (new_id == 0 || new_id == kBusy);
    slot->deliver = deliver;
    slot->fn = fn;
    slot->context = context;
    slot->type = type;
    slot->body_size = body_size;
    slot->deadline_us.store(channel_.clock().now_us() + timeout_us, kRelaxed);
    if (id != nullptr) *id = new_id;
    // Pending before the request leaves: the response may overtake send().
    slot->id.store(new_id, std::memory_order_release);

    const Status st = channel_.send(type, request, kFlagRequest, new_id);
    if (st == Status::ok) {
        count(kCalls);
        return Status::ok;
    }
    uint32_t expected = new_id;
    if (slot->id.compare_exchange_strong(expected, 0, kAcqRel)) {
        count(kSendFailures);
        return st;  // withdrawn: no completion will come
    }
    return Status::ok;  // fail_all()/cancel() won the race: its completion was delivered
}

bool RpcClient::claim(Slot& slot, uint32_t id)
{
    return id != 0 && id != kBusy && slot.id.compare_exchange_strong(id, kBusy, kAcqRel);
}

// The slot is claimed (kBusy): copy it out, free it, then complete, so that
// the completion may start a new call in the same slot.
void RpcClient::finish(Slot& slot, Status status, ByteSpan body)
{
    const Deliver deliver = slot.deliver;
    const AnyFn fn = slot.fn;
    void* const context = slot.context;
    slot.id.store(0, std::memory_order_release);
    if (deliver != nullptr) {
        deliver(fn, context, status, body);  // typed
    } else {
        reinterpret_cast<Completion>(fn)(context, status, body);  // raw
    }
}

Status RpcClient::on_response(void* self, const Frame& frame)
{
    return static_cast<RpcClient*>(self)->handle_response(frame);
}

Status RpcClient::handle_response(const Frame& frame)
{
    const uint32_t id = frame.header.correlation;
    Slot* slot = nullptr;
    for (Slot& s : slots_) {
        if (s.id.load(kAcquire) == id && claim(s, id)) {
            slot = &s;
            break;
        }
    }
    if (slot == nullptr) {
        // Ids are issued in increasing order: one below next_id_ was ours and
        // has completed already (timed out, cancelled or answered twice).
        const bool issued = id != 0 && id != kBusy && id < next_id_.load(kRelaxed);
        count(issued ? kLate : kUnknown);
        return issued ? Status::timeout : Status::not_found;
    }

    Status status = Status::ok;  // what the channel records for the frame
    Status result = Status::ok;  // what the completion gets
    ByteSpan body;
    if (frame.payload.empty()) {
        status = result = Status::bad_length;
    } else if (frame.header.type != slot->type) {
        status = result = Status::unknown_type;
    } else if (frame.payload[0] >= kStatusCount) {
        status = result = Status::faulted;  // a status this library does not know
    } else {
        result = static_cast<Status>(frame.payload[0]);
        body = frame.payload.subspan(1);
        if (result == Status::ok && slot->body_size != kAnySize && body.size() != slot->body_size) {
            status = result = Status::wrong_size;
        }
    }
    if (status != Status::ok) {
        count(kMalformed);
    } else {
        count(result == Status::ok ? kOk : kErrorResponses);
    }
    finish(*slot, result, body);
    return status;
}

// Completes a pending request with `reason`, unless something else did first.
bool RpcClient::expire(Slot& slot, uint32_t id, Status reason)
{
    if (!claim(slot, id)) return false;
    count(reason == Status::timeout ? kTimeouts : kFailed);
    finish(slot, reason, ByteSpan{});
    return true;
}

// Completes with `reason` the pending requests `pick` selects (`value`: the
// time for Pick::due, the id for Pick::id); returns how many.
uint32_t RpcClient::sweep(Pick pick, uint32_t value, Status reason)
{
    uint32_t n = 0;
    for (Slot& s : slots_) {
        const uint32_t id = s.id.load(kAcquire);
        const bool picked =
            pick == Pick::all ||
            (pick == Pick::id ? id == value : is_due(s.deadline_us.load(kRelaxed), value));
        if (picked && expire(s, id, reason)) ++n;
    }
    return n;
}

void RpcClient::poll()
{
    channel_.poll();
    sweep(Pick::due, channel_.clock().now_us(), Status::timeout);
}

Status RpcClient::cancel(uint32_t id, Status reason)
{
    return sweep(Pick::id, id, reason) != 0 ? Status::ok : Status::not_found;
}

uint32_t RpcClient::fail_all(Status reason)
{
    return sweep(Pick::all, 0, reason);
}

uint32_t RpcClient::pending() const
{
    uint32_t n = 0;
    for (const Slot& s : slots_) n += s.id.load(kRelaxed) != 0 ? 1 : 0;
    return n;
}

RpcCounters RpcClient::counters() const
{
    static_assert(sizeof(RpcCounters) == kCounterCount * sizeof(uint32_t),
                  "RpcCounters lists the counters in enum order");
    RpcCounters r;
    auto* out = reinterpret_cast<unsigned char*>(&r);  // trivially copyable
    for (size_t i = 0; i < kCounterCount; ++i) {
        const uint32_t value = counters_[i].load(kRelaxed);
        std::memcpy(out + i * sizeof value, &value, sizeof value);
    }
    return r;
}

}  // namespace amp
