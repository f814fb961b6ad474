// Fuzz target: what a misbehaving peer can make of one core's stack, i.e. a
// Channel (decoder, counters, dispatcher, log lines) with a Role and a user
// handler registered, over a LoopbackPair whose other end runs a correct peer
// (Channel + the other Role); or the same core through the C API.
//
// Input: two setup bytes, then up to kMaxOps operations, each an op byte and
// its arguments (see run_ops). Injected frames reach Channel::on_received
// either raw or "wrapped": a header with a correct CRC around fuzzer-chosen
// fields and payload, so that the fuzzer gets past the CRC into the
// dispatcher and the roles; a wrapped frame may then be bit-flipped or cut.
//
// Invariants, checked around every frame and after every operation: no crash
// or undefined behaviour; every frame received (injected or from the peer) is
// counted exactly once, delivered or dropped (rx_messages + total_dropped ==
// frames received); only a frame that decodes and has a handler is
// delivered, and it reaches exactly that handler; a dropped frame reaches no
// handler, is logged, and when it does not decode it is counted under the
// reason of its status and the log line names it; a well-formed frame gets
// exactly the status the harness predicts; a corrupted one is never
// delivered; log lines are printable ASCII of bounded length; everything our
// side sends is a valid frame, and tx_messages == frames the peer received +
// frames still queued + frames lost when the link went down; an invalid send
// is refused and counted.
#include <array>
#include <cerrno>

#include "amp/amp.h"
#include "amp/channel.h"
#include "amp/loopback.h"
#include "amp/role.h"
#include "fuzz_support.h"

using namespace amp;
using amp::fuzz::Bytes;
using amp::fuzz::ExactCopy;
using amp::fuzz::Reader;

namespace {

constexpr uint8_t kUserType = msg::kUserFirst;
constexpr int kMaxOps = 64;

// Setup byte.
constexpr uint8_t kSetupPrimary = 0x01;  // the Role is the CM7 primary (else the CM4 remote)
constexpr uint8_t kSetupBound = 0x02;    // bind before the first operation
constexpr uint8_t kSetupCApi = 0x04;     // drive the stack through amp.h instead
// bits 3..5: hellos the primary sends; bits 6..7: its interval in units of 50 us.

// Operations: the low three bits of an op byte.
enum Op : uint8_t { kRaw, kWrapped, kPoll, kToggleBind, kAppSend, kPump, kWrapped2, kRaw2 };

// Wrapped-frame selector bits: which fields come from the input instead of
// being correct, and what happens to the sealed frame.
constexpr uint8_t kSelVersion = 0x01;
constexpr uint8_t kSelReserved = 0x02;
constexpr uint8_t kSelMagic = 0x04;
constexpr uint8_t kSelLength = 0x08;
constexpr uint8_t kSelFlipBit = 0x10;
constexpr uint8_t kSelSeqCorr = 0x20;
constexpr uint8_t kSelCut = 0x40;

/// What the harness knows about a frame before feeding it.
struct Expect {
    bool known = false;  // `status` is the exact decode result
    Status status = Status::ok;
    bool must_drop = false;  // corrupted after sealing
};

struct Wrapped {
    Bytes frame;
    Expect expect;
};

Wrapped read_wrapped(Reader& in, uint32_t default_seq)
{
    const uint8_t sel = in.u8();
    fuzz::RawHeader h;
    h.type = in.u8();
    h.flags = in.u8();
    h.seq = default_seq;
    if ((sel & kSelSeqCorr) != 0) {
        h.seq = in.u32();
        h.correlation = in.u32();
    }
    if ((sel & kSelVersion) != 0) h.version = in.u8();
    if ((sel & kSelReserved) != 0) h.reserved = in.u8();
    if ((sel & kSelMagic) != 0) h.magic = in.u16();
    const auto payload = in.bytes(in.u16() % (kMaxPayloadSize + 1));
    const auto len_field =
        (sel & kSelLength) != 0 ? in.u16() : static_cast<uint16_t>(payload.size());

    Wrapped w{fuzz::build_frame(h, payload, len_field), {}};
    constexpr uint8_t kFieldSel = kSelVersion | kSelReserved | kSelMagic | kSelLength;
    if ((sel & kFieldSel) == 0) {
        w.expect.known = true;
        w.expect.status = (h.flags & ~kKnownFlags) != 0 ? Status::bad_flags
                          : h.type == 0                 ? Status::unknown_type
                                                        : Status::ok;
    }
    if ((sel & kSelFlipBit) != 0) {
        const size_t pos = in.u16() % w.frame.size();
        w.frame[pos] ^= static_cast<uint8_t>(1u << (in.u8() & 7));
        w.expect = Expect{false, Status::ok, true};  // CRC-32C catches every single-bit error
    }
    if ((sel & kSelCut) != 0) {
        const size_t cut = in.u8() % (w.frame.size() + 1);
        if (cut != 0) {
            w.frame.erase(w.frame.end() - static_cast<std::ptrdiff_t>(cut), w.frame.end());
            w.expect = Expect{false, Status::ok, true};
        }
    }
    return w;
}

/// Log lines must stay short printable ASCII whatever the peer sends.
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
        std::memcpy(last_.data(), line, n + 1);
        ++lines_;
    }
    uint32_t lines() const { return lines_; }
    const char* last() const { return last_.data(); }

