// Fuzz target: the shared-memory link (amp::ShmLink) over a region whose
// rings, descriptors, indices, RPMsg headers, name-service messages, session
// words and header the fuzzer controls.
//
// A primary creates a small region (exactly sized heap block: AddressSanitizer
// catches any access outside it) and a remote attaches; the input then is a
// sequence of operations: raw writes and bit flips anywhere in the region,
// writes of named fields (indices, descriptors, session words, header), a
// rogue sender that publishes well-formed ring entries with fuzzer-chosen
// RPMsg headers, payloads and name-service messages, a rogue receiver that
// gives buffers back, writes armed to happen "concurrently" (inside the next
// doorbell or receive callback), and the real links' own calls: poll, send,
// close, peer_lost, attach, restart (a new object re-formats or re-attaches),
// kill (the fuzzer plays that side from then on), and an idle loop
// (poll while work_pending()).
//
// Invariants, after every operation and in every callback: no crash, no
// access outside the region, no hang (every poll() returns; an idle loop ends
// within a few rounds); a delivered message is non-empty, at most
// max_message_size(), lies inside one of the peer's buffers after its RPMsg
// header, and arrives only while the link is bound; counters never decrease
// and doorbells counts every ring; send()/close() return exactly the
// documented status for the link's state and count what they do; a faulted
// link names its fault, refuses send() and close() with Status::faulted, does
// nothing in poll(), reports no work, and stays faulted; is_bound() implies
// the listener's last event was on_bound(); log lines are printable and
// bounded. While the fuzzer has not touched the region, two correct links
// never fault, every message arrives intact and in order (lost ones only at
// a reset), and once work_pending() is false a poll() finds nothing (a
// platform that sleeps then misses nothing).
#include <array>
#include <optional>

#include "amp/shm_link.h"
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
using shm::Side;

namespace {

constexpr int kMaxOps = 96;
constexpr int kIdleRounds = 8;  // an idle loop must settle within this many polls
constexpr const char* kName = "amp-fuzz";
constexpr uint32_t kTags[2] = {0x1001, 0x2002};

// Setup byte.
//  bits 0-1: buffers per direction: 1, 2, 4, 8
//  bits 2-3: buffer size: 56 (the minimum), 64, 128, 512
constexpr uint8_t kSetupBind = 0x10;      // poll both until bound before the first operation
constexpr uint8_t kSetupNoRemote = 0x20;  // no remote link: the fuzzer plays the remote
constexpr uint8_t kSetupDerive = 0x40;    // the primary derives the count from the region size
constexpr uint8_t kSetupEcho = 0x80;      // both listeners answer every message
// Second byte, bits 0-1: slack bytes after the layout, in units of 64.

enum Op : uint8_t {
    kWrite,     // u16 offset, u8 n, n bytes: raw write into the region
    kField,     // u8 field, u8 index, u32 value: write a named field (or add to it)
    kPoll,      // u8 side
    kSend,      // u8 side, u16 length
    kInject,    // rogue sender publishes a message (see inject())
    kInjectNs,  // rogue sender publishes a name-service message
    kReturn,    // u8 side, u8 mode, u32 id, u32 len: rogue receiver returns a buffer
    kClose,     // u8 side
    kPeerLost,  // u8 side
    kRestart,   // u8 side, u8 mode: a new link object creates / attaches
    kAttach,    // u8 mode: the remote calls attach() again
    kKill,      // u8 side: the link object disappears (the fuzzer plays it)
    kPump,      // u8 rounds: poll both sides
    kIdle,      // u8 side: poll while work_pending()
    kArm,       // u16 offset, u8 n, n bytes: written at the next doorbell or delivery
    kListener,  // u8 side, u8 action (see Action)
    kFlip,      // u16 bit index
    kOpCount
};

enum class Action : uint8_t {
    none,
    echo,        // answers every message with one of its own (a reply from the callback)
    peer_lost,   // calls peer_lost() in the next on_received
    close,       // calls close() in the next on_received
    send_bound,  // sends from on_bound (as Channel does with its handshake)
    repoll,      // calls poll() from on_received: must do nothing
    count_
};

/// Log lines must stay short printable ASCII whatever the peer writes.
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

uint8_t pattern(uint32_t seq, size_t i, size_t len)
{
    return static_cast<uint8_t>(seq * 31u + i * 7u + len);
}

class Harness;

class Listener final : public EndpointListener {
public:
    void on_bound() override;
    void on_received(ByteSpan data) override;
    void on_unbound() override { bound = false; }

