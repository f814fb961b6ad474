// Fuzz target: request/response (amp::RpcClient, amp::serve with the demo
// services, the Dispatcher) fed arbitrary frames by a misbehaving peer.
//
// Our core: a Channel over one end of a LoopbackPair (seen through a Wire
// that records everything our side sends), an RpcClient with calls of our own
// in flight (typed and raw, with timeouts on a ManualClock the fuzzer
// advances), and an RpcScenario that serves checksum and stats and may make
// calls of its own. The peer is the fuzzer: raw bytes, or CRC-sealed frames
// with chosen type, flags, correlation id and payload (well-shaped requests
// for the services, responses to our pending calls by index, handshakes), so
// that the rpc code is reached past the CRC and the handshake. In between:
// polls with the clock moved on, cancel(), fail_all(), re-binds, restarts, and
// completions that start new calls.
//
// Invariants: every call that call() accepted completes exactly once, with
// exactly the status the harness predicts (the response's status byte, or
// wrong_size / unknown_type / bad_length / faulted for a malformed response,
// timeout once due, the reason of cancel()/fail_all()), and with the response
// body; a refused call never completes; poll() completes exactly the calls
// whose deadline passed; a response nobody waits for is counted (late or
// unknown) and dropped, never delivered; the pending table never exceeds
// AMP_CONFIG_MAX_PENDING and pending() == calls - completions; counters never
// decrease; every request to a service is answered exactly once with the
// status and body the service defines (unknown_type / wrong_size from the
// channel), and nothing else is answered; everything our side sends is a
// valid frame and every request carries its call's id; the statistics stay
// consistent: rx_messages + dropped == frames received, tx_messages == frames
// the link accepted.
#include <array>

#include "amp/channel.h"
#include "amp/crc32c.h"
#include "amp/loopback.h"
#include "amp/rpc.h"
#include "amp/services.h"
#include "fuzz_support.h"

// The harness itself is not coverage-instrumented (lib/ and the inline code
// of its headers are): libFuzzer is guided by the library alone, and the
// checks after every step cost no feedback bookkeeping.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("coverage"))), apply_to = function)
#endif

using namespace amp;
using amp::fuzz::Bytes;
using amp::fuzz::ExactCopy;
using amp::fuzz::Reader;
using services::ChecksumReply;
using services::ChecksumRequest;
using services::StatsReply;
using services::StatsRequest;

namespace {

constexpr int kMaxOps = 64;
constexpr size_t kMaxCalls = 128;   // calls tracked per input
constexpr uint8_t kRawType = 0x90;  // nobody serves it: raw calls go there
constexpr uint8_t kDoneType = services::CallsDone::kType;
constexpr uint32_t kNearWrap = 0xFFFF0000u;  // a clock about to wrap

// Setup byte.
//  bits 0-2: calls the scenario makes; bits 3-4: its calls in flight - 1
constexpr uint8_t kSetupBind = 0x20;       // bind before the first operation
constexpr uint8_t kSetupHandshake = 0x40;  // and feed the peer's (matching) handshake
constexpr uint8_t kSetupWrap = 0x80;       // the clock starts just before it wraps
// Second byte: the scenario's timeout, in units of 100 us.

enum Op : uint8_t {
    kRaw,        // u16 n, n bytes
    kFrame,      // see frame()
    kRespond,    // see respond()
    kHandshake,  // see handshake()
    kCall,       // see call()
    kAdvance,    // u8 mode, u16/u32 us: the clock moves on, then poll()
    kCancel,     // u8 mode, u8/u32 target
    kFailAll,    // u8 reason
    kBind,       // bind or unbind the link
    kPump,       // u8 max: our frames reach the peer
    kChain,      // u8 n: the next n completions each start a call
    kRestart,    // Channel::restart()
    kOpCount
};

constexpr Status kReasons[] = {Status::timeout, Status::link_reset, Status::faulted,
                               Status::not_bound, Status::ok};

Status reason(uint8_t b)
{
    return kReasons[b % std::size(kReasons)];
}

/// A body as its size and CRC-32C: compared without keeping copies (every
/// heap allocation costs a stack trace under AddressSanitizer).
struct Digest {
    size_t size = 0;
    uint32_t crc = 0;

    static Digest of(ByteSpan b) { return Digest{b.size(), crc32c(0, b.data(), b.size())}; }
    static Digest zeros(size_t n)
    {
        static constexpr std::array<uint8_t, kMaxPayloadSize> kZeros{};
        return of(ByteSpan{kZeros.data(), n});
    }
    friend bool operator==(const Digest&, const Digest&) = default;
};

/// Room for one frame and the payload it is built from.
struct FrameBuf {
    std::array<uint8_t, kMaxPayloadSize> payload{};
    std::array<uint8_t, kMaxMessageSize> frame{};
};

/// A sealed frame (correct CRC) of `payload` in `out`; any type and flags.
ByteSpan seal(std::array<uint8_t, kMaxMessageSize>& out, uint8_t type, ByteSpan payload,
              uint8_t flags, uint32_t seq, uint32_t corr)
{
    uint8_t* f = out.data();
    std::memset(f, 0, kFrameHeaderSize);
    store_le16(f + wire_offset::kMagic, kFrameMagic);
    f[wire_offset::kVersion] = kProtocolVersion;
    f[wire_offset::kType] = type;
    f[wire_offset::kFlags] = flags;
    store_le16(f + wire_offset::kPayloadLen, static_cast<uint16_t>(payload.size()));
    store_le32(f + wire_offset::kSeq, seq);
    store_le32(f + wire_offset::kCorrelation, corr);
    if (!payload.empty()) std::memcpy(f + kFrameHeaderSize, payload.data(), payload.size());
    fuzz::seal_crc(f, kFrameHeaderSize + payload.size());
    return ByteSpan{f, kFrameHeaderSize + payload.size()};
}

/// One call of ours.
struct Call {
    enum Kind : uint8_t { checksum, stats, raw };
    Kind kind = raw;
    uint8_t type = 0;
    uint32_t id = 0;
    uint32_t deadline = 0;
    bool pending = false;
    int completions = 0;
    Status status = Status::ok;  // what the completion got
    Digest body;                 // what the completion got (typed: the struct's bytes)
};

/// What our side handed to the link.
struct Sent {
    Frame frame;                                 // decoded (always valid: checked when sent)
    std::array<uint8_t, kMaxMessageSize> bytes;  // frame.payload points here
    Status status = Status::ok;
};

/// Our end of the link, seen by the channel: forwards everything, counts the
/// frames it hands to the channel and records every frame our side sends.
class Wire final : public Endpoint, public EndpointListener {
public:
    explicit Wire(LoopbackEndpoint& inner) : inner_(inner) { inner_.set_listener(this); }

