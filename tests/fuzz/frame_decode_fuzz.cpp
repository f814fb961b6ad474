// Fuzz target: the frame decoder, amp::decode_frame() and amp_frame_decode().
//
// Input: one mode byte, then the bytes handed to the decoder. The mode bits
// repair parts of the header first, so that the fuzzer also explores frames
// that pass the earlier checks (a random input almost never has a good CRC):
//   bit 0: magic, version, reserved byte and flags made valid (type kept)
//   bit 1: the length field made to match the bytes
//   bit 2: the CRC recomputed (last)
//
// Invariants: no crash or undefined behaviour; the status is one the decoder
// documents; the C API agrees with the C++ one; an accepted frame has sane
// fields, re-encodes to exactly the same bytes, and stops being accepted when
// one byte shorter; a frame repaired in every way is accepted exactly when its
// payload fits kMaxPayloadSize.
#include <cerrno>

#include "amp/amp.h"
#include "amp/wire.h"
#include "fuzz_support.h"

using namespace amp;
using amp::fuzz::ExactCopy;

namespace {

constexpr uint8_t kFixHeader = 1;
constexpr uint8_t kFixLength = 2;
constexpr uint8_t kFixCrc = 4;
constexpr uint8_t kFixAll = kFixHeader | kFixLength | kFixCrc;

bool documented_decode_status(Status st)
{
    switch (st) {
    case Status::ok:
    case Status::truncated:
    case Status::bad_magic:
    case Status::bad_version:
    case Status::bad_flags:
    case Status::bad_length:
    case Status::crc_mismatch:
    case Status::unknown_type: return true;
    default: return false;
    }
}

void repair(uint8_t mode, ExactCopy& buf)
{
    if (buf.size() < kFrameHeaderSize) return;
    uint8_t* p = buf.data();
    if ((mode & kFixHeader) != 0) {
        store_le16(p + wire_offset::kMagic, kFrameMagic);
        p[wire_offset::kVersion] = kProtocolVersion;
        p[wire_offset::kFlags] &= kKnownFlags;
        p[wire_offset::kReserved] = 0;
    }
    if ((mode & kFixLength) != 0) {
        const size_t len = buf.size() - kFrameHeaderSize;
        store_le16(p + wire_offset::kPayloadLen, static_cast<uint16_t>(len <= 0xFFFF ? len : 0));
    }
    if ((mode & kFixCrc) != 0) fuzz::seal_crc(p, buf.size());
}

// The C API must report the same outcome and the same fields.
void check_c_api(const ExactCopy& buf, Status st, const Frame& f)
{
    amp_frame_t cf{};
    const int rc = amp_frame_decode(buf.span().data(), buf.size(), &cf);
    AMP_FUZZ_CHECK(rc == to_errno(st));
    AMP_FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT || rc == -EINVAL ||
                   rc == -ENOMSG);
    if (rc != 0) return;
    AMP_FUZZ_CHECK(cf.version == f.header.version && cf.type == f.header.type);
    AMP_FUZZ_CHECK(cf.flags == f.header.flags && cf.payload_len == f.header.payload_len);
    AMP_FUZZ_CHECK(cf.seq == f.header.seq && cf.correlation == f.header.correlation);
    AMP_FUZZ_CHECK(cf.payload == f.payload.data());
}

