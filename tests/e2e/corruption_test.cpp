// Corruption detection: bits flipped in messages while they sit in the
// shared region, as a cached or wrongly attributed IPC memory would damage
// them. Two ShmLinks and Channels over one in-process region, driven step by
// step: one message in flight, damaged (or not) after the sender published
// it and before the receiver polls. Every damaged frame is dropped, counted
// once under its reason and logged (with the likely cause when its CRC-32C
// proves the damage), every other message arrives intact, and the session
// goes on.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "amp/channel.h"
#include "amp/shm_link.h"

using namespace amp;
using shm::Side;

namespace {

constexpr uint8_t kType = 0x90;
constexpr uint32_t kSeed = 20260808;  // fixed: the same flips on every run
// The likely cause, as the drop line names it.
constexpr const char* kHint = "IPC memory cached or wrongly attributed? check its MPU attributes";

struct Bell final : Doorbell {
    void ring() override {}
};

// Keeps every warning and error line.
struct Sink final : LogSink {
    std::vector<std::string> lines;
    void write(LogLevel level, const char* line) override
    {
        if (level == LogLevel::warning || level == LogLevel::error) lines.emplace_back(line);
    }
    std::string last() const { return lines.empty() ? std::string() : lines.back(); }
    size_t count(const char* a, const char* b = "") const
    {
        size_t n = 0;
        for (const std::string& l : lines) {
            n += l.find(a) != std::string::npos && l.find(b) != std::string::npos ? 1 : 0;
        }
        return n;
    }
};

// Message i: its index, then a pattern; the length varies with i (4..203 bytes).
size_t make_message(uint32_t i, uint8_t* out)
{
    const size_t len = 4 + (i * 37u) % 200u;
    store_le32(out, i);
    for (size_t k = 4; k < len; ++k) out[k] = static_cast<uint8_t>(i * 7u + k);
    return len;
}

// What one channel's handler saw.
struct Received {
    std::vector<uint32_t> indices;  // messages delivered intact, in order
    uint32_t damaged = 0;           // delivered but not as sent (must stay 0)

    static void on_message(void* self, const Frame& f)
    {
        auto* r = static_cast<Received*>(self);
        std::array<uint8_t, kMaxPayloadSize> expected{};
        const uint32_t i = f.payload.size() >= 4 ? load_le32(f.payload.data()) : 0;
        const size_t len = make_message(i, expected.data());
        if (f.payload.size() == len && std::memcmp(f.payload.data(), expected.data(), len) == 0) {
            r->indices.push_back(i);
        } else {
            ++r->damaged;
        }
    }
};

uint32_t dropped(const Channel& c, DropReason r)
{
    return c.stats().snapshot().dropped[static_cast<size_t>(r)];
}

// Both cores over one region in this process.
struct Board {
    alignas(64) std::array<uint8_t, 32768> mem{};
    Bell to_remote, to_primary;
    ManualClock clock;
    Sink log_p, log_r;
    ShmLink primary{Side::primary, to_remote, &log_p};
    ShmLink remote{Side::remote, to_primary, &log_r};
    Channel ch_p{primary, clock, &log_p};
    Channel ch_r{remote, clock, &log_r};
    Received got_p, got_r;

    Board()
    {
        ch_p.dispatcher().add(kType, &Received::on_message, &got_p);
        ch_r.dispatcher().add(kType, &Received::on_message, &got_r);
    }
    void pump()
    {
        for (int i = 0; i < 4; ++i) {
            primary.poll();
            remote.poll();
        }
    }
    bool bind()
    {
        ShmLinkConfig cfg;
        cfg.name = "amp-corruption";
        const MutableByteSpan region{mem.data(), mem.size()};
        if (primary.create(region, cfg) != Status::ok) return false;
        if (remote.attach(region, cfg) != Status::ok) return false;
        pump();
        return ch_p.is_ready() && ch_r.is_ready();
    }
    Channel& channel(Side s) { return s == Side::primary ? ch_p : ch_r; }
    ShmLink& link(Side s) { return s == Side::primary ? primary : remote; }
    Received& got(Side s) { return s == Side::primary ? got_p : got_r; }
    Sink& log(Side s) { return s == Side::primary ? log_p : log_r; }