    Harness* harness = nullptr;
    int side = 0;
    bool bound = false;  // the last event was on_bound()
    Action action = Action::none;
};

class Bell final : public Doorbell {
public:
    void ring() override;

    Harness* harness = nullptr;
    uint32_t rings = 0;  // since the link object was made
};

/// A write the fuzzer arms to happen inside the next callback: the peer
/// writing while the link is in the middle of its work.
struct Armed {
    bool set = false;
    uint32_t offset = 0;
    std::array<uint8_t, 8> bytes{};
    size_t size = 0;
};

class Harness {
public:
    Harness(uint8_t setup, uint8_t extra)
    {
        const uint32_t num = 1u << (setup & 3);
        static constexpr uint32_t kSizes[4] = {shm::kMinBufferSize, 64, 128, 512};
        const uint32_t buffer_size = kSizes[(setup >> 2) & 3];
        AMP_FUZZ_CHECK(shm::make_layout(num, buffer_size, layout_) == Status::ok);
        size_ = layout_.total_size + (extra & 3u) * 64u;
        mem_.reset(new uint8_t[size_]);
        std::memset(mem_.get(), 0, size_);

        for (int s = 0; s < 2; ++s) {
            listener_[s].harness = this;
            listener_[s].side = s;
            listener_[s].action = (setup & kSetupEcho) != 0 ? Action::echo : Action::none;
            bell_[s].harness = this;
        }
        config_.name = kName;
        config_.buffer_size = buffer_size;
        config_.num_buffers = (setup & kSetupDerive) != 0 ? 0 : num;

        make(0);
        config_.tag = kTags[0];
        AMP_FUZZ_CHECK(link_[0]->create(region(), config_) == Status::ok);
        layout_ = link_[0]->layout();  // a derived count may exceed `num`
        if ((setup & kSetupNoRemote) == 0) {
            make(1);
            config_.tag = kTags[1];
            AMP_FUZZ_CHECK(link_[1]->attach(region(), config_) == Status::ok);
            if ((setup & kSetupBind) != 0) {
                for (int i = 0; i < 4; ++i) pump();
                AMP_FUZZ_CHECK(link_[0]->is_bound() && link_[1]->is_bound());
            }
        }
        check();
    }

    void run(Reader& in)
    {
        for (int ops = 0; ops < kMaxOps && !in.empty(); ++ops) {
            step(in);
            check();
        }
        pump();
        check();
    }

    // ---- callbacks ----

    void on_bound(int s)
    {
        AMP_FUZZ_CHECK(link_[s].has_value() && link_[s]->is_bound());
        listener_[s].bound = true;
        if (listener_[s].action == Action::send_bound) send(s, 8);
    }

    void on_received(int s, ByteSpan data)
    {
        AMP_FUZZ_CHECK(link_[s].has_value());
        ShmLink& l = *link_[s];
        AMP_FUZZ_CHECK(l.is_bound() && listener_[s].bound);
        AMP_FUZZ_CHECK(!data.empty() && data.size() <= l.max_message_size());
        // Inside one of the peer's buffers, after the RPMsg header.
        const shm::Layout& lay = l.layout();
        const auto at = static_cast<size_t>(data.data() - mem_.get());
        AMP_FUZZ_CHECK(data.data() >= mem_.get() && at + data.size() <= size_);
        const uint32_t first = lay.buffers[shm::index(shm::other(l.side()))];
        AMP_FUZZ_CHECK(at >= first + rpmsg::kHeaderSize);
        const size_t in_buffer = (at - first) % lay.buffer_size;
        AMP_FUZZ_CHECK((at - first) / lay.buffer_size < lay.num_buffers);
        AMP_FUZZ_CHECK(in_buffer == rpmsg::kHeaderSize);
        AMP_FUZZ_CHECK(in_buffer + data.size() <= lay.buffer_size);
        for (const uint8_t b : data) checksum_ += b;  // every byte read: ASan checks it
        ++delivered_;
        if (!dirty_) check_content(s, data);

        fire_armed();
        switch (listener_[s].action) {
        case Action::echo: send(s, data.size()); break;
        case Action::peer_lost:
            listener_[s].action = Action::none;
            l.peer_lost();
            break;
        case Action::close:
            listener_[s].action = Action::none;
            (void)l.close();
            break;
        case Action::repoll: AMP_FUZZ_CHECK(l.poll() == 0); break;
        default: break;
        }
    }

