// Streams: credit accounting, would-block, end with verified totals, abort
// from either side, duplicate/gap detection, untrusted frames, several
// streams at once, a new session aborting everything, and the stream demo
// scenario end to end over the loopback (integrity ok, a corrupted byte found).
#include <gtest/gtest.h>

#include <array>

#include "amp/channel.h"
#include "amp/crc32c.h"
#include "amp/loopback.h"
#include "amp/stream.h"
#include "amp/stream_scenario.h"
#include "test_support.h"

using namespace amp;

namespace {

// What one side's Streams reported.
struct Recorder {
    int opened = 0;
    int closed = 0;
    uint8_t last_opened = 0;
    uint8_t last_closed = 0;
    Status reason = Status::count_;
    StreamCounters counters;
    uint32_t chunks = 0;
    uint32_t bytes = 0;
    uint32_t first_byte_sum = 0;  // sum of each chunk's first byte
    bool consume = true;          // what the data callback answers

    static bool on_data(void* self, uint8_t /*handle*/, ByteSpan chunk)
    {
        auto* r = static_cast<Recorder*>(self);
        ++r->chunks;
        r->bytes += static_cast<uint32_t>(chunk.size());
        if (!chunk.empty()) r->first_byte_sum += chunk[0];
        return r->consume;
    }
    static void on_opened(void* self, uint8_t handle)
    {
        auto* r = static_cast<Recorder*>(self);
        ++r->opened;
        r->last_opened = handle;
    }
    static void on_closed(void* self, uint8_t handle, Status reason, const StreamCounters& c)
    {
        auto* r = static_cast<Recorder*>(self);
        ++r->closed;
        r->last_closed = handle;
        r->reason = reason;
        r->counters = c;
    }
    Streams::Events events()
    {
        Streams::Events e;
        e.data = &on_data;
        e.opened = &on_opened;
        e.closed = &on_closed;
        e.context = this;
        return e;
    }
};

struct Fixture {
    LoopbackPair<16> pair;
    ManualClock clock;
    test::CaptureSink log_a, log_b;
    Channel ch_a{pair.a(), clock, &log_a};
    Channel ch_b{pair.b(), clock, &log_b};
    Streams a;
    Streams b;
    Recorder ra, rb;