    Status send(ByteSpan data) override
    {
        Sent& s = log[log_size++ % log.size()];
        AMP_FUZZ_CHECK(data.size() <= s.bytes.size());
        std::memcpy(s.bytes.data(), data.data(), data.size());
        AMP_FUZZ_CHECK(decode_frame(ByteSpan{s.bytes.data(), data.size()}, s.frame) == Status::ok);
        s.status = inner_.send(data);
        if (s.status == Status::ok) ++accepted;
        return s.status;
    }
    size_t max_message_size() const override { return inner_.max_message_size(); }
    bool is_bound() const override { return inner_.is_bound(); }

    void on_bound() override { notify_bound(); }
    void on_unbound() override { notify_unbound(); }
    void on_received(ByteSpan data) override
    {
        ++received;
        notify_received(data);
    }

    std::array<Sent, 16> log;  // the last frames sent (an operation sends a few)
    size_t log_size = 0;       // frames sent so far
    uint32_t accepted = 0;     // ... and accepted by the link
    uint32_t received = 0;     // frames handed to the channel

private:
    LoopbackEndpoint& inner_;
};

/// The peer's end: only counts what arrives.
class PeerEnd final : public EndpointListener {
public:
    void on_bound() override {}
    void on_received(ByteSpan data) override
    {
        Frame f;
        AMP_FUZZ_CHECK(decode_frame(data, f) == Status::ok);
        ++frames;
    }
    uint32_t frames = 0;
};

/// Log lines must stay printable and bounded.
class CheckingSink final : public LogSink {
public:
    void write(LogLevel level, const char* line) override
    {
        AMP_FUZZ_CHECK(level <= LogLevel::plain);
        size_t n = 0;
        for (; line[n] != '\0'; ++n) {
            AMP_FUZZ_CHECK(n < Line::kCapacity);
            AMP_FUZZ_CHECK(line[n] >= 0x20 && line[n] < 0x7F);
        }
    }
};

/// Which completions the current operation may cause.
struct Allowed {
    enum Kind : uint8_t { none, response, due, cancel, all };
    Kind kind = none;
    const Call* call = nullptr;  // response: the matched call
    Status status = Status::ok;  // response, cancel, all
    Digest body;                 // response: the body the completion gets
    uint32_t id = 0;             // cancel
    uint32_t now = 0;            // due
};

uint32_t total_completions(const RpcCounters& c)
{
    return c.ok + c.error_responses + c.timeouts + c.failed + c.malformed;
}

void grows(const RpcCounters& a, const RpcCounters& b)
{
    AMP_FUZZ_CHECK(b.calls >= a.calls && b.ok >= a.ok && b.error_responses >= a.error_responses);
    AMP_FUZZ_CHECK(b.timeouts >= a.timeouts && b.failed >= a.failed && b.late >= a.late);
    AMP_FUZZ_CHECK(b.unknown >= a.unknown && b.malformed >= a.malformed);
    AMP_FUZZ_CHECK(b.table_full >= a.table_full && b.send_failures >= a.send_failures);
}

services::ScenarioConfig scenario_config(uint8_t setup, uint8_t timeout)
{
    services::ScenarioConfig c;
    c.calls = setup & 7u;
    c.in_flight = 1 + ((setup >> 3) & 3u);
    c.timeout_us = 1 + timeout * 100u;
    c.log_calls = 2;
    return c;
}

class Board {
public:
    Board(uint8_t setup, uint8_t timeout)
        : scenario_(CoreId::cm7, rpc_, nullptr, scenario_config(setup, timeout))
    {
        current_ = this;
        AMP_FUZZ_CHECK(scenario_.status() == Status::ok);
        channel_.set_protocol(services::protocol());
        pair_.a().set_listener(&peer_);
        if ((setup & kSetupWrap) != 0) clock_.set(kNearWrap);
        if ((setup & kSetupBind) != 0) pair_.bind();
        if ((setup & kSetupHandshake) != 0) {
            const Handshake hs{kProtocolVersion, 0, 0, services::kTypesHash};
            feed_frame(msg::kHandshake, as_bytes(hs), 0, 0, 0);
            AMP_FUZZ_CHECK(channel_.is_ready() == ((setup & kSetupBind) != 0));
        }
        check();
    }

    ~Board() { current_ = nullptr; }

