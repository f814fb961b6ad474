// Helpers shared by the fuzz targets (host-only code: heap and stdio allowed).
//
// Every tests/fuzz/<name>_fuzz.cpp defines two functions:
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
//   void amp_fuzz_seeds(amp::fuzz::SeedSink& sink);  // the seed corpus, may add nothing
// and is built twice: as a libFuzzer binary (clang, scripts/fuzz.sh) and as a
// replay program (any compiler, replay_main.cpp) that CTest runs over
// tests/fuzz/corpus/<name>/ in every build, including the sanitizer builds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "amp/crc32c.h"
#include "amp/wire.h"

/// Checks an invariant; on failure prints it and aborts, which libFuzzer
/// reports as a crash and saves the input.
#define AMP_FUZZ_CHECK(cond)                                                                  \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                     \
        }                                                                                     \
    } while (0)

namespace amp::fuzz {

using Bytes = std::vector<uint8_t>;

/// Where amp_fuzz_seeds() puts the seed inputs (files named `name`).
class SeedSink {
public:
    virtual void add(const char* name, const Bytes& input) = 0;

protected:
    ~SeedSink() = default;
};

/// Reads the fuzzer's bytes front to back; past the end every read yields zeros
/// (or an empty span), so a target never has to check for exhaustion.
class Reader {
public:
    Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

    bool empty() const { return pos_ >= size_; }
    size_t remaining() const { return size_ - pos_; }

    uint8_t u8() { return empty() ? 0 : data_[pos_++]; }
    uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
    uint32_t u32() { return static_cast<uint32_t>(u16()) | (static_cast<uint32_t>(u16()) << 16); }
    /// Up to `want` bytes (fewer when the input ends).
    std::span<const uint8_t> bytes(size_t want)
    {
        const size_t n = want < remaining() ? want : remaining();
        const std::span<const uint8_t> out{data_ + pos_, n};
        pos_ += n;
        return out;
    }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

/// A heap copy of exactly `bytes.size()` bytes, so that AddressSanitizer
/// catches a read even one byte past the end (the fuzzer's own buffer is
/// larger than the slice a target hands over).
class ExactCopy {
public:
    explicit ExactCopy(std::span<const uint8_t> bytes)
        : size_(bytes.size()), data_(new uint8_t[bytes.size()])
    {
        if (size_ != 0) std::memcpy(data_.get(), bytes.data(), size_);
    }
    uint8_t* data() { return data_.get(); }
    const uint8_t* data() const { return data_.get(); }
    size_t size() const { return size_; }
    ByteSpan span() const { return ByteSpan{data_.get(), size_}; }

private:
    size_t size_;
    std::unique_ptr<uint8_t[]> data_;  // never null, even for size 0
};

/// The fields of a frame header as raw bytes, including those a correct
/// sender never sets (other versions, reserved bits, a wrong length).
struct RawHeader {
    uint16_t magic = kFrameMagic;
    uint8_t version = kProtocolVersion;
    uint8_t type = 0;
    uint8_t flags = 0;
    uint8_t reserved = 0;
    uint32_t seq = 0;
    uint32_t correlation = 0;
};

/// Writes the CRC-32C of `frame` (header bytes 0..15 and the payload) into it.
inline void seal_crc(uint8_t* frame, size_t size)
{
    uint32_t crc = crc32c(0, frame, wire_offset::kCrc);
    crc = crc32c(crc, frame + kFrameHeaderSize, size - kFrameHeaderSize);
    store_le32(frame + wire_offset::kCrc, crc);
}

/// Builds header + payload with a correct CRC, written independently of
/// encode_frame() so that the fuzzer can reach every decoder check past the CRC.
/// `payload_len` is the length field (normally payload.size()).
inline Bytes build_frame(const RawHeader& h, std::span<const uint8_t> payload, uint16_t payload_len)
{
    Bytes f(kFrameHeaderSize + payload.size());
    store_le16(&f[wire_offset::kMagic], h.magic);
    f[wire_offset::kVersion] = h.version;
    f[wire_offset::kType] = h.type;
    f[wire_offset::kFlags] = h.flags;
    f[wire_offset::kReserved] = h.reserved;
    store_le16(&f[wire_offset::kPayloadLen], payload_len);
    store_le32(&f[wire_offset::kSeq], h.seq);
    store_le32(&f[wire_offset::kCorrelation], h.correlation);
    if (!payload.empty()) std::memcpy(&f[kFrameHeaderSize], payload.data(), payload.size());
    seal_crc(f.data(), f.size());
    return f;
}

/// A well-formed frame.
inline Bytes valid_frame(uint8_t type, std::span<const uint8_t> payload, uint8_t flags = 0,
                         uint32_t seq = 0, uint32_t correlation = 0)
{
    RawHeader h;
    h.type = type;
    h.flags = flags;
    h.seq = seq;
    h.correlation = correlation;
    return build_frame(h, payload, static_cast<uint16_t>(payload.size()));
}

inline std::span<const uint8_t> text(const char* s)
{
    return {reinterpret_cast<const uint8_t*>(s), std::strlen(s)};
}

/// Appends little-endian values and byte strings: builds seed inputs.
class Writer {
public:
    Writer& u8(uint8_t v)
    {
        out_.push_back(v);
        return *this;
    }
    Writer& u16(uint16_t v) { return u8(static_cast<uint8_t>(v)).u8(static_cast<uint8_t>(v >> 8)); }
    Writer& u32(uint32_t v)
    {
        return u16(static_cast<uint16_t>(v)).u16(static_cast<uint16_t>(v >> 16));
    }
    Writer& bytes(std::span<const uint8_t> b)
    {
        out_.insert(out_.end(), b.begin(), b.end());
        return *this;
    }
    const Bytes& get() const { return out_; }

private:
    Bytes out_;
};

}  // namespace amp::fuzz

/// Defined by every fuzz target (see the top of this file).
void amp_fuzz_seeds(amp::fuzz::SeedSink& sink);