    explicit Fixture(uint16_t window_b = 4) : a(ch_a, 4), b(ch_b, window_b)
    {
        a.set_events(ra.events());
        b.set_events(rb.events());
        pair.bind();
        pair.pump();
    }
    // Opens a stream from a to b and delivers its first grant.
    uint8_t open()
    {
        uint8_t h = 0;
        EXPECT_EQ(a.open(h), Status::ok);
        pair.pump();
        return h;
    }
    // A stream frame sent by hand, as a broken or malicious peer would.
    Status raw(Channel& from, uint8_t op, uint8_t id, uint16_t value, size_t extra = 0)
    {
        std::array<uint8_t, 32> p{};
        p[0] = op;
        p[1] = id;
        store_le16(&p[2], value);
        return from.send(kStreamType, ByteSpan{p.data(), Streams::kChunkHeader + extra});
    }
    uint32_t drops_b() const { return ch_b.stats().snapshot().total_dropped(); }
    uint32_t drops_a() const { return ch_a.stats().snapshot().total_dropped(); }
};

const uint8_t kChunk[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

uint32_t pattern_crc(uint32_t seed, uint32_t bytes)
{
    uint32_t crc = 0;
    for (uint32_t i = 0; i < bytes; ++i) {
        const uint8_t b = stream_pattern(seed, i);
        crc = crc32c(crc, &b, 1);
    }
    return crc;
}

}  // namespace

TEST(Stream, TheReceiverGrantsItsWindowAndSendingWithoutCreditWouldBlock)
{
    Fixture fx;
    uint8_t h = 0;
    ASSERT_EQ(fx.a.open(h), Status::ok);
    EXPECT_EQ(fx.a.credits(h), 0u);  // nothing granted yet
    EXPECT_EQ(fx.a.send(h, kChunk), Status::would_block);
    fx.pair.pump();
    EXPECT_EQ(fx.rb.opened, 1);
    EXPECT_EQ(fx.rb.last_opened, h | Streams::kIncoming);
    EXPECT_EQ(fx.a.credits(h), 4u);
    EXPECT_EQ(fx.b.credits(h | Streams::kIncoming), 4u);

    for (int i = 0; i < 4; ++i) ASSERT_EQ(fx.a.send(h, kChunk), Status::ok);
    EXPECT_EQ(fx.a.credits(h), 0u);
    EXPECT_EQ(fx.a.send(h, kChunk), Status::would_block);
    EXPECT_EQ(fx.a.send(h, kChunk), Status::would_block);
    StreamCounters c;
    ASSERT_EQ(fx.a.counters(h, c), Status::ok);
    EXPECT_EQ(c.chunks, 4u);
    EXPECT_EQ(c.bytes, 40u);
    EXPECT_EQ(c.stalls, 2u);  // one before the first grant, one now: each wait counts once

    fx.pair.pump();  // consumed: credits come back in two batches of half a window
    EXPECT_EQ(fx.rb.chunks, 4u);
    EXPECT_EQ(fx.rb.bytes, 40u);
    EXPECT_EQ(fx.a.credits(h), 4u);
    EXPECT_EQ(fx.a.send(h, kChunk), Status::ok);
    EXPECT_EQ(fx.drops_b(), 0u);
}

TEST(Stream, CreditsComeBackOnlyWhenTheApplicationConsumes)
{
    Fixture fx;
    fx.rb.consume = false;  // the receiver keeps every chunk
    const uint8_t h = fx.open();
    const uint8_t in = h | Streams::kIncoming;
    for (int i = 0; i < 4; ++i) ASSERT_EQ(fx.a.send(h, kChunk), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.rb.chunks, 4u);
    EXPECT_EQ(fx.a.credits(h), 0u);
    EXPECT_EQ(fx.a.send(h, kChunk), Status::would_block);

    EXPECT_EQ(fx.b.consume(in, 1), Status::ok);  // below half a window: kept for a batch
    fx.pair.pump();
    EXPECT_EQ(fx.a.credits(h), 0u);
    EXPECT_EQ(fx.b.consume(in, 1), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.a.credits(h), 2u);
    EXPECT_EQ(fx.b.credits(in), 2u);
    EXPECT_EQ(fx.b.consume(in, 3), Status::invalid_argument);  // only 2 are kept
    EXPECT_EQ(fx.b.consume(h, 1), Status::not_found);          // not an incoming handle
    EXPECT_EQ(fx.b.consume(in, 2), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.a.credits(h), 4u);
}

TEST(Stream, EndIsVerifiedAndReportedOnceOnBothSides)
{
    Fixture fx;
    const uint8_t h = fx.open();
    fx.clock.advance(1000);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(fx.a.send(h, kChunk), Status::ok);
    ASSERT_EQ(fx.a.end(h), Status::ok);
    EXPECT_EQ(fx.a.send(h, kChunk), Status::not_found);  // ended: no more chunks
    EXPECT_EQ(fx.ra.closed, 0);                          // until the receiver's verdict
    fx.pair.pump();
    EXPECT_EQ(fx.rb.closed, 1);
    EXPECT_EQ(fx.rb.reason, Status::ok);
    EXPECT_EQ(fx.rb.counters.chunks, 3u);
    EXPECT_EQ(fx.rb.counters.bytes, 30u);
    EXPECT_EQ(fx.ra.closed, 1);
    EXPECT_EQ(fx.ra.reason, Status::ok);
    EXPECT_EQ(fx.ra.last_closed, h);
    EXPECT_EQ(fx.ra.counters.chunks, 3u);
    EXPECT_EQ(fx.ra.counters.elapsed_us, 1000u);
    EXPECT_EQ(fx.ra.counters.kbytes_per_s(), 30u);  // 30 bytes in 1 ms
    EXPECT_EQ(fx.a.totals().ended, 1u);
    EXPECT_EQ(fx.b.totals().ended, 1u);
    EXPECT_EQ(fx.a.end(h), Status::not_found);
    fx.pair.pump();
    EXPECT_EQ(fx.ra.closed, 1);
    EXPECT_EQ(fx.rb.closed, 1);
}

TEST(Stream, EndWithWrongTotalsAbortsOnBothSides)
{
    Fixture fx;
    const uint8_t h = fx.open();
    ASSERT_EQ(fx.a.send(h, kChunk), Status::ok);
    // END claiming 2 chunks of 10 bytes; the receiver saw 1.
    std::array<uint8_t, 12> end{Streams::kEnd, h};
    store_le32(&end[4], 2);
    store_le32(&end[8], 20);
    ASSERT_EQ(fx.ch_a.send(kStreamType, end), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.rb.closed, 1);
    EXPECT_EQ(fx.rb.reason, Status::bad_length);
    EXPECT_EQ(fx.ra.closed, 1);
    EXPECT_EQ(fx.ra.reason, Status::bad_length);
    EXPECT_EQ(fx.a.totals().aborted, 1u);
}

TEST(Stream, SenderAbortReachesTheReceiverOnce)
{
    Fixture fx;
    const uint8_t h = fx.open();
    ASSERT_EQ(fx.a.send(h, kChunk), Status::ok);
    EXPECT_EQ(fx.a.abort(h, Status::ok), Status::invalid_argument);
    EXPECT_EQ(fx.a.abort(h, Status::busy), Status::ok);
    EXPECT_EQ(fx.ra.closed, 1);  // at once on the aborting side
    EXPECT_EQ(fx.ra.reason, Status::busy);
    EXPECT_EQ(fx.a.abort(h, Status::busy), Status::not_found);
    EXPECT_EQ(fx.a.send(h, kChunk), Status::not_found);
    fx.pair.pump();
    EXPECT_EQ(fx.rb.chunks, 1u);  // the chunk sent before the abort
    EXPECT_EQ(fx.rb.closed, 1);
    EXPECT_EQ(fx.rb.reason, Status::busy);
    EXPECT_EQ(fx.ra.closed, 1);
}

TEST(Stream, ReceiverAbortReachesTheSenderOnce)
{
    Fixture fx;
    const uint8_t h = fx.open();
    EXPECT_EQ(fx.b.abort(h | Streams::kIncoming, Status::timeout), Status::ok);
    EXPECT_EQ(fx.rb.closed, 1);
    EXPECT_EQ(fx.rb.reason, Status::timeout);
    EXPECT_EQ(fx.a.send(h, kChunk), Status::ok);  // still has credit: it does not know yet
    fx.pair.pump();
    EXPECT_EQ(fx.ra.closed, 1);
    EXPECT_EQ(fx.ra.reason, Status::timeout);
    EXPECT_EQ(fx.rb.closed, 1);
    EXPECT_EQ(fx.rb.chunks, 0u);               // the chunk in flight met no stream
    EXPECT_EQ(fx.b.totals().unknown, 1u);
    EXPECT_EQ(fx.a.send(h, kChunk), Status::not_found);
}

TEST(Stream, DuplicateChunkIsDroppedAndAbortsTheStream)
{
    Fixture fx;
    const uint8_t h = fx.open();
    ASSERT_EQ(fx.a.send(h, kChunk), Status::ok);     // chunk 0
    ASSERT_EQ(fx.raw(fx.ch_a, Streams::kData, h, 0, 3), Status::ok);  // chunk 0 again
    fx.pair.pump();
    EXPECT_EQ(fx.rb.chunks, 1u);
    EXPECT_EQ(fx.b.totals().disorder, 1u);
    EXPECT_EQ(fx.rb.closed, 1);
    EXPECT_EQ(fx.rb.reason, Status::faulted);
    EXPECT_EQ(fx.ra.closed, 1);
    EXPECT_EQ(fx.ra.reason, Status::faulted);
    EXPECT_EQ(fx.drops_b(), 1u);
}

TEST(Stream, GapIsDroppedAndAbortsTheStream)
{
    Fixture fx;
    const uint8_t h = fx.open();
    ASSERT_EQ(fx.a.send(h, kChunk), Status::ok);                      // chunk 0
    ASSERT_EQ(fx.raw(fx.ch_a, Streams::kData, h, 2, 3), Status::ok);  // chunk 1 missing
    fx.pair.pump();
    EXPECT_EQ(fx.rb.chunks, 1u);
    EXPECT_EQ(fx.b.totals().disorder, 1u);
    EXPECT_EQ(fx.rb.reason, Status::faulted);
    EXPECT_EQ(fx.ra.reason, Status::faulted);
    EXPECT_EQ(fx.ra.closed, 1);
}

TEST(Stream, DataWithoutCreditOrStreamIsDroppedAndCounted)
{
    Fixture fx(1);  // b grants one chunk at a time
    fx.rb.consume = false;  // and keeps it
    const uint8_t h = fx.open();
    ASSERT_EQ(fx.a.send(h, kChunk), Status::ok);
    ASSERT_EQ(fx.raw(fx.ch_a, Streams::kData, h, 1, 1), Status::ok);  // beyond the credit
    ASSERT_EQ(fx.raw(fx.ch_a, Streams::kData, 77, 0, 1), Status::ok);  // never opened
    fx.pair.pump();
    EXPECT_EQ(fx.b.totals().no_credit, 1u);
    EXPECT_EQ(fx.b.totals().unknown, 1u);
    EXPECT_EQ(fx.drops_b(), 2u);
    EXPECT_EQ(fx.ch_b.stats().snapshot().dropped[static_cast<size_t>(DropReason::other)], 2u);
    EXPECT_TRUE(fx.log_b.contains("dropped frame (would_block"));
    EXPECT_TRUE(fx.log_b.contains("dropped frame (not_found"));
    EXPECT_EQ(fx.rb.chunks, 1u);
    EXPECT_EQ(fx.a.credits(h), 0u);
    EXPECT_EQ(fx.b.consume(h | Streams::kIncoming), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.a.credits(h), 1u);
}

TEST(Stream, MalformedFramesAreDroppedAndCounted)
{
    Fixture fx;
    const uint8_t h = fx.open();
    const uint8_t tiny[2] = {Streams::kOpen, 1};
    ASSERT_EQ(fx.ch_a.send(kStreamType, tiny), Status::ok);                 // too short
    ASSERT_EQ(fx.raw(fx.ch_a, 0, 1, 0), Status::ok);                        // op 0
    ASSERT_EQ(fx.raw(fx.ch_a, 9, 1, 0), Status::ok);                        // unknown op
    ASSERT_EQ(fx.raw(fx.ch_a, Streams::kOpen, 0, 0), Status::ok);           // id 0
    ASSERT_EQ(fx.raw(fx.ch_a, Streams::kOpen, 0x80, 0), Status::ok);        // id above 127
    ASSERT_EQ(fx.raw(fx.ch_a, Streams::kOpen, 5, 0, 1), Status::ok);        // wrong size
    ASSERT_EQ(fx.raw(fx.ch_a, Streams::kEnd, h, 0), Status::ok);            // END without totals
    ASSERT_EQ(fx.raw(fx.ch_a, Streams::kOpen, h, 0), Status::ok);           // open twice
    ASSERT_EQ(fx.raw(fx.ch_b, Streams::kCredit, h, 0x7FFF), Status::ok);    // credit overflow
    fx.pair.pump();
    EXPECT_EQ(fx.b.totals().malformed, 8u);
    EXPECT_EQ(fx.a.totals().malformed, 1u);
    EXPECT_EQ(fx.drops_b(), 8u);
    EXPECT_EQ(fx.drops_a(), 1u);
    EXPECT_EQ(fx.rb.opened, 1);  // none of them opened a stream
    EXPECT_EQ(fx.rb.closed, 0);
    EXPECT_EQ(fx.a.credits(h), 4u);
    EXPECT_EQ(fx.a.send(h, kChunk), Status::ok);  // the stream is unharmed
    fx.pair.pump();
    EXPECT_EQ(fx.rb.chunks, 1u);
}

TEST(Stream, SeveralStreamsAtOnceKeepTheirOwnCounters)
{
    Fixture fx;
    std::array<uint8_t, AMP_CONFIG_MAX_STREAMS> h{};
    for (auto& handle : h) handle = fx.open();
    uint8_t extra = 0;
    EXPECT_EQ(fx.a.open(extra), Status::table_full);
    for (size_t i = 0; i < h.size(); ++i) {
        for (size_t k = 0; k <= i; ++k) {
            ASSERT_EQ(fx.a.send(h[i], ByteSpan{kChunk, i + 1}), Status::ok);
        }
    }
    fx.pair.pump();
    for (size_t i = 0; i < h.size(); ++i) {
        StreamCounters a;
        StreamCounters b;
        ASSERT_EQ(fx.a.counters(h[i], a), Status::ok);
        ASSERT_EQ(fx.b.counters(h[i] | Streams::kIncoming, b), Status::ok);
        EXPECT_EQ(a.chunks, i + 1);
        EXPECT_EQ(a.bytes, (i + 1) * (i + 1));
        EXPECT_EQ(b.chunks, a.chunks);
        EXPECT_EQ(b.bytes, a.bytes);
    }
    // Ending one leaves the others open; its slot serves a new stream.
    ASSERT_EQ(fx.a.end(h[1]), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.ra.closed, 1);
    EXPECT_EQ(fx.ra.last_closed, h[1]);
    EXPECT_EQ(fx.a.send(h[0], kChunk), Status::ok);
    EXPECT_EQ(fx.a.open(extra), Status::ok);
    EXPECT_NE(extra, h[1]);  // ids are not reused at once
}

TEST(Stream, AnOpenBeyondTheReceiversTableIsRefused)
{
    Fixture fx;
    // Opens a sane sender would not make (each stream takes a slot on both
    // sides): the receiver refuses the one it has no room for.
    for (uint8_t id = 1; id <= AMP_CONFIG_MAX_STREAMS + 1; ++id) {
        ASSERT_EQ(fx.raw(fx.ch_a, Streams::kOpen, id, 0), Status::ok);
    }
    fx.pair.pump();
    EXPECT_EQ(fx.rb.opened, AMP_CONFIG_MAX_STREAMS);
    EXPECT_EQ(fx.b.totals().refused, 1u);
    // Its answer (and the grants of the others) meet no stream at a.
    EXPECT_EQ(fx.a.totals().unknown, AMP_CONFIG_MAX_STREAMS + 1u);
}

TEST(Stream, ARefusedOpenClosesTheSendersStream)
{
    Fixture fx;
    uint8_t h = 0;
    ASSERT_EQ(fx.a.open(h), Status::ok);
    // b's table is full of streams a does not know about (as after a reset
    // that only b noticed): the open is refused.
    for (uint8_t id = 100; id < 100 + AMP_CONFIG_MAX_STREAMS; ++id) {
        std::array<uint8_t, 4> open{Streams::kOpen, id};
        FrameHeader hd;
        hd.type = kStreamType;
        std::array<uint8_t, kMaxMessageSize> frame{};
        size_t len = 0;
        ASSERT_EQ(encode_frame(hd, open, frame, len), Status::ok);
        fx.ch_b.on_received(ByteSpan{frame.data(), len});
    }
    fx.pair.pump();
    EXPECT_EQ(fx.b.totals().refused, 1u);
    EXPECT_EQ(fx.ra.closed, 1);
    EXPECT_EQ(fx.ra.reason, Status::table_full);
}

TEST(Stream, ANewSessionAbortsEveryStreamOnce)
{
    Fixture fx;
    const uint8_t h = fx.open();
    ASSERT_EQ(fx.a.send(h, kChunk), Status::ok);
    fx.pair.pump();
    fx.pair.unbind();
    fx.pair.bind();
    fx.pair.pump();  // the handshake runs again: session 2
    EXPECT_EQ(fx.ch_a.session(), 2u);
    fx.a.poll();
    fx.b.poll();
    EXPECT_EQ(fx.ra.closed, 1);
    EXPECT_EQ(fx.ra.reason, Status::link_reset);
    EXPECT_EQ(fx.rb.closed, 1);
    EXPECT_EQ(fx.rb.reason, Status::link_reset);
    EXPECT_EQ(fx.a.send(h, kChunk), Status::not_found);
    fx.a.poll();
    EXPECT_EQ(fx.ra.closed, 1);
    const uint8_t again = fx.open();  // and the new session streams
    EXPECT_EQ(fx.a.send(again, kChunk), Status::ok);
    fx.pair.pump();
    EXPECT_EQ(fx.rb.opened, 2);
}

TEST(Stream, RefusedControlFramesAreSentByPoll)
{
    LoopbackPair<2> pair;  // two buffers each way
    ManualClock clock;
    Channel ch_a{pair.a(), clock, nullptr};
    Channel ch_b{pair.b(), clock, nullptr};
    Streams a{ch_a, 2};
    Streams b{ch_b, 2};
    Recorder ra;
    a.set_events(ra.events());
    pair.bind();
    pair.pump();
    uint8_t h = 0;
    ASSERT_EQ(b.open(h), Status::ok);
    pair.pump();
    ASSERT_EQ(ch_a.send(0x90, ByteSpan{}), Status::ok);  // fill a's two buffers
    ASSERT_EQ(ch_a.send(0x90, ByteSpan{}), Status::ok);
    EXPECT_EQ(a.abort(h | Streams::kIncoming, Status::busy), Status::ok);  // FIN: no buffer
    EXPECT_EQ(ra.closed, 1);
    pair.pump();  // frees the buffers (the two frames are dropped: no handler)
    b.poll();
    EXPECT_EQ(b.credits(h), 2u);  // b still thinks it is open
    a.poll();                     // the FIN goes out now
    Recorder rb;
    b.set_events(rb.events());
    pair.pump();
    EXPECT_EQ(rb.closed, 1);
    EXPECT_EQ(rb.reason, Status::busy);
}

// ---- the stream scenario over the loopback ----

namespace {

struct Board {
    LoopbackPair<8> pair;
    ManualClock clock;
    test::CaptureSink log7, log4;
    Channel ch7{pair.a(), clock, &log7};
    Channel ch4{pair.b(), clock, &log4};
    Streams s7{ch7};
    Streams s4{ch4};
    StreamScenario cm7;
    StreamScenario cm4;