    void run(Reader& in)
    {
        for (int ops = 0; ops < kMaxOps && !in.empty(); ++ops) {
            step(in);
            check();
        }
        // Whatever is left must still complete exactly once.
        chain_ = 0;
        allow_all(Status::link_reset);
        rpc_.fail_all(Status::link_reset);
        allowed_ = Allowed{};
        for (size_t i = 0; i < num_calls_; ++i) {
            AMP_FUZZ_CHECK(!calls_[i].pending && calls_[i].completions == 1);
        }
        AMP_FUZZ_CHECK(rpc_.pending() == 0);
        scenario_.log_summary();
        check();
    }

private:
    void step(Reader& in)
    {
        const uint8_t op = in.u8();
        switch (static_cast<Op>(op % kOpCount)) {
        case kRaw: {
            const ExactCopy bytes{in.bytes(in.u16() % (kMaxMessageSize + 32))};
            feed(bytes.span());
            break;
        }
        case kFrame: frame(in); break;
        case kRespond: respond(in); break;
        case kHandshake: handshake(in); break;
        case kCall: call(in); break;
        case kAdvance: advance(in); break;
        case kCancel: cancel(in); break;
        case kFailAll: fail_all(reason(in.u8())); break;
        case kBind:
            if (pair_.b().is_bound()) {
                lost_ += static_cast<uint32_t>(kBuffers - pair_.b().free_buffers());
                pair_.unbind();
            } else {
                pair_.bind();
            }
            break;
        case kPump: pair_.pump(1 + in.u8() % 8); break;
        case kChain: chain_ = in.u8() % 4; break;
        case kRestart: channel_.restart(); break;
        case kOpCount: break;
        }
    }

    // ---- what the peer sends ----

    /// One of our calls (pending or completed) picked by the fuzzer, or null.
    Call* pick(uint8_t b)
    {
        if (num_calls_ == 0) return nullptr;
        Call& c = calls_[b % num_calls_];
        return &c;
    }

    //   u8 sel, [u8 type], [u8 flags], u8 index | u32 corr, payload (see below)
    void frame(Reader& in)
    {
        const uint8_t sel = in.u8();
        static constexpr uint8_t kTypes[] = {
            ChecksumRequest::kType, StatsRequest::kType, kDoneType, msg::kHandshake,
            msg::kHeartbeat,        AMP_MSG_STREAM,      kRawType};
        const uint8_t type = (sel & 7) < std::size(kTypes) ? kTypes[sel & 7] : in.u8();
        static constexpr uint8_t kFlags[] = {0, kFlagRequest, kFlagResponse,
                                             kFlagRequest | kFlagResponse};
        const uint8_t flags = (sel & 0x20) != 0 ? in.u8() : kFlags[(sel >> 3) & 3];
        uint32_t corr = 0;
        if ((sel & 0x40) != 0) {
            const Call* c = pick(in.u8());
            corr = c != nullptr ? c->id : 0;
        } else {
            corr = in.u32();
        }
        ByteSpan payload;
        if ((sel & 0x80) != 0 && type == ChecksumRequest::kType) {
            ChecksumRequest req{};
            req.length = in.u16() % (services::kChecksumCapacity + 16);
            const auto data = in.bytes(in.u8());
            if (!data.empty()) std::memcpy(req.data, data.data(), data.size());
            std::memcpy(buf_.payload.data(), &req, sizeof req);
            payload = ByteSpan{buf_.payload.data(), sizeof req};
        } else if ((sel & 0x80) != 0 && type == StatsRequest::kType) {
            StatsRequest req{};
            req.reserved = in.u8() < 0xF0 ? 0 : in.u32();
            std::memcpy(buf_.payload.data(), &req, sizeof req);
            payload = ByteSpan{buf_.payload.data(), sizeof req};
        } else {
            payload = in.bytes(in.u16() % (kMaxPayloadSize + 1));
        }
        feed_frame(type, payload, flags, in.u8(), corr);
    }

    //   u8 index, u8 mode, [u8 type], [u8 status], [u16 n], body bytes
    void respond(Reader& in)
    {
        const Call* c = pick(in.u8());
        const uint8_t mode = in.u8();
        uint8_t type = c != nullptr ? c->type : kRawType;
        if ((mode & 1) != 0) type = in.u8();
        const uint8_t status = (mode & 2) != 0 ? in.u8() : 0;
        size_t n = 0;
        if ((mode & 4) != 0 || c == nullptr || c->kind == Call::raw) {
            n = in.u16() % kMaxPayloadSize;
        } else {
            n = c->kind == Call::checksum ? sizeof(ChecksumReply) : sizeof(StatsReply);
        }
        uint8_t* payload = buf_.payload.data();
        std::memset(payload, 0, 1 + n);
        payload[0] = status;
        const auto body = in.bytes(n);
        if (!body.empty()) std::memcpy(payload + 1, body.data(), body.size());
        const size_t size = (mode & 8) != 0 ? 0 : 1 + n;  // 0: not even a status byte
        const uint8_t flags = (mode & 0x10) != 0 ? kFlagResponse | kFlagRequest : kFlagResponse;
        const uint32_t corr = c != nullptr && (mode & 0x20) == 0 ? c->id : in.u32();
        feed_frame(type, ByteSpan{payload, size}, flags, 0, corr);
    }

    //   u8 mode, [u16 version], [u32 hash], [u8 n]
    void handshake(Reader& in)
    {
        const uint8_t mode = in.u8();
        Handshake hs{kProtocolVersion, 0, 0, services::kTypesHash};
        if ((mode & 1) != 0) hs.protocol_version = in.u16();
        if ((mode & 2) != 0) hs.type_table_hash = in.u32();
        if ((mode & 4) != 0) hs.flags = Handshake::kSeenPeer;
        ByteSpan payload = as_bytes(hs);
        if ((mode & 8) != 0) payload = payload.first(in.u8() % sizeof hs);
        feed_frame(msg::kHandshake, payload, 0, 0, 0);
    }