private:
    std::array<char, Line::kCapacity + 1> last_{};
    uint32_t lines_ = 0;
};

/// Sits between an endpoint and its channel: forwards every event, counts
/// what arrives, and runs the per-frame checks.
class Tap final : public EndpointListener {
public:
    using Check = void (*)(void* context, ByteSpan frame, bool before);

    Tap(Endpoint& endpoint, EndpointListener& inner, Check check, void* context)
        : inner_(inner), check_(check), context_(context)
    {
        endpoint.set_listener(this);
    }
    void on_bound() override { inner_.on_bound(); }
    void on_unbound() override { inner_.on_unbound(); }
    void on_received(ByteSpan data) override
    {
        check_(context_, data, true);
        inner_.on_received(data);
        ++frames;
        check_(context_, data, false);
    }
    uint32_t frames = 0;

private:
    EndpointListener& inner_;
    Check check_;
    void* context_;
};

RoleConfig role_config(uint8_t setup, uint8_t pad)
{
    RoleConfig cfg;
    cfg.count = (setup >> 3) & 7u;
    cfg.interval_us = (setup >> 6) * 50u;
    cfg.payload_size = pad * 2u;
    return cfg;
}

// ---- the C++ stack -------------------------------------------------------

/// Our core (endpoint b) under attack, and a well-behaved peer core
/// (endpoint a) running the other role, so that real exchanges happen too.
class Board {
public:
    Board(uint8_t setup, uint8_t pad)
        : core_((setup & kSetupPrimary) != 0 ? CoreId::cm7 : CoreId::cm4),
          role_(core_, channel_, role_config(setup, pad)),
          peer_role_(core_ == CoreId::cm7 ? CoreId::cm4 : CoreId::cm7, peer_channel_,
                     role_config(setup, pad))
    {
        AMP_FUZZ_CHECK(channel_.dispatcher().add(kUserType, &Board::on_user, this) == Status::ok);
        role_.start();
        peer_role_.start();
        if ((setup & kSetupBound) != 0) pair_.bind();
    }

    /// A frame from the misbehaving peer, straight into our channel.
    void feed(ByteSpan bytes, const Expect& expect)
    {
        const ExactCopy copy{bytes};
        expect_ = expect;
        tap_.on_received(copy.span());
        expect_ = Expect{};
    }

    void poll(uint16_t advance_us)
    {
        clock_.advance(advance_us);
        role_.poll();
        peer_role_.poll();
        pair_.pump();
    }

    void pump(uint8_t max) { pair_.pump(max); }