void check_accepted(const ExactCopy& buf, Status st, const Frame& f)
{
    const size_t payload_len = buf.size() - kFrameHeaderSize;
    AMP_FUZZ_CHECK(buf.size() >= kFrameHeaderSize);
    AMP_FUZZ_CHECK(f.header.version == kProtocolVersion);
    AMP_FUZZ_CHECK((f.header.flags & ~kKnownFlags) == 0);
    AMP_FUZZ_CHECK(f.header.payload_len == payload_len);
    AMP_FUZZ_CHECK(payload_len <= kMaxPayloadSize);
    AMP_FUZZ_CHECK(f.payload.data() == buf.span().data() + kFrameHeaderSize);
    AMP_FUZZ_CHECK(f.payload.size() == payload_len);
    AMP_FUZZ_CHECK((st == Status::unknown_type) == (f.header.type == 0));

    // Re-encoding the decoded frame reproduces the received bytes exactly.
    ExactCopy out{buf.span()};
    std::memset(out.data(), 0xA5, out.size());
    size_t written = 0;
    const Status enc =
        encode_frame(f.header, f.payload, MutableByteSpan{out.data(), out.size()}, written);
    if (st == Status::unknown_type) {
        AMP_FUZZ_CHECK(enc == Status::invalid_argument);  // type 0 is never sent
    } else {
        AMP_FUZZ_CHECK(enc == Status::ok);
        AMP_FUZZ_CHECK(written == buf.size());
        AMP_FUZZ_CHECK(std::memcmp(out.data(), buf.data(), buf.size()) == 0);
        // ...and needs every one of those bytes.
        size_t short_written = 1;
        AMP_FUZZ_CHECK(encode_frame(f.header, f.payload,
                                    MutableByteSpan{out.data(), out.size() - 1},
                                    short_written) == Status::no_buffer);
        AMP_FUZZ_CHECK(short_written == 0);
    }

    // The same bytes minus the last one are never a frame.
    Frame shorter;
    const Status cut = decode_frame(buf.span().first(buf.size() - 1), shorter);
    AMP_FUZZ_CHECK(cut == Status::truncated || cut == Status::bad_length);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::Reader in(data, size);
    const uint8_t mode = in.u8();
    ExactCopy buf{in.bytes(in.remaining())};
    repair(mode, buf);

    Frame f;
    const Status st = decode_frame(buf.span(), f);
    AMP_FUZZ_CHECK(documented_decode_status(st));
    AMP_FUZZ_CHECK((st == Status::truncated) == (buf.size() < kFrameHeaderSize));
    check_c_api(buf, st, f);

    const bool accepted = st == Status::ok || st == Status::unknown_type;
    if (accepted) check_accepted(buf, st, f);

    if ((mode & kFixAll) == kFixAll && buf.size() >= kFrameHeaderSize) {
        const bool fits = buf.size() - kFrameHeaderSize <= kMaxPayloadSize;
        AMP_FUZZ_CHECK(accepted == fits);
        if (!fits) AMP_FUZZ_CHECK(st == Status::bad_length);
    }
    return 0;
}

void amp_fuzz_seeds(amp::fuzz::SeedSink& sink)
{
    using fuzz::Bytes;
    using fuzz::valid_frame;
    auto with_mode = [](uint8_t mode, const Bytes& frame) {
        Bytes out{mode};
        out.insert(out.end(), frame.begin(), frame.end());
        return out;
    };
    const Bytes hello = valid_frame(msg::kHello, fuzz::text("Hello from CM7, count: 0"), 0, 0);
    sink.add("hello", with_mode(0, hello));
    sink.add("goodbye-empty", with_mode(0, valid_frame(msg::kGoodbye, {}, 0, 10)));
    sink.add("request", with_mode(0, valid_frame(0x80, fuzz::text("ping"), kFlagRequest, 7, 42)));
    sink.add("response", with_mode(0, valid_frame(0x80, fuzz::text("pong"), kFlagResponse, 8, 42)));
    const Bytes full(kMaxPayloadSize, 0x5A);
    sink.add("max-payload", with_mode(0, valid_frame(0x81, full, 0, 0xFFFFFFFFu, 1)));
    fuzz::RawHeader zero;  // type 0: well-formed, yet no valid message
    sink.add("type-zero", with_mode(0, fuzz::build_frame(zero, fuzz::text("zero"), 4)));

    Bytes bad_crc = hello;
    bad_crc.back() ^= 0x01;
    sink.add("bad-crc", with_mode(0, bad_crc));
    sink.add("truncated-header", with_mode(0, Bytes(hello.begin(), hello.begin() + 19)));
    Bytes oversized(kFrameHeaderSize + kMaxPayloadSize + 1, 0x33);
    sink.add("oversized-repaired", with_mode(kFixAll, oversized));
    sink.add("junk-repaired", with_mode(kFixAll, Bytes(40, 0xC3)));
}