    void feed_frame(uint8_t type, ByteSpan payload, uint8_t flags, uint32_t seq, uint32_t corr)
    {
        const ExactCopy copy{seal(buf_.frame, type, payload, flags, seq, corr)};
        feed(copy.span());
    }

    /// Feeds one frame and checks what our core made of it.
    void feed(ByteSpan data)
    {
        Frame f;
        const bool valid = decode_frame(data, f) == Status::ok;
        const Channel::State state = channel_.state();
        const bool passes = valid && f.header.type != msg::kHandshake &&
                            (is_control_type(f.header.type) || state == Channel::State::ready);
        const bool is_response = passes && (f.header.flags & kFlagResponse) != 0;
        Call* mine = is_response ? find(f.header.correlation) : nullptr;
        if (mine != nullptr) expect_response(*mine, f);
        Expected answer;
        if (passes && !is_response) answer = expected_answer(f);

        // Frames reach our channel only here, and check() holds
        // rx_messages + dropped == frames received between two feeds.
        const uint32_t rx_before = channel_.stats().rx_messages();
        // Neither changed since the last check(), which holds the identity.
        const RpcCounters rc_before = prev_;
        const uint32_t pending_before = rc_before.calls - total_completions(rc_before);
        const size_t sent_before = wire_.log_size;
        const uint32_t served_before = scenario_.counters().served;
        wire_.on_received(data);
        allowed_ = Allowed{};
        // One snapshot per frame (the costliest step of this target).
        const StatsSnapshot after = channel_.stats().snapshot();
        const RpcCounters rc = rpc_.counters();

        // Each frame is counted once, delivered or dropped.
        AMP_FUZZ_CHECK(after.consistent);
        AMP_FUZZ_CHECK(after.rx_messages + after.total_dropped() == wire_.received);
        const bool delivered = after.rx_messages == rx_before + 1;
        AMP_FUZZ_CHECK(delivered || after.rx_messages == rx_before);
        if (!valid) AMP_FUZZ_CHECK(!delivered);
        if (valid && !passes && f.header.type != msg::kHandshake) AMP_FUZZ_CHECK(!delivered);

        if (is_response) {
            const uint32_t late = rc.late + rc.unknown - rc_before.late - rc_before.unknown;
            const uint32_t done = total_completions(rc) - total_completions(rc_before);
            if (mine != nullptr) {
                AMP_FUZZ_CHECK(mine->completions == 1 && late == 0 && done == 1);
                const bool malformed = rc.malformed == rc_before.malformed + 1;
                AMP_FUZZ_CHECK(delivered == !malformed);
            } else if (done == 0) {
                // Nobody waits for it: counted and dropped, never delivered.
                AMP_FUZZ_CHECK(late == 1 && !delivered);
                if (f.header.correlation == 0) AMP_FUZZ_CHECK(rc.unknown == rc_before.unknown + 1);
            } else {
                // One of the scenario's calls.
                AMP_FUZZ_CHECK(done == 1 && late == 0 && rpc_.pending() + 1 == pending_before);
            }
        } else {
            AMP_FUZZ_CHECK(total_completions(rc) == total_completions(rc_before));
            AMP_FUZZ_CHECK(rc.late == rc_before.late && rc.unknown == rc_before.unknown);
        }
        check_answer(answer, f, sent_before);
        if (answer.served) {
            AMP_FUZZ_CHECK(scenario_.counters().served == served_before + 1);
        } else {
            AMP_FUZZ_CHECK(scenario_.counters().served == served_before);
        }
    }

    // ---- the server side ----

    struct Expected {
        bool answered = false;  // exactly one response frame goes out
        bool served = false;    // a service ran
        Status status = Status::ok;
        Digest body;  // the body of an ok answer (stats: only its size is checked)
        bool stats = false;
    };

    // What our core answers to `f`, a frame that reaches the dispatcher.
    Expected expected_answer(const Frame& f)
    {
        Expected e;
        const uint8_t type = f.header.type;
        const bool request = (f.header.flags & kFlagRequest) != 0;
        const size_t n = f.payload.size();
        if (type == ChecksumRequest::kType || type == StatsRequest::kType) {
            const bool checksum = type == ChecksumRequest::kType;
            const size_t want = checksum ? sizeof(ChecksumRequest) : sizeof(StatsRequest);
            e.answered = request;
            if (n != want) {
                e.status = Status::wrong_size;
                return e;
            }
            e.served = true;
            if (checksum) {
                ChecksumRequest req;
                std::memcpy(&req, f.payload.data(), sizeof req);
                if (req.length > services::kChecksumCapacity) {
                    e.status = Status::invalid_argument;
                } else {
                    ChecksumReply reply{};
                    reply.crc32c = crc32c(0, req.data, req.length);
                    reply.length = req.length;
                    e.body = Digest::of(as_bytes(reply));
                }
            } else {
                StatsRequest req;
                std::memcpy(&req, f.payload.data(), sizeof req);
                if (req.reserved != 0) {
                    e.status = Status::invalid_argument;
                } else {
                    e.stats = true;
                }
            }
            return e;
        }
        if (type == kDoneType) {
            // One-way by nature: a request of the right size runs it, unanswered.
            e.answered = request && n != sizeof(services::CallsDone);
            e.status = Status::wrong_size;
            return e;
        }
        if (is_control_type(type)) return e;
        e.answered = request;
        e.status = Status::unknown_type;
        return e;
    }