    void toggle_bind()
    {
        if (pair_.b().is_bound()) {
            lost_ += queued(pair_.b());
            pair_.unbind();
            AMP_FUZZ_CHECK(!channel_.is_bound() && pair_.pending() == 0);
        } else {
            pair_.bind();
            AMP_FUZZ_CHECK(channel_.is_bound());
        }
    }

    // The application sends a message of its own next to the role's.
    void app_send(Reader& in)
    {
        const uint8_t type = in.u8();
        const uint8_t flags = in.u8();
        const uint32_t corr = in.u32();
        const auto payload = in.bytes(in.u16() % (kMaxPayloadSize + 8));
        const StatsSnapshot before = channel_.stats().snapshot();
        const Status st = channel_.send(type, payload, flags, corr);
        const StatsSnapshot after = channel_.stats().snapshot();
        const bool refusable = payload.size() > channel_.max_payload() || type == 0 ||
                               (flags & ~kKnownFlags) != 0 || !channel_.is_bound();
        if (refusable) AMP_FUZZ_CHECK(st != Status::ok);
        if (st == Status::ok) {
            AMP_FUZZ_CHECK(after.tx_messages == before.tx_messages + 1);
            AMP_FUZZ_CHECK(after.tx_bytes - before.tx_bytes == kFrameHeaderSize + payload.size());
        } else {
            AMP_FUZZ_CHECK(after.send_failures == before.send_failures + 1);
        }
    }

    void check()
    {
        // Everything our side sent reached the peer, waits in the ring, or
        // was discarded when the link went down.
        const StatsSnapshot s = channel_.stats().snapshot();
        AMP_FUZZ_CHECK(s.tx_messages == peer_tap_.frames + queued(pair_.b()) + lost_);
        AMP_FUZZ_CHECK(s.rx_messages + s.total_dropped() == tap_.frames);
    }

    void finish()
    {
        role_.log_summary();
        peer_role_.log_summary();
        check();
    }

    uint32_t fed() const { return tap_.frames; }

private:
    static uint32_t queued(const LoopbackEndpoint& e)
    {
        return static_cast<uint32_t>(kBuffers - e.free_buffers());
    }

    static void on_user(void* self, const Frame& f)
    {
        auto* b = static_cast<Board*>(self);
        for (uint8_t x : f.payload) b->checksum_ += x;  // touches every byte: ASan checks bounds
        ++b->user_frames_;
    }

    // Around every frame our channel receives, from the fuzzer or the peer.
    static void check_ours(void* self, ByteSpan data, bool before_delivery)
    {
        auto* b = static_cast<Board*>(self);
        if (before_delivery) {
            b->before_ = b->channel_.stats().snapshot();
            b->hellos_before_ = b->role_.counters().received;
            b->user_before_ = b->user_frames_;
            b->lines_before_ = b->log_.lines();
            return;
        }
        b->check_delivery(data);
    }