    void on_ring() { fire_armed(); }

private:
    MutableByteSpan region() { return MutableByteSpan{mem_.get(), size_}; }

    // A new link object on side `s` (the old one, if any, is gone).
    void make(int s)
    {
        link_[s].reset();
        link_[s].emplace(s == 0 ? Side::primary : Side::remote, bell_[s], &log_[s]);
        link_[s]->set_listener(&listener_[s]);
        bell_[s].rings = 0;
        listener_[s].bound = false;
        prev_[s] = ShmLinkCounters{};
        was_faulted_[s] = false;
    }

    void step(Reader& in)
    {
        const uint8_t op = in.u8();
        switch (static_cast<Op>(op % kOpCount)) {
        case kWrite: write_raw(in, false); break;
        case kField: write_field(in); break;
        case kPoll: poll(in.u8() & 1); break;
        case kSend: {
            const int s = in.u8() & 1;
            send(s, in.u16() % (layout_.buffer_size + 4));
            break;
        }
        case kInject: inject(in); break;
        case kInjectNs: inject_ns(in); break;
        case kReturn: give_back(in); break;
        case kClose: close(in.u8() & 1); break;
        case kPeerLost: {
            const int s = in.u8() & 1;
            if (link_[s]) link_[s]->peer_lost();
            break;
        }
        case kRestart: {
            const int s = in.u8() & 1;  // read in order: not two reads in one call
            restart(s, in.u8());
            break;
        }
        case kAttach: attach_again(in.u8()); break;
        case kKill: link_[in.u8() & 1].reset(); break;
        case kPump: {
            const int rounds = 1 + in.u8() % 8;
            for (int i = 0; i < rounds; ++i) pump();
            break;
        }
        case kIdle: idle(in.u8() & 1); break;
        case kArm: write_raw(in, true); break;
        case kListener: {
            const int s = in.u8() & 1;
            listener_[s].action =
                static_cast<Action>(in.u8() % static_cast<uint8_t>(Action::count_));
            break;
        }
        case kFlip: {
            const uint32_t bit = in.u16() % (size_ * 8);
            mem_[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
            dirty_ = true;
            break;
        }
        case kOpCount: break;
        }
    }

    // ---- the region, written by the fuzzer ----

    void put(uint32_t offset, const void* bytes, size_t n)
    {
        if (offset >= size_) return;
        if (n > size_ - offset) n = size_ - offset;
        std::memcpy(&mem_[offset], bytes, n);
        dirty_ = true;
    }
    void put16(uint32_t offset, uint16_t v) { put(offset, &v, 2); }
    void put32(uint32_t offset, uint32_t v) { put(offset, &v, 4); }
    uint16_t get16(uint32_t offset) const
    {
        uint16_t v = 0;
        if (offset + 2 <= size_) std::memcpy(&v, &mem_[offset], 2);
        return v;
    }
    uint32_t get32(uint32_t offset) const
    {
        uint32_t v = 0;
        if (offset + 4 <= size_) std::memcpy(&v, &mem_[offset], 4);
        return v;
    }

    void write_raw(Reader& in, bool armed)
    {
        const uint32_t offset = in.u16() % size_;
        const auto bytes = in.bytes(in.u8() % 9);
        if (!armed) {
            put(offset, bytes.data(), bytes.size());
            return;
        }
        armed_.set = true;
        armed_.offset = offset;
        armed_.size = bytes.size();
        if (!bytes.empty()) std::memcpy(armed_.bytes.data(), bytes.data(), bytes.size());
        dirty_ = true;
    }

    void fire_armed()
    {
        if (!armed_.set) return;
        armed_.set = false;
        put(armed_.offset, armed_.bytes.data(), armed_.size);
    }

    static constexpr uint32_t side_word(Side s, size_t field)
    {
        return static_cast<uint32_t>(offsetof(shm::RegionHeader, side) +
                                     sizeof(shm::SideBlock) * shm::index(s) + field);
    }

    // Writes one field of the layout the primary created; the top bit of
    // `index` adds the value (a small signed step) instead of storing it.
    void write_field(Reader& in)
    {
        const uint8_t field = in.u8();
        const uint8_t index = in.u8();
        const uint32_t value = in.u32();
        const Side s = (index & 1) != 0 ? Side::remote : Side::primary;
        const uint32_t i = (index >> 1) % layout_.num_buffers;
        const bool add = (index & 0x80) != 0;
        const shm::Layout& l = layout_;
        uint32_t offset = 0;
        size_t width = 4;
        switch (field % 22) {
        case 0: offset = l.avail_idx(s), width = 2; break;
        case 1: offset = l.ring[shm::index(s)].avail, width = 2; break;  // flags
        case 2: offset = l.avail_entry(s, i), width = 2; break;
        case 3: offset = l.used_idx(s), width = 2; break;
        case 4: offset = l.used_entry(s, i); break;
        case 5: offset = l.used_entry(s, i) + 4; break;
        case 6: offset = l.desc(s, i); break;
        case 7: offset = l.desc(s, i) + 4; break;
        case 8: offset = l.desc(s, i) + 8; break;
        case 9: offset = l.desc(s, i) + 12, width = 2; break;
        case 10: offset = l.buffer(s, i); break;                  // RPMsg src
        case 11: offset = l.buffer(s, i) + 4; break;              // RPMsg dst
        case 12: offset = l.buffer(s, i) + 12, width = 2; break;  // RPMsg len
        case 13: offset = side_word(s, offsetof(shm::SideBlock, state)); break;
        case 14: offset = side_word(s, offsetof(shm::SideBlock, tag)); break;
        case 15: offset = side_word(s, offsetof(shm::SideBlock, epoch)); break;
        case 16: offset = side_word(s, offsetof(shm::SideBlock, ack)); break;
        case 17: offset = offsetof(shm::RegionHeader, magic); break;
        case 18: offset = offsetof(shm::RegionHeader, generation); break;
        case 19: offset = offsetof(shm::RegionHeader, num_buffers), width = 2; break;
        case 20: offset = offsetof(shm::RegionHeader, buffer_size); break;
        case 21: offset = offsetof(shm::RegionHeader, region_size); break;
        }
        if (width == 2) {
            const auto step = static_cast<uint16_t>(static_cast<int8_t>(value));
            put16(offset,
                  add ? static_cast<uint16_t>(get16(offset) + step) : static_cast<uint16_t>(value));
        } else {
            const auto step = static_cast<uint32_t>(static_cast<int8_t>(value));
            put32(offset, add ? get32(offset) + step : value);
        }
    }

    // A rogue `sender` publishes `payload` behind an RPMsg header in its
    // buffer `id`, with a well-formed descriptor unless told otherwise.
    void publish(Side sender, uint32_t id, const rpmsg::Header& h, std::span<const uint8_t> payload,
                 bool raw_len, uint32_t len)
    {
        const shm::Layout& l = layout_;
        const uint32_t buf = l.buffer(sender, id);
        std::array<uint8_t, rpmsg::kHeaderSize> hdr{};
        rpmsg::encode_header(h, hdr.data());
        put(buf, hdr.data(), hdr.size());
        const size_t room = l.buffer_size - rpmsg::kHeaderSize;
        put(buf + rpmsg::kHeaderSize, payload.data(),
            payload.size() < room ? payload.size() : room);
        put32(l.desc(sender, id), buf);
        put32(l.desc(sender, id) + 4, 0);
        put32(l.desc(sender, id) + 8,
              raw_len ? len : static_cast<uint32_t>(rpmsg::kHeaderSize + payload.size()));
        put32(l.desc(sender, id) + 12, 0);  // flags, next
        const uint16_t idx = get16(l.avail_idx(sender));
        put16(l.avail_entry(sender, idx % l.num_buffers), static_cast<uint16_t>(id));
        put16(l.avail_idx(sender), static_cast<uint16_t>(idx + 1));
    }

    static Side side_of(uint8_t b) { return (b & 1) != 0 ? Side::remote : Side::primary; }

    //   u8 sender, u8 id, u8 mode, [u32 src], [u32 dst], [u32 len], u16 n, n bytes
    void inject(Reader& in)
    {
        const Side sender = side_of(in.u8());
        const uint32_t id = in.u8() % layout_.num_buffers;
        const uint8_t mode = in.u8();
        rpmsg::Header h;
        h.src = (mode & 1) != 0 ? in.u32() : ShmLink::kLocalAddress;
        h.dst = (mode & 2) != 0 ? in.u32() : ShmLink::kLocalAddress;
        const bool raw_len = (mode & 4) != 0;
        const uint32_t len = raw_len ? in.u32() : 0;
        const auto payload = in.bytes(in.u16() % layout_.buffer_size);
        h.len = static_cast<uint16_t>(payload.size());
        if ((mode & 8) != 0) h.len = in.u16();  // a length field that lies
        publish(sender, id, h, payload, raw_len, len);
    }

    //   u8 sender, u8 id, u8 mode, u8 n, n name bytes, u32 addr, [u32 flags]
    void inject_ns(Reader& in)
    {
        const Side sender = side_of(in.u8());
        const uint32_t id = in.u8() % layout_.num_buffers;
        const uint8_t mode = in.u8();
        std::array<uint8_t, rpmsg::kNsMessageSize> ns{};
        if ((mode & 1) != 0) {
            const auto name = in.bytes(in.u8() % (rpmsg::kNameSize + 1));
            if (!name.empty()) std::memcpy(ns.data(), name.data(), name.size());
        } else {
            std::memcpy(ns.data(), kName, std::strlen(kName));
        }
        const uint32_t addr = in.u32();
        const uint32_t flags = (mode & 2) != 0 ? in.u32() : (mode >> 2) & 1;
        std::memcpy(&ns[rpmsg::kNameSize], &addr, 4);
        std::memcpy(&ns[rpmsg::kNameSize + 4], &flags, 4);
        rpmsg::Header h;
        h.src = addr;
        h.dst = rpmsg::kNsAddress;
        const size_t n = (mode & 8) != 0 ? in.u8() % (ns.size() + 1) : ns.size();
        h.len = static_cast<uint16_t>(n);
        publish(sender, id, h, std::span<const uint8_t>{ns.data(), n}, false, 0);
    }

    // A rogue receiver gives back the next buffer of `sender`'s ring: the one
    // the available ring names (as a correct peer does), or any id and length.
    void give_back(Reader& in)
    {
        const Side sender = side_of(in.u8());
        const uint8_t mode = in.u8();
        const uint32_t fuzz_id = in.u32();
        const uint32_t fuzz_len = in.u32();
        const shm::Layout& l = layout_;
        const uint16_t used = get16(l.used_idx(sender));
        const uint32_t slot = used % l.num_buffers;
        const uint32_t id = (mode & 1) != 0 ? fuzz_id : get16(l.avail_entry(sender, slot));
        put32(l.used_entry(sender, slot), id);
        put32(l.used_entry(sender, slot) + 4, (mode & 2) != 0 ? fuzz_len : 0);
        put16(l.used_idx(sender), static_cast<uint16_t>(used + 1));
    }

    // ---- the links' own calls ----

    void poll(int s)
    {
        if (!link_[s]) return;
        const size_t n = link_[s]->poll();
        // Control steps plus at most one pass over each ring.
        AMP_FUZZ_CHECK(n <= 4 + 2 * size_t{shm::kMaxBuffers});
    }

    void pump()
    {
        poll(0);
        poll(1);
    }

    // A platform's idle loop: poll until nothing is pending, then sleep.
    void idle(int s)
    {
        if (!link_[s]) return;
        int rounds = 0;
        while (link_[s]->work_pending()) {
            AMP_FUZZ_CHECK(++rounds <= kIdleRounds);
            poll(s);
        }
        // Nothing left that a sleeping platform would miss. (Not with a peer
        // that writes garbage: work_pending() reads a few words, not all.)
        if (!dirty_) AMP_FUZZ_CHECK(link_[s]->poll() == 0);
    }

    // The next message side `s` sends (in scratch_): its sequence number
    // and a pattern, or 0xEE bytes when shorter than a sequence number.
    ByteSpan payload(int s, size_t len)
    {
        uint8_t* p = scratch_.data();
        std::memset(p, 0xEE, len);
        if (len >= 4) {
            const uint32_t seq = next_seq_[s]++;
            std::memcpy(p, &seq, 4);
            for (size_t i = 4; i < len; ++i) p[i] = pattern(seq, i, len);
        }
        return ByteSpan{p, len};
    }

    // Intact and in order while the fuzzer has not touched the region.
    void check_content(int s, ByteSpan data)
    {
        const int from = 1 - s;
        if (data.size() < 4) {
            for (const uint8_t b : data) AMP_FUZZ_CHECK(b == 0xEE);
            return;
        }
        uint32_t seq = 0;
        std::memcpy(&seq, data.data(), 4);
        AMP_FUZZ_CHECK(seq > last_seq_[s] && seq < next_seq_[from]);
        for (size_t i = 4; i < data.size(); ++i)
            AMP_FUZZ_CHECK(data[i] == pattern(seq, i, data.size()));
        last_seq_[s] = seq;
    }

    void send(int s, size_t len)
    {
        if (!link_[s]) return;
        ShmLink& l = *link_[s];
        const ExactCopy data{payload(s, len)};
        const ShmLinkCounters before = l.counters();
        const bool faulted = l.faulted();
        const bool bound = l.is_bound();
        const size_t max = l.max_message_size();
        const Status st = l.send(data.span());
        const ShmLinkCounters after = l.counters();
        if (faulted) {
            AMP_FUZZ_CHECK(st == Status::faulted);
        } else if (!bound) {
            AMP_FUZZ_CHECK(st == Status::not_bound);
        } else if (len > max) {
            AMP_FUZZ_CHECK(st == Status::too_large && after.too_large == before.too_large + 1);
        } else if (len == 0) {
            AMP_FUZZ_CHECK(st == Status::invalid_argument);
        } else {
            AMP_FUZZ_CHECK(st == Status::ok || st == Status::no_buffer || st == Status::faulted ||
                           st == Status::not_bound);
        }
        if (st == Status::ok) {
            AMP_FUZZ_CHECK(after.tx_messages == before.tx_messages + 1);
            AMP_FUZZ_CHECK(after.tx_bytes == before.tx_bytes + len);
        } else {
            AMP_FUZZ_CHECK(after.tx_messages == before.tx_messages);
        }
        if (st == Status::no_buffer) AMP_FUZZ_CHECK(after.no_buffer == before.no_buffer + 1);
        if (st == Status::faulted) AMP_FUZZ_CHECK(l.faulted());
    }

    void close(int s)
    {
        if (!link_[s]) return;
        ShmLink& l = *link_[s];
        const bool faulted = l.faulted();
        const bool bound = l.is_bound();
        const Status st = l.close();
        if (faulted) {
            AMP_FUZZ_CHECK(st == Status::faulted);
        } else if (!bound) {
            AMP_FUZZ_CHECK(st == Status::not_bound);
        } else {
            AMP_FUZZ_CHECK(st == Status::ok || st == Status::no_buffer || st == Status::faulted ||
                           st == Status::not_bound);
        }
        if (st == Status::ok) AMP_FUZZ_CHECK(!l.is_bound() && l.attached());
    }

    static bool attach_status(Status st)
    {
        return st == Status::ok || st == Status::not_found || st == Status::version_mismatch ||
               st == Status::invalid_argument || st == Status::busy;
    }

    ShmLinkConfig remote_config(uint8_t mode) const
    {
        ShmLinkConfig cfg = config_;
        cfg.tag = (mode & 1) != 0 ? kTags[1] + 1 + (mode >> 4) : kTags[1];
        switch ((mode >> 1) & 3) {
        case 0: cfg.replaces = 0; break;
        case 1: cfg.replaces = kTags[1]; break;
        case 2: cfg.replaces = ShmLinkConfig::kReplaceAny; break;
        default: cfg.replaces = get32(side_word(Side::remote, offsetof(shm::SideBlock, tag)));
        }
        return cfg;
    }

    // A new incarnation of side `s`: the primary re-formats, the remote attaches.
    void restart(int s, uint8_t mode)
    {
        make(s);
        if (s == 0) {
            ShmLinkConfig cfg = config_;
            cfg.tag = kTags[0];
            AMP_FUZZ_CHECK(link_[0]->create(region(), cfg) == Status::ok);
            return;
        }
        const Status st = link_[1]->attach(region(), remote_config(mode));
        AMP_FUZZ_CHECK(attach_status(st));
        if (!dirty_) AMP_FUZZ_CHECK(st == Status::ok || st == Status::busy);
    }

    void attach_again(uint8_t mode)
    {
        if (!link_[1]) return;
        const Status st = link_[1]->attach(region(), remote_config(mode));
        AMP_FUZZ_CHECK(attach_status(st));
    }

    // ---- invariants ----

    static void grows(const ShmLinkCounters& a, const ShmLinkCounters& b)
    {
        AMP_FUZZ_CHECK(b.tx_messages >= a.tx_messages && b.tx_bytes >= a.tx_bytes);
        AMP_FUZZ_CHECK(b.rx_messages >= a.rx_messages && b.rx_bytes >= a.rx_bytes);
        AMP_FUZZ_CHECK(b.no_buffer >= a.no_buffer && b.too_large >= a.too_large);
        AMP_FUZZ_CHECK(b.rx_dropped >= a.rx_dropped && b.ns_ignored >= a.ns_ignored);
        AMP_FUZZ_CHECK(b.doorbells >= a.doorbells && b.faults >= a.faults);
        AMP_FUZZ_CHECK(b.resets >= a.resets && b.stale_dropped >= a.stale_dropped);
        AMP_FUZZ_CHECK(b.sessions >= a.sessions);
    }

    void check()
    {
        for (int s = 0; s < 2; ++s) {
            if (link_[s]) check(s);
        }
    }

    void check(int s)
    {
        ShmLink& l = *link_[s];
        const ShmLinkCounters c = l.counters();
        grows(prev_[s], c);
        AMP_FUZZ_CHECK(c.doorbells == bell_[s].rings);
        AMP_FUZZ_CHECK(l.faulted() == (l.fault() != ShmFault::none));
        AMP_FUZZ_CHECK(l.free_buffers() <= l.num_buffers());
        if (l.num_buffers() != 0) {
            AMP_FUZZ_CHECK(l.max_message_size() == l.layout().buffer_size - rpmsg::kHeaderSize);
        }
        if (l.is_bound()) AMP_FUZZ_CHECK(listener_[s].bound && l.attached());
        if (!dirty_) AMP_FUZZ_CHECK(c.faults == 0);
        if (was_faulted_[s]) AMP_FUZZ_CHECK(l.faulted());
        if (l.faulted()) {
            was_faulted_[s] = true;
            AMP_FUZZ_CHECK(!l.attached() && !l.is_bound() && c.faults >= 1);
            AMP_FUZZ_CHECK(!l.work_pending());
            const uint8_t one = 1;
            AMP_FUZZ_CHECK(l.send(ByteSpan{&one, 1}) == Status::faulted);
            AMP_FUZZ_CHECK(l.close() == Status::faulted);
            AMP_FUZZ_CHECK(l.poll() == 0);
            const ShmLinkCounters again = l.counters();
            AMP_FUZZ_CHECK(again.doorbells == c.doorbells && again.tx_messages == c.tx_messages);
        }
        prev_[s] = l.counters();
    }

    std::unique_ptr<uint8_t[]> mem_;
    size_t size_ = 0;
    shm::Layout layout_;
    ShmLinkConfig config_;
    std::array<Listener, 2> listener_;
    std::array<Bell, 2> bell_;
    std::array<CheckingSink, 2> log_;
    std::array<ShmLinkCounters, 2> prev_{};
    std::array<bool, 2> was_faulted_{};
    // Declared after everything they point to: destroyed first.
    std::array<std::optional<ShmLink>, 2> link_;

    bool dirty_ = false;             // the fuzzer wrote into the region
    uint32_t next_seq_[2] = {1, 1};  // by sending side
    uint32_t last_seq_[2] = {0, 0};  // by receiving side
    Armed armed_;
    std::array<uint8_t, 512 + 4> scratch_{};  // the largest buffer and a bit more
    uint32_t checksum_ = 0;
    uint32_t delivered_ = 0;
};

void Listener::on_bound()
{
    harness->on_bound(side);
}

void Listener::on_received(ByteSpan data)
{
    harness->on_received(side, data);
}

void Bell::ring()
{
    ++rings;
    harness->on_ring();
}

// ---- seeds ----------------------------------------------------------------

class Script {
public:
    Script(uint8_t setup, uint8_t extra = 0) { w_.u8(setup).u8(extra); }
    Script& op(Op o)
    {
        w_.u8(o);
        return *this;
    }
    Script& poll(uint8_t side) { return op(kPoll).u8(side); }
    Script& pump(uint8_t rounds) { return op(kPump).u8(rounds); }
    Script& send(uint8_t side, uint16_t len) { return op(kSend).u8(side).u16(len); }
    Script& field(uint8_t field, uint8_t index, uint32_t value)
    {
        return op(kField).u8(field).u8(index).u32(value);
    }
    Script& ns(uint8_t sender, uint8_t id, uint32_t addr, uint8_t mode = 0)
    {
        return op(kInjectNs).u8(sender).u8(id).u8(mode).u32(addr);
    }
    Script& inject(uint8_t sender, uint8_t id, const char* text)
    {
        const auto p = fuzz::text(text);
        op(kInject).u8(sender).u8(id).u8(0).u16(static_cast<uint16_t>(p.size()));
        w_.bytes(p);
        return *this;
    }
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
    const Bytes& get() const { return w_.get(); }

private:
    fuzz::Writer w_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Reader in(data, size);
    const uint8_t setup = in.u8();
    const uint8_t extra = in.u8();
    Harness h(setup, extra);
    h.run(in);
    return 0;
}

void amp_fuzz_seeds(amp::fuzz::SeedSink& sink)
{
    constexpr uint8_t k4x64 = 2 | (1 << 2);   // 4 buffers of 64 bytes
    constexpr uint8_t k2x128 = 1 | (2 << 2);  // 2 buffers of 128 bytes
    constexpr uint8_t kBound = k4x64 | kSetupBind;
    // Field numbers of write_field(); index bit 0 picks the remote's ring.
    constexpr uint8_t kAvailIdx = 0, kUsedIdx = 3, kDescLen = 8, kRpmsgLen = 12, kEpoch = 15;
    constexpr uint8_t kAdd = 0x80;

    sink.add("exchange", Script(kBound)
                             .send(0, 20)
                             .send(1, 40)
                             .send(0, 3)
                             .pump(3)
                             .send(1, 48)
                             .send(1, 1)
                             .pump(2)
                             .op(kIdle)
                             .u8(0)
                             .get());
    sink.add("echo-full-ring", Script(kBound | kSetupEcho, 1)
                                   .send(0, 30)
                                   .send(0, 30)
                                   .send(0, 30)
                                   .send(0, 30)
                                   .send(0, 30)
                                   .pump(4)
                                   .get());
    sink.add("rogue-remote", Script(k4x64 | kSetupNoRemote)
                                 .field(kEpoch, 1, 1)  // the remote requests a session
                                 .poll(0)
                                 .ns(1, 0, 1024)  // announces "amp-fuzz"
                                 .poll(0)
                                 .inject(1, 1, "hello from a rogue remote")
                                 .poll(0)
                                 .op(kReturn)
                                 .u8(0)
                                 .u8(0)
                                 .u32(0)
                                 .u32(0)
                                 .send(0, 16)
                                 .poll(0)
                                 .get());
    sink.add("avail-runs-ahead", Script(kBound).field(kAvailIdx, 1 | kAdd, 9).poll(0).get());
    sink.add("used-runs-ahead",
             Script(kBound).send(0, 10).field(kUsedIdx, 0 | kAdd, 3).poll(0).get());
    sink.add("lying-lengths", Script(kBound).send(1, 20).field(kRpmsgLen, 1, 200).poll(0).get());
    sink.add("descriptor-too-long",
             Script(k2x128 | kSetupBind).send(0, 20).field(kDescLen, 0, 4096).poll(1).get());
    sink.add("restart-primary",
             Script(kBound).send(1, 12).op(kRestart).u8(0).u8(0).pump(4).send(0, 12).pump(2).get());
    sink.add("restart-remote", Script(kBound)
                                   .send(0, 12)
                                   .op(kKill)
                                   .u8(1)
                                   .op(kRestart)
                                   .u8(1)
                                   .u8(2 << 1)  // replaces any
                                   .pump(4)
                                   .send(1, 12)
                                   .pump(2)
                                   .get());
    sink.add("close-and-lost", Script(kBound, 2)
                                   .send(0, 8)
                                   .op(kClose)
                                   .u8(1)
                                   .pump(2)
                                   .op(kPeerLost)
                                   .u8(0)
                                   .pump(4)
                                   .op(kPeerLost)
                                   .u8(1)
                                   .pump(4)
                                   .get());
    sink.add("armed-write", Script(kBound)
                                .op(kArm)
                                .u16(0)  // the magic, inside the next callback
                                .u8(4)
                                .u32(0)
                                .send(0, 8)
                                .pump(3)
                                .get());
    sink.add("derived-count", Script(kSetupDerive | kSetupBind | 3 | (3 << 2), 3)
                                  .send(0, 496)
                                  .send(1, 497)
                                  .pump(2)
                                  .get());
}

#if defined(__clang__)
#pragma clang attribute pop
#endif