    void check_answer(const Expected& e, const Frame& request, size_t sent_before)
    {
        uint32_t answers = 0;
        AMP_FUZZ_CHECK(wire_.log_size - sent_before <= wire_.log.size());
        for (size_t i = sent_before; i < wire_.log_size; ++i) {
            const Sent& s = wire_.log[i % wire_.log.size()];
            const FrameHeader& h = s.frame.header;
            if ((h.flags & kFlagResponse) == 0) continue;  // a handshake, a chained call
            ++answers;
            AMP_FUZZ_CHECK(e.answered && h.flags == kFlagResponse);
            AMP_FUZZ_CHECK(h.type == request.header.type);
            AMP_FUZZ_CHECK(h.correlation == request.header.correlation);
            AMP_FUZZ_CHECK(!s.frame.payload.empty());
            AMP_FUZZ_CHECK(s.frame.payload[0] == static_cast<uint8_t>(e.status));
            const ByteSpan body = s.frame.payload.subspan(1);
            if (e.status != Status::ok) {
                AMP_FUZZ_CHECK(body.empty());
            } else if (e.stats) {
                AMP_FUZZ_CHECK(body.size() == sizeof(StatsReply));
                StatsReply reply;
                std::memcpy(&reply, body.data(), sizeof reply);
                AMP_FUZZ_CHECK(reply.uptime_us == clock_.now_us());
            } else {
                AMP_FUZZ_CHECK(Digest::of(body) == e.body);
            }
        }
        AMP_FUZZ_CHECK(answers == (e.answered ? 1u : 0u));
    }

    // ---- the client side ----

    Call* find(uint32_t id)
    {
        for (size_t i = 0; i < num_calls_; ++i) {
            if (calls_[i].pending && calls_[i].id == id) return &calls_[i];
        }
        return nullptr;
    }

    static size_t reply_size(const Call& c)
    {
        return c.kind == Call::checksum ? sizeof(ChecksumReply) : sizeof(StatsReply);
    }

    // What the completion of `c` gets for response `f` (see amp/rpc.h).
    void expect_response(const Call& c, const Frame& f)
    {
        allowed_ = Allowed{};
        allowed_.kind = Allowed::response;
        allowed_.call = &c;
        const ByteSpan p = f.payload;
        if (p.empty()) {
            allowed_.status = Status::bad_length;
        } else if (f.header.type != c.type) {
            allowed_.status = Status::unknown_type;
        } else if (p[0] >= kStatusCount) {
            allowed_.status = Status::faulted;
        } else {
            allowed_.status = static_cast<Status>(p[0]);
            const ByteSpan body = p.subspan(1);
            const size_t want = c.kind == Call::checksum ? sizeof(ChecksumReply)
                                : c.kind == Call::stats  ? sizeof(StatsReply)
                                                         : body.size();
            if (allowed_.status == Status::ok && body.size() != want) {
                allowed_.status = Status::wrong_size;
            }
            if (c.kind == Call::raw || allowed_.status == Status::ok) {
                allowed_.body = Digest::of(body);
            }
        }
        if (c.kind != Call::raw && allowed_.status != Status::ok) {
            allowed_.body = Digest::zeros(reply_size(c));  // value-initialised
        }
    }

    //   u8 kind, u8 timeout mode, timeout, then per kind: u16 length | - | u8 type, u16 n, bytes
    void call(Reader& in)
    {
        const uint8_t kind = in.u8();
        const uint32_t timeout = read_timeout(in);
        switch (kind % 3) {
        case 0: {
            ChecksumRequest req{};
            req.length = in.u16() % (services::kChecksumCapacity + 8);
            start_checksum(req, timeout);
            break;
        }
        case 1: {
            StatsRequest req{};
            req.reserved = in.u8() < 0xF0 ? 0 : 1;
            start_stats(req, timeout);
            break;
        }
        default: {
            const uint8_t type = (kind & 0x80) != 0 ? in.u8() : kRawType;
            const ExactCopy payload{in.bytes(in.u16() % (kMaxPayloadSize + 8))};
            start_raw(type, payload.span(), timeout);
        }
        }
    }

    static uint32_t read_timeout(Reader& in)
    {
        const uint8_t mode = in.u8();
        switch (mode & 3) {
        case 0: return mode >> 2;  // due at once or almost
        case 1: return in.u16();
        case 2: return in.u16() * 1000u;
        default: return in.u32();  // may exceed kMaxTimeoutUs
        }
    }

    Call* new_call(Call::Kind kind, uint8_t type)
    {
        if (num_calls_ == calls_.size()) return nullptr;
        Call& c = calls_[num_calls_];
        c = Call{};
        c.kind = kind;
        c.type = type;
        return &c;
    }

    void start_checksum(const ChecksumRequest& req, uint32_t timeout)
    {
        Call* c = new_call(Call::checksum, ChecksumRequest::kType);
        if (c == nullptr) return;
        started(*c, as_bytes(req), timeout,
                [&](uint32_t* id) { return rpc_.call(req, &Board::on_checksum, c, timeout, id); });
    }

    void start_stats(const StatsRequest& req, uint32_t timeout)
    {
        Call* c = new_call(Call::stats, StatsRequest::kType);
        if (c == nullptr) return;
        started(*c, as_bytes(req), timeout,
                [&](uint32_t* id) { return rpc_.call(req, &Board::on_stats, c, timeout, id); });
    }

    void start_raw(uint8_t type, ByteSpan payload, uint32_t timeout)
    {
        Call* c = new_call(Call::raw, type);
        if (c == nullptr) return;
        started(*c, payload, timeout, [&](uint32_t* id) {
            return rpc_.call(type, payload, &Board::on_raw, c, timeout, id);
        });
    }