    uint32_t load(uint32_t offset, size_t bytes) const
    {
        uint32_t v = 0;
        std::memcpy(&v, mem.data() + offset, bytes);
        return v;
    }
    // The buffer of the message `sender` published last: the RPMsg header,
    // then the frame. `len` is the descriptor's length (both together).
    struct Published {
        uint8_t* rpmsg;
        uint8_t* frame;
        uint32_t len;
    };
    Published last_published(Side sender)
    {
        const shm::Layout& l = primary.layout();
        const uint32_t idx = load(l.avail_idx(sender), 2);
        const uint32_t head = load(l.avail_entry(sender, (idx - 1) & (l.num_buffers - 1)), 2);
        const uint32_t d = l.desc(sender, head);
        const uint32_t addr = load(d + offsetof(shm::VringDesc, addr_lo), 4);
        const uint32_t len = load(d + offsetof(shm::VringDesc, len), 4);
        return Published{mem.data() + addr, mem.data() + addr + rpmsg::kHeaderSize, len};
    }
    // Sends message i from `sender`; `damage` may change its bytes in the
    // region before the receiver polls.
    template <typename F>
    void send(Side sender, uint32_t i, F&& damage)
    {
        std::array<uint8_t, kMaxPayloadSize> payload{};
        const size_t len = make_message(i, payload.data());
        ASSERT_EQ(channel(sender).send(kType, ByteSpan{payload.data(), len}), Status::ok);
        damage(last_published(sender));
        pump();
    }
};

// What the frame decoder checks before the CRC, by byte offset and bit; a
// flip anywhere else is found by the CRC alone.
DropReason reason_for_frame_bit(size_t byte, unsigned bit)
{
    if (byte < wire_offset::kVersion) return DropReason::bad_magic;
    if (byte == wire_offset::kVersion) return DropReason::bad_version;
    if (byte == wire_offset::kFlags && ((1u << bit) & kKnownFlags) == 0)
        return DropReason::bad_flags;
    if (byte == wire_offset::kReserved) return DropReason::bad_flags;
    if (byte == wire_offset::kPayloadLen || byte == wire_offset::kPayloadLen + 1) {
        return DropReason::bad_length;
    }
    return DropReason::crc_mismatch;
}

// Every count that must agree at the end of a run in direction sender -> receiver.
void expect_consistent(Board& b, Side sender, uint32_t sent, uint32_t flipped)
{
    const Side receiver = shm::other(sender);
    Channel& rx = b.channel(receiver);
    const StatsSnapshot s = rx.stats().snapshot();
    const ShmLinkCounters link = b.link(receiver).counters();
    EXPECT_EQ(b.got(receiver).indices.size(), sent - flipped) << "intact messages delivered";
    EXPECT_EQ(b.got(receiver).damaged, 0u) << "a damaged message reached the handler";
    EXPECT_EQ(s.total_dropped(), flipped);
    // Each frame the link delivered was counted once by the channel.
    EXPECT_EQ(s.rx_messages + s.total_dropped(), link.rx_messages);
    EXPECT_EQ(b.link(sender).counters().tx_messages, link.rx_messages + link.rx_dropped);
    EXPECT_TRUE(rx.is_ready()) << "the session did not survive";
    EXPECT_EQ(rx.session(), 1u) << "the session was restarted";
    EXPECT_FALSE(b.primary.faulted());
    EXPECT_FALSE(b.remote.faulted());
    EXPECT_EQ(b.link(sender).free_buffers(), b.link(sender).num_buffers()) << "buffers lost";
}

// N messages each way; about a quarter of them get one bit flipped in a byte
// that only the CRC protects (type, sequence, correlation id, CRC, payload,
// and the two defined flag bits): exactly those are dropped as crc_mismatch,
// each with a line that names the likely cause.
TEST(Corruption, EveryBitFlipTheCrcCoversIsDroppedCountedAndExplained)
{
    constexpr uint32_t kMessages = 3000;
    auto b = std::make_unique<Board>();
    ASSERT_TRUE(b->bind());
    std::mt19937 rng(kSeed);
    for (const Side sender : {Side::primary, Side::remote}) {
        SCOPED_TRACE(sender == Side::primary ? "primary -> remote" : "remote -> primary");
        const Side receiver = shm::other(sender);
        Channel& rx = b->channel(receiver);
        std::vector<uint32_t> expected;
        uint32_t flipped = 0;
        for (uint32_t i = 0; i < kMessages; ++i) {
            const bool flip = rng() % 4 == 0;
            const uint32_t crc_before = dropped(rx, DropReason::crc_mismatch);
            const size_t lines_before = b->log(receiver).lines.size();
            b->send(sender, i, [&](Board::Published p) {
                if (!flip) return;
                const size_t frame_len = p.len - rpmsg::kHeaderSize;
                for (;;) {  // a random bit that only the CRC protects
                    const size_t byte = rng() % frame_len;
                    const unsigned bit = rng() % 8;
                    if (reason_for_frame_bit(byte, bit) != DropReason::crc_mismatch) continue;
                    p.frame[byte] ^= static_cast<uint8_t>(1u << bit);
                    return;
                }
            });
            if (flip) {
                ++flipped;
                ASSERT_EQ(dropped(rx, DropReason::crc_mismatch), crc_before + 1) << "message " << i;
                ASSERT_EQ(b->log(receiver).lines.size(), lines_before + 1);
                const std::string line = b->log(receiver).last();
                EXPECT_NE(line.find("dropped frame (crc_mismatch, "), std::string::npos) << line;
                EXPECT_NE(line.find(kHint), std::string::npos) << line;
                EXPECT_LE(line.size(), Line::kCapacity);
                EXPECT_EQ(line.find("..."), std::string::npos) << "cut: " << line;
            } else {
                expected.push_back(i);
            }
        }
        EXPECT_GT(flipped, kMessages / 5);
        EXPECT_EQ(dropped(rx, DropReason::crc_mismatch), flipped);
        EXPECT_EQ(b->log(receiver).count("crc_mismatch", kHint), flipped);
        EXPECT_EQ(b->got(receiver).indices, expected);
        expect_consistent(*b, sender, kMessages, flipped);
    }
}

// A flip anywhere in the frame, its header fields included: fields the
// decoder checks first give their own reason (bad_magic, bad_version,
// bad_flags, bad_length), the rest crc_mismatch. Every such frame is dropped
// and counted once, and a flip in the version byte is damage, not a peer
// that speaks another wire format: the session goes on.
TEST(Corruption, AFlipAnywhereInTheFrameIsDroppedUnderItsReason)
{
    constexpr uint32_t kMessages = 4000;
    auto b = std::make_unique<Board>();
    ASSERT_TRUE(b->bind());
    std::mt19937 rng(kSeed + 1);
    for (const Side sender : {Side::primary, Side::remote}) {
        SCOPED_TRACE(sender == Side::primary ? "primary -> remote" : "remote -> primary");
        const Side receiver = shm::other(sender);
        Channel& rx = b->channel(receiver);
        std::array<uint32_t, kDropReasonCount> want{};
        uint32_t flipped = 0;
        for (uint32_t i = 0; i < kMessages; ++i) {
            const bool flip = rng() % 2 == 0;
            DropReason reason = DropReason::count_;
            b->send(sender, i, [&](Board::Published p) {
                if (!flip) return;
                // Header bytes half of the time, so that every field is hit.
                const size_t frame_len = p.len - rpmsg::kHeaderSize;
                const size_t byte = rng() % 2 == 0 ? rng() % kFrameHeaderSize : rng() % frame_len;
                const unsigned bit = rng() % 8;
                reason = reason_for_frame_bit(byte, bit);
                p.frame[byte] ^= static_cast<uint8_t>(1u << bit);
            });
            if (!flip) continue;
            ++flipped;
            ++want[static_cast<size_t>(reason)];
            ASSERT_EQ(dropped(rx, reason), want[static_cast<size_t>(reason)])
                << "message " << i << ": " << b->log(receiver).last();
            ASSERT_TRUE(rx.is_ready()) << "message " << i << ": " << b->log(receiver).last();
        }
        for (const DropReason r :
             {DropReason::bad_magic, DropReason::bad_version, DropReason::bad_flags,
              DropReason::bad_length, DropReason::crc_mismatch}) {
            EXPECT_GT(want[static_cast<size_t>(r)], 10u) << to_string(r) << " rarely hit";
            EXPECT_EQ(dropped(rx, r), want[static_cast<size_t>(r)]) << to_string(r);
        }
        // The CRC proves the damage wherever the length still holds: the
        // line names the likely cause for all but a damaged length.
        const uint32_t bad_length = want[static_cast<size_t>(DropReason::bad_length)];
        EXPECT_EQ(b->log(receiver).count("dropped frame (", kHint), flipped - bad_length);
        EXPECT_EQ(b->log(receiver).count("protocol mismatch"), 0u);
        expect_consistent(*b, sender, kMessages, flipped);
    }
}

// A flip in the 16-byte RPMsg header in front of the frame, except for
// length bits that make the message longer (next test): another source or
// destination address is dropped and counted by the link; a shorter length
// cuts the frame, which the channel drops (truncated or bad_length); the
// reserved word and the flags carry nothing (OpenAMP ignores them too), so
// the message arrives intact.
TEST(Corruption, AFlipInTheRpmsgHeaderIsCaughtByTheLinkOrTheChannel)
{
    constexpr uint32_t kMessages = 3000;
    auto b = std::make_unique<Board>();
    ASSERT_TRUE(b->bind());
    std::mt19937 rng(kSeed + 2);
    for (const Side sender : {Side::primary, Side::remote}) {
        SCOPED_TRACE(sender == Side::primary ? "primary -> remote" : "remote -> primary");
        const Side receiver = shm::other(sender);
        Channel& rx = b->channel(receiver);
        const uint32_t link_dropped_before = b->link(receiver).counters().rx_dropped;
        uint32_t addresses = 0;  // src/dst flips
        uint32_t lengths = 0;    // length flips
        uint32_t harmless = 0;   // reserved/flags flips
        std::vector<uint32_t> expected;
        for (uint32_t i = 0; i < kMessages; ++i) {
            const bool flip = rng() % 3 == 0;
            b->send(sender, i, [&](Board::Published p) {
                if (!flip) {
                    expected.push_back(i);
                    return;
                }
                for (;;) {
                    const size_t byte = rng() % rpmsg::kHeaderSize;
                    const unsigned bit = rng() % 8;
                    const uint8_t mask = static_cast<uint8_t>(1u << bit);
                    const bool length = byte == 12 || byte == 13;
                    if (length && (p.rpmsg[byte] & mask) == 0) continue;  // longer: next test
                    p.rpmsg[byte] ^= mask;
                    if (byte < 8) {
                        ++addresses;
                    } else if (length) {
                        ++lengths;
                    } else {
                        ++harmless;
                        expected.push_back(i);
                    }
                    return;
                }
            });
        }
        EXPECT_GT(addresses, 100u);
        EXPECT_GT(lengths, 20u);
        EXPECT_GT(harmless, 100u);
        EXPECT_EQ(b->link(receiver).counters().rx_dropped - link_dropped_before, addresses);
        EXPECT_EQ(b->log(receiver).count("shm link: dropped message"), addresses);
        EXPECT_EQ(dropped(rx, DropReason::truncated) + dropped(rx, DropReason::bad_length),
                  lengths);
        EXPECT_EQ(rx.stats().snapshot().total_dropped(), lengths);
        EXPECT_EQ(b->got(receiver).indices, expected);
        EXPECT_EQ(b->got(receiver).damaged, 0u);
        EXPECT_TRUE(rx.is_ready());
        EXPECT_EQ(
            b->link(sender).counters().tx_messages,
            b->link(receiver).counters().rx_messages + b->link(receiver).counters().rx_dropped);
        EXPECT_FALSE(b->link(receiver).faulted());
    }
}

// A length that runs past the descriptor would make the receiver read beyond
// the message: the link refuses it, counts and logs the violation and stops
// for good (a shared region that lies about lengths is not trusted again);
// the channel unbinds, nothing is delivered, and the other side can tell.
TEST(Corruption, AnRpmsgLengthPastTheBufferFaultsTheLink)
{
    for (const Side sender : {Side::primary, Side::remote}) {
        SCOPED_TRACE(sender == Side::primary ? "primary -> remote" : "remote -> primary");
        auto b = std::make_unique<Board>();
        ASSERT_TRUE(b->bind());
        const Side receiver = shm::other(sender);
        b->send(sender, 1, [](Board::Published) {});
        b->send(sender, 2, [](Board::Published p) { p.rpmsg[13] ^= 0x01; });  // +256 bytes
        EXPECT_TRUE(b->link(receiver).faulted());
        EXPECT_EQ(b->link(receiver).fault(), ShmFault::rpmsg_len);
        EXPECT_EQ(b->link(receiver).counters().faults, 1u);
        EXPECT_EQ(b->log(receiver).count("rpmsg_len"), 1u);
        EXPECT_EQ(b->got(receiver).indices, std::vector<uint32_t>{1});
        EXPECT_FALSE(b->channel(receiver).is_bound());
        EXPECT_EQ(b->link(sender).peer_state(), shm::SideState::faulted);
        EXPECT_EQ(b->channel(receiver).send(kType, ByteSpan{}), Status::not_bound);
    }
}

}  // namespace