    void check_delivery(ByteSpan data)
    {
        const StatsSnapshot after = channel_.stats().snapshot();
        AMP_FUZZ_CHECK(after.consistent);
        // Each frame is counted once: delivered or dropped.
        AMP_FUZZ_CHECK(after.rx_messages + after.total_dropped() == tap_.frames);
        const bool delivered = after.rx_messages == before_.rx_messages + 1;
        AMP_FUZZ_CHECK(delivered || after.total_dropped() == before_.total_dropped() + 1);

        Frame f;  // the reference verdict
        const Status st = decode_frame(data, f);
        if (expect_.known) AMP_FUZZ_CHECK(st == expect_.status);
        if (expect_.must_drop) AMP_FUZZ_CHECK(!delivered);

        const uint32_t hellos = role_.counters().received - hellos_before_;
        const uint32_t users = user_frames_ - user_before_;
        if (delivered) {
            // Only a valid frame with a handler (or a link control message
            // the channel consumes itself) is delivered, to that handler.
            AMP_FUZZ_CHECK(st == Status::ok);
            const uint8_t type = f.header.type;
            AMP_FUZZ_CHECK(channel_.dispatcher().has(type) || type == msg::kHandshake ||
                           type == msg::kHeartbeat);
            AMP_FUZZ_CHECK(after.rx_bytes - before_.rx_bytes == data.size());
            AMP_FUZZ_CHECK(hellos == (f.header.type == msg::kHello ? 1u : 0u));
            AMP_FUZZ_CHECK(users == (f.header.type == kUserType ? 1u : 0u));
            if (f.header.type == msg::kGoodbye && core_ == CoreId::cm4)
                AMP_FUZZ_CHECK(role_.done());
            return;
        }
        // A dropped frame reached no handler, is logged, and a frame that
        // does not decode is counted under the reason of its status.
        AMP_FUZZ_CHECK(hellos == 0 && users == 0);
        AMP_FUZZ_CHECK(after.rx_bytes == before_.rx_bytes);
        AMP_FUZZ_CHECK(log_.lines() > lines_before_);
        if (st != Status::ok && st != Status::unknown_type) {
            const auto reason = static_cast<size_t>(drop_reason_for(st));
            AMP_FUZZ_CHECK(after.dropped[reason] == before_.dropped[reason] + 1);
            AMP_FUZZ_CHECK(std::strstr(log_.last(), to_string(st)) != nullptr);
        }
    }

    // What our side sends must always be a valid frame.
    static void check_sent(void* /*self*/, ByteSpan data, bool before_delivery)
    {
        if (!before_delivery) return;
        Frame f;
        AMP_FUZZ_CHECK(decode_frame(data, f) == Status::ok);
    }

    static constexpr size_t kBuffers = 4;
    CoreId core_;
    LoopbackPair<kBuffers> pair_;
    ManualClock clock_;
    CheckingSink log_;
    CheckingSink peer_log_;
    Channel channel_{pair_.b(), clock_, &log_};
    Channel peer_channel_{pair_.a(), clock_, &peer_log_};
    Tap tap_{pair_.b(), channel_, &Board::check_ours, this};
    Tap peer_tap_{pair_.a(), peer_channel_, &Board::check_sent, this};
    Role role_;
    Role peer_role_;

    Expect expect_;
    StatsSnapshot before_;
    uint32_t hellos_before_ = 0;
    uint32_t user_before_ = 0;
    uint32_t lines_before_ = 0;
    uint32_t user_frames_ = 0;
    uint32_t checksum_ = 0;
    uint32_t lost_ = 0;
};

// ---- the same through the C API ------------------------------------------

uint32_t g_now_us = 0;
uint32_t now_us()
{
    return g_now_us;
}

void c_log(void* ctx, amp_log_level_t level, const char* line)
{
    AMP_FUZZ_CHECK(level >= AMP_LOG_ERROR && level <= AMP_LOG_PLAIN);
    static_cast<CheckingSink*>(ctx)->write(static_cast<LogLevel>(level), line);
}

class CBoard {
public:
    explicit CBoard(uint8_t setup)
    {
        g_now_us = 0;
        const amp_config_t cfg{(setup & kSetupPrimary) != 0 ? AMP_CORE_CM7 : AMP_CORE_CM4,
                               role_config(setup, 0).count, &c_log, &log_, &now_us};
        AMP_FUZZ_CHECK(amp_init(&inst_, &cfg) == 0);
        if ((setup & kSetupBound) != 0) amp_on_bound(&inst_);
    }

    void feed(ByteSpan bytes, const Expect& expect)
    {
        const ExactCopy copy{bytes};
        const int rc = amp_on_received(&inst_, copy.span().data(), copy.size());
        AMP_FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
        ++fed_;
        refused_ += rc != 0 ? 1 : 0;
        if (expect.must_drop) AMP_FUZZ_CHECK(rc != 0);
        if (expect.known && expect.status != Status::ok) AMP_FUZZ_CHECK(rc != 0);
        check();
    }