    /// Runs `issue` (one rpc_.call) and checks its outcome.
    template <typename Issue>
    void started(Call& c, ByteSpan request, uint32_t timeout, Issue issue)
    {
        const uint32_t pending = rpc_.pending();
        const RpcCounters before = rpc_.counters();
        const size_t sent_before = wire_.log_size;
        const bool ready = channel_.is_ready();
        uint32_t id = 0;
        const Status st = issue(&id);
        const RpcCounters after = rpc_.counters();
        AMP_FUZZ_CHECK(c.completions == 0);  // never from inside call()

        if (timeout > RpcClient::kMaxTimeoutUs) {
            AMP_FUZZ_CHECK(st == Status::invalid_argument);
        } else if (pending == config::kMaxPending) {
            AMP_FUZZ_CHECK(st == Status::table_full && after.table_full == before.table_full + 1);
        } else if (!ready && !is_control_type(c.type)) {
            AMP_FUZZ_CHECK(st == Status::not_bound || st == Status::version_mismatch);
        } else if (request.size() > channel_.max_payload()) {
            AMP_FUZZ_CHECK(st == Status::too_large);
        } else if (c.type == 0) {
            AMP_FUZZ_CHECK(st == Status::invalid_argument);  // refused by encode_frame()
        } else if (!channel_.is_bound()) {
            AMP_FUZZ_CHECK(st == Status::not_bound);  // a control type, refused by the link
        } else {
            AMP_FUZZ_CHECK(st == Status::ok || st == Status::no_buffer);
        }
        if (st == Status::ok) {
            AMP_FUZZ_CHECK(id != 0 && find(id) == nullptr);
            AMP_FUZZ_CHECK(after.calls == before.calls + 1 && rpc_.pending() == pending + 1);
            // The request went out with the call's id.
            AMP_FUZZ_CHECK(wire_.log_size == sent_before + 1);
            const Sent& s = wire_.log[sent_before % wire_.log.size()];
            AMP_FUZZ_CHECK(s.status == Status::ok && s.frame.header.type == c.type);
            AMP_FUZZ_CHECK(s.frame.header.flags == kFlagRequest);
            AMP_FUZZ_CHECK(s.frame.header.correlation == id);
            AMP_FUZZ_CHECK(s.frame.payload.size() == request.size());
            AMP_FUZZ_CHECK(request.empty() || std::memcmp(s.frame.payload.data(), request.data(),
                                                          request.size()) == 0);
            c.id = id;
            c.pending = true;
            c.deadline = clock_.now_us() + timeout;
            ++num_calls_;  // tracked from now on
        } else {
            AMP_FUZZ_CHECK(rpc_.pending() == pending && after.calls == before.calls);
            if (timeout <= RpcClient::kMaxTimeoutUs && st != Status::table_full) {
                AMP_FUZZ_CHECK(after.send_failures == before.send_failures + 1);
            }
        }
    }

    static void on_raw(void* self_call, Status st, ByteSpan body)
    {
        current_->completed(*static_cast<Call*>(self_call), st, body);
    }
    static void on_checksum(void* self_call, Status st, const ChecksumReply& reply)
    {
        current_->completed(*static_cast<Call*>(self_call), st, as_bytes(reply));
    }
    static void on_stats(void* self_call, Status st, const StatsReply& reply)
    {
        current_->completed(*static_cast<Call*>(self_call), st, as_bytes(reply));
    }

    void completed(Call& c, Status st, ByteSpan body)
    {
        AMP_FUZZ_CHECK(c.pending && ++c.completions == 1);
        c.pending = false;
        c.status = st;
        c.body = Digest::of(body);
        switch (allowed_.kind) {
        case Allowed::none: AMP_FUZZ_CHECK(allowed_.kind != Allowed::none); break;
        case Allowed::response:
            AMP_FUZZ_CHECK(&c == allowed_.call && st == allowed_.status);
            AMP_FUZZ_CHECK(c.body == allowed_.body);
            allowed_.kind = Allowed::none;  // one response completes one call
            break;
        case Allowed::due:
            AMP_FUZZ_CHECK(st == Status::timeout && is_due(c.deadline, allowed_.now));
            break;
        case Allowed::cancel:
            AMP_FUZZ_CHECK(c.id == allowed_.id && st == allowed_.status);
            allowed_.kind = Allowed::none;
            break;
        case Allowed::all: AMP_FUZZ_CHECK(st == allowed_.status); break;
        }
        if (c.kind != Call::raw && st != Status::ok) {
            AMP_FUZZ_CHECK(c.body == Digest::zeros(reply_size(c)));  // value-initialised
        }
        if (chain_ > 0) {  // a completion may start a new call
            --chain_;
            const Allowed saved = allowed_;
            allowed_ = Allowed{};
            const uint8_t tiny[] = {1, 2, 3};
            start_raw(kRawType, tiny, chain_ % 2 == 0 ? 0 : 500);
            allowed_ = saved;
        }
    }

