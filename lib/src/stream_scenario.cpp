#include "amp/stream_scenario.h"

#include <array>

#include "amp/crc32c.h"

namespace amp {

uint8_t stream_pattern(uint32_t seed, uint32_t offset)
{
    // A 32-bit integer hash of the word index: random-looking, random access.
    uint32_t x = ((offset >> 2) * 0x9E3779B9u) ^ seed;
    x = (x ^ (x >> 16)) * 0x7FEB352Du;
    x = (x ^ (x >> 15)) * 0x846CA68Bu;
    x ^= x >> 16;
    return static_cast<uint8_t>(x >> ((offset & 3u) * 8));
}

StreamScenario::StreamScenario(CoreId core, Streams& streams, Role* after,
                               const StreamScenarioConfig& config)
    : core_(core),
      streams_(streams),
      after_(after),
      config_(config),
      step_(config.progress != 0 ? config.bytes / config.progress : 0)
{
    Streams::Events ev;
    ev.data = &StreamScenario::on_data;
    ev.opened = &StreamScenario::on_opened;
    ev.closed = &StreamScenario::on_closed;
    ev.context = this;
    streams_.set_events(ev);
    if (after_ != nullptr) after_->hold_goodbye(true);
}

Line& StreamScenario::head(Line& l, const char* what) const
{
    return l << core_name(core_) << " stream " << what;
}

void StreamScenario::begin(uint8_t handle)
{
    handle_ = handle;
    ending_ = false;
    offset_ = crc_ = expected_ = 0;
    next_line_ = step_;
    ++transfers_;
}

void StreamScenario::finish(bool ok)
{
    done_ = true;
    ++(ok ? ok_ : failed_);
    if (after_ != nullptr) after_->hold_goodbye(false);
}

// Counts bytes sent or received and logs progress.
void StreamScenario::advance(ByteSpan bytes)
{
    crc_ = crc32c(crc_, bytes.data(), bytes.size());
    offset_ += static_cast<uint32_t>(bytes.size());
    if (step_ == 0 || offset_ < next_line_) return;
    next_line_ = offset_ + step_ < offset_ ? UINT32_MAX : offset_ + step_;
    StreamCounters c;
    streams_.counters(handle_, c);
    Line l;
    head(l, "progress: ") << offset_ << " of " << config_.bytes << " bytes, " << c.kbytes_per_s()
                          << " kB/s";
    log_line(streams_.channel().log(), LogLevel::info, l);
}

bool StreamScenario::verify() const
{
    if (offset_ == config_.bytes && crc_ == expected_) return true;
    Line l;
    head(l, "integrity error: crc ").hex(crc_) << " (expected ";
    l.hex(expected_) << "), " << offset_ << " bytes (expected " << config_.bytes << ')';
    log_line(streams_.channel().log(), LogLevel::error, l);
    return false;
}

void StreamScenario::poll()
{
    streams_.poll();
    if (core_ != CoreId::cm7 || done_ || !streams_.channel().is_ready() ||
        (after_ != nullptr && !after_->hellos_done())) {
        return;
    }
    if (handle_ == 0) {
        uint8_t handle = 0;
        if (streams_.open(handle) != Status::ok) return;
        begin(handle);
    }
    const size_t max = streams_.max_chunk();
    const size_t chunk = config_.chunk != 0 && config_.chunk < max ? config_.chunk : max;
    std::array<uint8_t, kMaxPayloadSize> buf;  // NOLINT: filled below
    while (handle_ != 0 && offset_ < config_.bytes && chunk != 0) {
        const uint32_t left = config_.bytes - offset_;
        const uint32_t n = left < chunk ? left : static_cast<uint32_t>(chunk);
        for (uint32_t i = 0; i < n; ++i) buf[i] = stream_pattern(config_.seed, offset_ + i);
        if (config_.corrupt_at - offset_ < n) buf[config_.corrupt_at - offset_] ^= 1u;
        if (streams_.send(handle_, ByteSpan{buf.data(), n}) != Status::ok) return;  // later
        advance(ByteSpan{buf.data(), n});
    }
    if (handle_ != 0 && !ending_) ending_ = streams_.end(handle_) == Status::ok;
}

void StreamScenario::on_opened(void* self, uint8_t handle)
{
    auto* s = static_cast<StreamScenario*>(self);
    if (s->core_ != CoreId::cm4 || s->handle_ != 0 || s->done_) {
        s->streams_.abort(handle, Status::busy);  // one transfer at a time
        return;
    }
    s->begin(handle);
}

bool StreamScenario::on_data(void* self, uint8_t handle, ByteSpan chunk)
{
    auto* s = static_cast<StreamScenario*>(self);
    if (handle != s->handle_) return true;
    std::array<uint8_t, kMaxPayloadSize> want;  // NOLINT: filled below
    for (size_t i = 0; i < chunk.size(); ++i) {
        want[i] = stream_pattern(s->config_.seed, s->offset_ + static_cast<uint32_t>(i));
    }
    s->expected_ = crc32c(s->expected_, want.data(), chunk.size());
    s->advance(chunk);
    // Checked with the last byte, so that the CM7 learns the verdict.
    if (s->offset_ >= s->config_.bytes && !s->verify()) {
        s->streams_.abort(
            handle, s->offset_ == s->config_.bytes ? Status::crc_mismatch : Status::bad_length);
    }
    return true;
}

void StreamScenario::on_closed(void* self, uint8_t handle, Status reason, const StreamCounters& c)
{
    auto* s = static_cast<StreamScenario*>(self);
    if (handle != s->handle_) return;
    s->handle_ = 0;
    if (reason == Status::ok && s->core_ == CoreId::cm4 && !s->verify()) {
        s->finish(false);  // ended early
        return;
    }
    Line l;
    if (reason == Status::ok) {
        s->head(l, "done: ") << c.bytes << " bytes in " << c.chunks << " chunks, " << c.stalls
                             << " stalls, " << c.kbytes_per_s() << " kB/s, crc ";
        l.hex(s->crc_);
    } else {
        s->head(l, "aborted: ") << to_string(reason);
    }
    log_line(s->streams_.channel().log(), reason == Status::ok ? LogLevel::info : LogLevel::warning,
             l);
    // After a link reset the CM7 starts over and the CM4 waits for it.
    if (reason != Status::link_reset) s->finish(reason == Status::ok);
}

void StreamScenario::log_summary() const
{
    Line l;
    head(l, "summary: transfers ") << transfers_ << ", ok " << ok_ << ", failed " << failed_;
    log_line(streams_.channel().log(), LogLevel::plain, l);
}

}  // namespace amp