    // Takes what the library wants sent; `refuse` makes the transport refuse it.
    void poll(uint16_t advance_us, bool refuse = false)
    {
        g_now_us += advance_us;
        std::array<uint8_t, kMaxMessageSize> buf{};
        for (int i = 0; i < 4; ++i) {
            const int n = amp_next_message(&inst_, buf.data(), buf.size());
            AMP_FUZZ_CHECK(n >= 0 && static_cast<size_t>(n) <= buf.size());
            if (n == 0) break;
            Frame f;
            AMP_FUZZ_CHECK(decode_frame(ByteSpan{buf.data(), static_cast<size_t>(n)}, f) ==
                           Status::ok);
            if (refuse) {
                amp_send_failed(&inst_, -ENOMEM);
                break;
            }
        }
    }

    void pump(uint8_t cap)
    {
        ExactCopy buf{Bytes(cap)};
        const int n = amp_next_message(&inst_, buf.data(), buf.size());
        AMP_FUZZ_CHECK(n == -ENOBUFS || (n >= 0 && static_cast<size_t>(n) <= cap));
    }

    void toggle_bind() { amp_on_bound(&inst_); }
    void app_send(Reader& in) { poll(in.u16(), true); }

    void check()
    {
        amp_counters_t c{};
        amp_get_counters(&inst_, &c);
        AMP_FUZZ_CHECK(c.dropped == refused_);
        AMP_FUZZ_CHECK(c.received <= fed_ - refused_);
        AMP_FUZZ_CHECK(c.errors >= c.dropped + c.send_failures);
    }

    void finish()
    {
        amp_log_summary(&inst_);
        check();
    }

    uint32_t fed() const { return fed_; }

private:
    amp_instance_t inst_{};
    CheckingSink log_;
    uint32_t fed_ = 0;
    uint32_t refused_ = 0;
};

// ---- the operation loop --------------------------------------------------

//   kRaw/kRaw2          u16 length, bytes         fed as they are
//   kWrapped/kWrapped2  see read_wrapped()        a sealed frame, maybe corrupted
//   kPoll               u16 microseconds          advance the clock, poll, deliver
//   kToggleBind         -                         bind or unbind the link
//   kAppSend            type, flags, u32, u16 n, bytes   the application sends
//   kPump               u8 max                    deliver up to max messages
template <typename B>
void run_ops(B& board, Reader& in)
{
    for (int ops = 0; ops < kMaxOps && !in.empty(); ++ops) {
        const uint8_t op = in.u8();
        switch (static_cast<Op>(op & 7)) {
        case kRaw:
        case kRaw2: board.feed(in.bytes(in.u16() % (kMaxMessageSize + 64)), Expect{}); break;
        case kWrapped:
        case kWrapped2: {
            const Wrapped w = read_wrapped(in, board.fed());
            board.feed(ByteSpan{w.frame.data(), w.frame.size()}, w.expect);
            break;
        }
        case kPoll: board.poll(in.u16()); break;
        case kToggleBind: board.toggle_bind(); break;
        case kAppSend: board.app_send(in); break;
        case kPump: board.pump(in.u8()); break;
        }
        board.check();
    }
    board.finish();
}

// ---- seeds ----------------------------------------------------------------