    //   u8 mode, u16 or u32 microseconds
    void advance(Reader& in)
    {
        const uint8_t mode = in.u8();
        clock_.advance((mode & 2) != 0 ? in.u32() & 0x3FFFFFFFu : in.u16());
        const uint32_t now = clock_.now_us();
        const size_t known = num_calls_;
        bool due[kMaxCalls] = {};
        for (size_t i = 0; i < known; ++i) {
            due[i] = calls_[i].pending && is_due(calls_[i].deadline, now);
        }
        allowed_ = Allowed{};
        allowed_.kind = Allowed::due;
        allowed_.now = now;
        if ((mode & 1) != 0) {
            scenario_.poll();  // rpc_.poll() and the scenario's own calls
        } else {
            rpc_.poll();
        }
        allowed_ = Allowed{};
        // Exactly the calls that were due completed. (A call that a
        // completion started may be due already: the next poll() expires it.)
        for (size_t i = 0; i < known; ++i) {
            if (due[i]) AMP_FUZZ_CHECK(!calls_[i].pending);
            if (calls_[i].pending) AMP_FUZZ_CHECK(!is_due(calls_[i].deadline, now));
        }
    }

    //   u8 mode, u8 index | u32 id, u8 reason
    void cancel(Reader& in)
    {
        const uint8_t mode = in.u8();
        uint32_t id = 0;
        if ((mode & 1) != 0) {
            const Call* c = pick(in.u8());
            id = c != nullptr ? c->id : 0;
        } else {
            id = in.u32();
        }
        const Status why = reason(in.u8());
        Call* c = find(id);
        const RpcCounters before = rpc_.counters();
        allowed_ = Allowed{};
        allowed_.kind = Allowed::cancel;
        allowed_.id = id;
        allowed_.status = why;
        const Status st = rpc_.cancel(id, why);
        allowed_ = Allowed{};
        const RpcCounters after = rpc_.counters();
        const uint32_t done = total_completions(after) - total_completions(before);
        if (c != nullptr) {
            AMP_FUZZ_CHECK(st == Status::ok && c->completions == 1 && done == 1);
        } else {
            // Not ours: not pending at all, or one of the scenario's calls.
            AMP_FUZZ_CHECK(st == (done == 1 ? Status::ok : Status::not_found));
        }
        if (done == 1) {
            const bool timeout = why == Status::timeout;
            AMP_FUZZ_CHECK(after.timeouts == before.timeouts + (timeout ? 1 : 0));
            AMP_FUZZ_CHECK(after.failed == before.failed + (timeout ? 0 : 1));
        }
    }

    void allow_all(Status why)
    {
        allowed_ = Allowed{};
        allowed_.kind = Allowed::all;
        allowed_.status = why;
    }

    void fail_all(Status why)
    {
        const uint32_t pending = rpc_.pending();
        const size_t known = num_calls_;
        allow_all(why);
        const uint32_t n = rpc_.fail_all(why);
        allowed_ = Allowed{};
        AMP_FUZZ_CHECK(n >= pending);  // completions may start new calls, failed too
        for (size_t i = 0; i < known; ++i) AMP_FUZZ_CHECK(!calls_[i].pending);
    }

    // ---- after every operation ----

    void check()
    {
        // (rx_messages + dropped == frames received: checked by feed(), the
        // only way in for frames.)
        AMP_FUZZ_CHECK(channel_.stats().tx_messages() == wire_.accepted);
        // Everything the link accepted reached the peer, waits, or was lost in an unbind.
        const auto queued = static_cast<uint32_t>(kBuffers - pair_.b().free_buffers());
        AMP_FUZZ_CHECK(wire_.accepted == peer_.frames + queued + lost_);

        const RpcCounters c = rpc_.counters();
        grows(prev_, c);
        prev_ = c;
        const uint32_t pending = rpc_.pending();
        AMP_FUZZ_CHECK(pending <= config::kMaxPending);
        AMP_FUZZ_CHECK(pending == c.calls - total_completions(c));
        uint32_t mine = 0;
        for (size_t i = 0; i < num_calls_; ++i) {
            const Call& call = calls_[i];
            AMP_FUZZ_CHECK(call.completions == (call.pending ? 0 : 1));
            mine += call.pending ? 1 : 0;
        }
        AMP_FUZZ_CHECK(mine <= pending);
        const services::ScenarioCounters sc = scenario_.counters();
        AMP_FUZZ_CHECK(sc.calls == sc.ok + sc.failed);
    }

    static constexpr size_t kBuffers = 4;
    LoopbackPair<kBuffers> pair_;
    ManualClock clock_;
    CheckingSink log_;
    PeerEnd peer_;
    Wire wire_{pair_.b()};
    Channel channel_{wire_, clock_, &log_};
    RpcClient rpc_{channel_};
    services::RpcScenario scenario_;

    FrameBuf buf_;  // what the peer's next frame is built in
    std::array<Call, kMaxCalls> calls_{};
    size_t num_calls_ = 0;
    Allowed allowed_;
    RpcCounters prev_{};
    uint32_t lost_ = 0;
    uint8_t chain_ = 0;