    explicit Board(const StreamScenarioConfig& cfg)
        : cm7(CoreId::cm7, s7, nullptr, cfg), cm4(CoreId::cm4, s4, nullptr, cfg)
    {
        pair.bind();
    }
    // Runs until both are done (or `limit` rounds); returns the rounds.
    int run(int limit = 10000)
    {
        int rounds = 0;
        while (!(cm7.done() && cm4.done()) && rounds < limit) {
            cm7.poll();
            cm4.poll();
            pair.pump();
            clock.advance(10);
            ++rounds;
        }
        return rounds;
    }
};

}  // namespace

TEST(StreamScenario, TheBufferArrivesIntact)
{
    StreamScenarioConfig cfg;
    cfg.bytes = 50'000;
    cfg.seed = 7;
    Board b(cfg);
    b.run();
    EXPECT_TRUE(b.cm7.ok());
    EXPECT_TRUE(b.cm4.ok());
    EXPECT_EQ(b.cm7.transfers(), 1u);
    EXPECT_EQ(b.cm4.transfers(), 1u);
    EXPECT_TRUE(b.log7.contains("CM7 stream progress: "));
    EXPECT_TRUE(b.log4.contains("CM4 stream progress: "));
    EXPECT_TRUE(b.log4.contains("CM4 stream done: 50000 bytes in 106 chunks"));
    EXPECT_TRUE(b.log7.contains("CM7 stream done: 50000 bytes in 106 chunks"));
    Line crc;
    crc << "crc ";
    crc.hex(pattern_crc(7, 50'000));
    EXPECT_TRUE(b.log4.contains(crc.c_str()));
    EXPECT_TRUE(b.log7.contains(crc.c_str()));
    b.cm4.log_summary();
    EXPECT_TRUE(b.log4.contains("CM4 stream summary: transfers 1, ok 1, failed 0"));
    EXPECT_EQ(b.ch4.stats().snapshot().total_dropped(), 0u);
    EXPECT_EQ(b.ch7.stats().snapshot().total_dropped(), 0u);
}

TEST(StreamScenario, ACorruptedByteIsDetectedAndReportedToTheSender)
{
    StreamScenarioConfig cfg;
    cfg.bytes = 20'000;
    cfg.corrupt_at = 12'345;
    Board b(cfg);
    b.run();
    EXPECT_TRUE(b.cm4.done());
    EXPECT_FALSE(b.cm4.ok());
    EXPECT_TRUE(b.cm7.done());
    EXPECT_FALSE(b.cm7.ok());
    EXPECT_TRUE(b.log4.contains("CM4 stream integrity error: crc "));
    EXPECT_EQ(b.log4.count_at(LogLevel::error), 1u);
    EXPECT_TRUE(b.log7.contains("CM7 stream aborted: crc_mismatch"));
    b.cm7.log_summary();
    EXPECT_TRUE(b.log7.contains("CM7 stream summary: transfers 1, ok 0, failed 1"));
}

TEST(StreamScenario, TheTransferStartsOverAfterALinkReset)
{
    StreamScenarioConfig cfg;
    cfg.bytes = 30'000;
    cfg.progress = 0;
    Board b(cfg);
    for (int i = 0; i < 3; ++i) {  // part of the buffer
        b.cm7.poll();
        b.pair.pump();
    }
    EXPECT_FALSE(b.cm4.done());
    b.pair.unbind();
    b.pair.bind();
    b.run();
    EXPECT_TRUE(b.cm7.ok());
    EXPECT_TRUE(b.cm4.ok());
    EXPECT_EQ(b.cm7.transfers(), 2u);
    EXPECT_EQ(b.cm4.transfers(), 2u);
    EXPECT_TRUE(b.log7.contains("CM7 stream aborted: link_reset"));
    EXPECT_TRUE(b.log4.contains("CM4 stream done: 30000 bytes"));
}