class Script {
public:
    explicit Script(uint8_t setup, uint8_t pad = 0) { w_.u8(setup).u8(pad); }
    Script& raw(const Bytes& b)
    {
        w_.u8(kRaw).u16(static_cast<uint16_t>(b.size())).bytes(b);
        return *this;
    }
    Script& wrapped(uint8_t type, const char* payload, uint8_t flags = 0, uint8_t sel = 0)
    {
        const auto p = fuzz::text(payload);
        w_.u8(kWrapped).u8(sel).u8(type).u8(flags).u16(static_cast<uint16_t>(p.size())).bytes(p);
        return *this;
    }
    Script& flipped(uint8_t type, const char* payload, uint16_t pos, uint8_t bit)
    {
        wrapped(type, payload, 0, kSelFlipBit);
        w_.u16(pos).u8(bit);
        return *this;
    }
    Script& poll(uint16_t us)
    {
        w_.u8(kPoll).u16(us);
        return *this;
    }
    Script& toggle()
    {
        w_.u8(kToggleBind);
        return *this;
    }
    Script& app_send(uint8_t type, const char* payload)
    {
        const auto p = fuzz::text(payload);
        w_.u8(kAppSend).u8(type).u8(0).u32(5).u16(static_cast<uint16_t>(p.size())).bytes(p);
        return *this;
    }
    const Bytes& get() const { return w_.get(); }

private:
    fuzz::Writer w_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Reader in(data, size);
    const uint8_t setup = in.u8();
    const uint8_t pad = in.u8();  // padding of the role's hellos (C++ stack only)
    if ((setup & kSetupCApi) != 0) {
        CBoard board(setup);
        run_ops(board, in);
    } else {
        Board board(setup, pad);
        run_ops(board, in);
    }
    return 0;
}

void amp_fuzz_seeds(amp::fuzz::SeedSink& sink)
{
    constexpr uint8_t kRemote = kSetupBound;
    constexpr uint8_t kPrimary3 = kSetupBound | kSetupPrimary | (3 << 3);
    sink.add("remote-hellos", Script(kRemote)
                                  .wrapped(msg::kHello, "Hello from CM7, count: 0")
                                  .poll(10)
                                  .wrapped(msg::kHello, "Hello from CM7, count: 1")
                                  .poll(10)
                                  .wrapped(msg::kGoodbye, "")
                                  .get());
    sink.add("primary-exchange", Script(kPrimary3)
                                     .poll(10)
                                     .wrapped(msg::kHello, "Hello from CM4, count: 0")
                                     .poll(10)
                                     .wrapped(msg::kHello, "Hello from CM4, count: 1")
                                     .poll(10)
                                     .wrapped(msg::kHello, "Hello from CM4, count: 7")
                                     .poll(10)
                                     .get());
    sink.add("user-and-unknown", Script(kRemote)
                                     .poll(1)  // lets the handshake complete
                                     .wrapped(kUserType, "user payload", kFlagRequest)
                                     .wrapped(0x99, "nobody handles this")
                                     .wrapped(0, "type zero")
                                     .wrapped(kUserType, "reserved flag", 0x80)
                                     .app_send(kUserType, "from the application")
                                     .poll(1)
                                     .get());
    sink.add("corrupted", Script(kRemote)
                              .flipped(msg::kHello, "Hello from CM7, count: 0", 3, 1)
                              .flipped(msg::kHello, "Hello from CM7, count: 0", 30, 7)
                              .raw(fuzz::Bytes(12, 0xEE))
                              .raw(fuzz::valid_frame(msg::kHello, fuzz::text("Hello")))
                              .get());
    sink.add("bind-cycles", Script(kSetupPrimary | (2 << 3))
                                .poll(5)
                                .toggle()
                                .poll(5)
                                .toggle()
                                .toggle()
                                .poll(5)
                                .wrapped(msg::kHello, "Hello from CM4, count: 0")
                                .get());
    sink.add("padded-remote",
             Script(kRemote, 100).wrapped(msg::kHello, "Hello from CM7, count: 0").poll(1).get());
    sink.add("c-api-remote", Script(kSetupCApi | kRemote)
                                 .wrapped(msg::kHello, "Hello from CM7, count: 0")
                                 .poll(1)
                                 .raw(fuzz::Bytes(30, 0x41))
                                 .wrapped(msg::kGoodbye, "")
                                 .get());
    sink.add("c-api-primary", Script(kSetupCApi | kPrimary3)
                                  .poll(1)
                                  .wrapped(msg::kHello, "Hello from CM4, count: 0")
                                  .app_send(0, "")
                                  .poll(1)
                                  .get());
}