    static Board* current_;  // the completions' way back (their context is the call)
};

Board* Board::current_ = nullptr;

// ---- seeds ----------------------------------------------------------------

class Script {
public:
    Script(uint8_t setup, uint8_t timeout = 10) { w_.u8(setup).u8(timeout); }
    Script& op(Op o) { return u8(o); }
    Script& u8(uint8_t v)
    {
        w_.u8(v);
        return *this;
    }
    Script& u16(uint16_t v)
    {
        w_.u16(v);
        return *this;
    }
    Script& u32(uint32_t v)
    {
        w_.u32(v);
        return *this;
    }
    Script& bytes(std::span<const uint8_t> b)
    {
        w_.bytes(b);
        return *this;
    }
    // A checksum call of `len` bytes with a timeout of `ms` milliseconds.
    Script& call_checksum(uint16_t len, uint16_t ms)
    {
        return op(kCall).u8(0).u8(2).u16(ms).u16(len);
    }
    Script& call_stats(uint16_t ms) { return op(kCall).u8(1).u8(2).u16(ms).u8(0); }
    Script& call_raw(const char* text, uint16_t us)
    {
        const auto p = fuzz::text(text);
        return op(kCall).u8(2).u8(1).u16(us).u16(static_cast<uint16_t>(p.size())).bytes(p);
    }
    // A response to our call number `index` (mode: see Board::respond).
    Script& respond(uint8_t index, uint8_t mode = 0) { return op(kRespond).u8(index).u8(mode); }
    Script& advance(uint16_t us, uint8_t mode = 0) { return op(kAdvance).u8(mode).u16(us); }
    Script& pump() { return op(kPump).u8(7); }
    const Bytes& get() const { return w_.get(); }

private:
    fuzz::Writer w_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Reader in(data, size);
    const uint8_t setup = in.u8();
    const uint8_t timeout = in.u8();
    Board board(setup, timeout);
    board.run(in);
    return 0;
}

void amp_fuzz_seeds(amp::fuzz::SeedSink& sink)
{
    constexpr uint8_t kReady = kSetupBind | kSetupHandshake;
    // Frame selector bits (Board::frame): type index, flags index << 3, shaped payload.
    constexpr uint8_t kShaped = 0x80;
    constexpr uint8_t kAsRequest = 1 << 3;

    sink.add("calls-answered", Script(kReady)
                                   .call_checksum(16, 5)
                                   .call_stats(5)
                                   .call_raw("raw request", 800)
                                   .pump()
                                   .respond(0)
                                   .bytes(fuzz::Bytes(sizeof(ChecksumReply), 7))
                                   .respond(1, 2)  // an error status
                                   .u8(static_cast<uint8_t>(Status::invalid_argument))
                                   .bytes(fuzz::Bytes(sizeof(StatsReply), 0))
                                   .respond(2)
                                   .u16(5)
                                   .bytes(fuzz::text("reply"))
                                   .advance(100)
                                   .get());
    sink.add("timeouts", Script(kReady | kSetupWrap)
                             .call_raw("first", 100)
                             .call_raw("second", 60000)
                             .call_stats(1)
                             .advance(200)
                             .advance(2000)
                             .advance(60000)
                             .respond(0)  // late
                             .u16(0)
                             .get());
    sink.add("serve-requests", Script(kReady)
                                   .op(kFrame)
                                   .u8(0 | kAsRequest | kShaped)  // checksum request
                                   .u32(42)
                                   .u16(5)
                                   .u8(5)
                                   .bytes(fuzz::text("hello"))
                                   .u8(0)
                                   .op(kFrame)
                                   .u8(1 | kAsRequest | kShaped)  // stats request
                                   .u32(43)
                                   .u8(0)
                                   .u8(1)
                                   .op(kFrame)
                                   .u8(6 | kAsRequest)  // nobody serves it
                                   .u32(44)
                                   .u16(3)
                                   .bytes(fuzz::text("abc"))
                                   .u8(2)
                                   .op(kFrame)
                                   .u8(0 | kAsRequest)  // wrong size
                                   .u32(45)
                                   .u16(1)
                                   .u8(9)
                                   .u8(3)
                                   .pump()
                                   .get());
    sink.add("scenario", Script(kReady | 4 | (1 << 3), 50)
                             .advance(1, 1)
                             .pump()
                             .op(kFrame)  // a checksum answer to the scenario's first call
                             .u8(0 | (2 << 3))
                             .u32(1)
                             .u16(9)
                             .bytes(fuzz::Bytes(9, 0))
                             .u8(0)
                             .advance(1, 1)
                             .advance(10000, 1)
                             .advance(1, 1)
                             .get());
    sink.add("malformed-responses", Script(kReady)
                                        .call_checksum(4, 5)
                                        .call_stats(5)
                                        .call_raw("x", 900)
                                        .respond(0, 4)  // wrong body size
                                        .u16(3)
                                        .bytes(fuzz::text("abc"))
                                        .respond(1, 8 | 4)  // no status byte
                                        .u16(0)
                                        .respond(2, 1)  // another type
                                        .u8(0x91)
                                        .u16(0)
                                        .get());
    sink.add("cancel-fail-all-chain", Script(kReady)
                                          .call_raw("a", 1000)
                                          .call_raw("b", 1000)
                                          .call_raw("c", 1000)
                                          .pump()
                                          .op(kChain)
                                          .u8(2)
                                          .op(kCancel)
                                          .u8(1)
                                          .u8(1)
                                          .u8(1)
                                          .op(kFailAll)
                                          .u8(1)
                                          .pump()
                                          .get());
    sink.add("handshake-and-rebind", Script(kSetupBind)
                                         .call_raw("too early", 100)
                                         .op(kHandshake)
                                         .u8(1)
                                         .u16(9)  // another protocol version
                                         .call_raw("mismatch", 100)
                                         .op(kBind)
                                         .op(kBind)
                                         .op(kHandshake)
                                         .u8(0)
                                         .call_raw("ready", 100)
                                         .op(kRestart)
                                         .op(kHandshake)
                                         .u8(4)
                                         .pump()
                                         .get());
    sink.add("table-full", Script(kReady)
                               .call_raw("1", 50)
                               .call_raw("2", 50)
                               .call_raw("3", 50)
                               .pump()
                               .call_raw("4", 50)
                               .call_raw("5", 50)
                               .call_raw("6", 50)
                               .pump()
                               .call_raw("7", 50)
                               .call_raw("8", 50)
                               .call_raw("9", 50)
                               .advance(60)
                               .get());
}

#if defined(__clang__)
#pragma clang attribute pop
#endif
