#include "amp/shm_link.h"

#include <bit>
#include <cstring>

namespace amp {
namespace {

using shm::RegionHeader;
using shm::Side;
using shm::SideBlock;
using shm::VringDesc;

static_assert(shm::kMinBufferSize >= rpmsg::kHeaderSize + rpmsg::kNsMessageSize,
              "every buffer must hold a name-service message (transmit() does not check)");
static_assert(std::endian::native == std::endian::little,
              "the region is little-endian (virtio); a big-endian core needs byte swaps here");
static_assert(std::atomic_ref<uint16_t>::is_always_lock_free &&
                  std::atomic_ref<uint32_t>::is_always_lock_free,
              "ring indices and header words need lock-free 16/32-bit atomics");

constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr auto kAcquire = std::memory_order_acquire;
constexpr auto kRelease = std::memory_order_release;

// Every scalar in the region is read and written through these, one access
// per use. The peer may change a value at any time, so a value is loaded
// once into a local, checked, and only the local is used afterwards. Ring
// indices use acquire/release (see the comments at each use); every other
// field is ordered by them and accessed relaxed.
// Offsets come from the Layout, which aligns every field to its size.
template <class T>
std::atomic_ref<T> field(uint8_t* base, uint32_t offset)
{
    return std::atomic_ref<T>(*static_cast<T*>(static_cast<void*>(base + offset)));
}

template <class T>
T load(uint8_t* base, uint32_t offset, std::memory_order order = kRelaxed)
{
    return field<T>(base, offset).load(order);
}

template <class T>
void store(uint8_t* base, uint32_t offset, T value, std::memory_order order = kRelaxed)
{
    field<T>(base, offset).store(value, order);
}

// strnlen() is POSIX, not C++.
size_t bounded_length(const char* s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != '\0') ++n;
    return n;
}

constexpr uint32_t kMagicAt = offsetof(RegionHeader, magic);
constexpr uint32_t kGenerationAt = offsetof(RegionHeader, generation);
constexpr size_t kEpochField = offsetof(SideBlock, epoch);
constexpr size_t kAckField = offsetof(SideBlock, ack);
constexpr size_t kTagField = offsetof(SideBlock, tag);

constexpr uint32_t side_at(Side s, size_t field)
{
    return static_cast<uint32_t>(offsetof(RegionHeader, side) + sizeof(SideBlock) * shm::index(s) +
                                 field);
}

// One context at a time writes a link's counters (see amp/shm_link.h); others
// may read them. So a relaxed load and store, not a read-modify-write: that
// is a locked instruction on x86 (it waits for every pending store to the
// shared region) and an exclusive-access loop on Arm.
void bump(std::atomic<uint32_t>& c, uint32_t n = 1)
{
    c.store(c.load(kRelaxed) + n, kRelaxed);
}

Line fault_line(ShmFault why)
{
    Line l;
    l << "shm link fault (" << to_string(why) << "): ";
    return l;
}

}  // namespace

const char* to_string(ShmFault f)
{
    switch (f) {
    case ShmFault::none: return "none";
    case ShmFault::avail_idx: return "avail_idx";
    case ShmFault::avail_entry: return "avail_entry";
    case ShmFault::desc_flags: return "desc_flags";
    case ShmFault::desc_addr: return "desc_addr";
    case ShmFault::desc_len: return "desc_len";
    case ShmFault::rpmsg_len: return "rpmsg_len";
    case ShmFault::used_idx: return "used_idx";
    case ShmFault::used_id: return "used_id";
    case ShmFault::used_not_owned: return "used_not_owned";
    case ShmFault::used_len: return "used_len";
    case ShmFault::ns_message: return "ns_message";
    case ShmFault::count_: break;
    }
    return "unknown";
}

ShmLink::ShmLink(Side side, Doorbell& doorbell, LogSink* log)
    : side_(side), doorbell_(doorbell), log_(log)
{
}

// Validates `name` and writes it, NUL-padded, to `out` (rpmsg::kNameSize bytes).
Status ShmLink::check_name(const char* name, char* out)
{
    const size_t len = name == nullptr ? 0 : bounded_length(name, rpmsg::kNameSize);
    if (len == 0 || len >= rpmsg::kNameSize) {
        Line l;
        l << "shm link: endpoint name must have 1 to "
          << static_cast<uint32_t>(rpmsg::kNameSize - 1) << " characters";
        log_line(log_, LogLevel::error, l);
        return Status::invalid_argument;
    }
    std::memset(out, 0, rpmsg::kNameSize);
    std::memcpy(out, name, len);
    return Status::ok;
}

Status ShmLink::create(MutableByteSpan region, const ShmLinkConfig& config)
{
    if (side_ != Side::primary || state_ != State::detached) return Status::busy;
    if (check_name(config.name, name_) != Status::ok) return Status::invalid_argument;
    uint8_t* base = region.data();
    const uint32_t num = config.num_buffers != 0
                             ? config.num_buffers
                             : shm::buffers_for(region.size(), config.buffer_size);
    shm::Layout l;
    if (base == nullptr || reinterpret_cast<uintptr_t>(base) % 8 != 0 ||
        shm::make_layout(num, config.buffer_size, l) != Status::ok ||
        l.total_size > region.size()) {
        Line e;
        e << "shm link: cannot lay out " << num << " buffers of " << config.buffer_size
          << " bytes in a region of " << static_cast<uint32_t>(region.size())
          << " bytes (needs power-of-two count, 8-byte aligned region)";
        log_line(log_, LogLevel::error, e);
        return Status::invalid_argument;
    }

    // A region formatted before (a restarted primary): keep counting generations,
    // so a remote still attached to the old one notices.
    uint32_t generation = 1;
    if (load<uint32_t>(base, kMagicAt, kAcquire) == shm::kMagic) {
        generation = load<uint32_t>(base, kGenerationAt) + 1;
    }
    store<uint32_t>(base, kMagicAt, 0);
    // Full fence: a remote still using the old rings that reads one we clear
    // below also sees the magic gone, and takes it as a reset (best effort:
    // the clearing itself is a plain memset).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    std::memset(base, 0, l.total_size);
    store<uint16_t>(base, offsetof(RegionHeader, version), shm::kLayoutVersion);
    store<uint16_t>(base, offsetof(RegionHeader, header_size),
                    static_cast<uint16_t>(sizeof(RegionHeader)));
    store<uint32_t>(base, offsetof(RegionHeader, region_size), l.total_size);
    store<uint16_t>(base, offsetof(RegionHeader, num_buffers), static_cast<uint16_t>(num));
    store<uint32_t>(base, offsetof(RegionHeader, buffer_size), l.buffer_size);
    store<uint32_t>(base, kGenerationAt, generation);
    store<uint32_t>(base, side_at(side_, offsetof(SideBlock, tag)), config.tag);
    store<uint32_t>(base, side_at(side_, offsetof(SideBlock, state)),
                    static_cast<uint32_t>(shm::SideState::ready));
    for (const Side s : {Side::primary, Side::remote}) {  // all buffers free on both sides
        store<uint16_t>(base, l.ring[shm::index(s)].avail + shm::ring_offset::kFlags,
                        shm::kAvailFlagNoInterrupt);
    }
    // Release: everything above (cleared rings, parameters) is visible to a
    // remote that reads the magic with acquire.
    store<uint32_t>(base, kMagicAt, shm::kMagic, kRelease);

    tag_ = config.tag;
    region_size_ = region.size();
    HeaderInfo h;
    h.layout = l;
    h.generation = generation;
    use_header(base, h);
    reset_ring_state();
    acked_epoch_ = 0;  // the cleared epoch and ack words
    own_epoch_ = 0;
    state_ = State::idle;
    return Status::ok;
}

// Validates the header the primary wrote; `out` receives its layout.
Status ShmLink::read_header(uint8_t* base, size_t size, bool log_errors, HeaderInfo& out)
{
    // Acquire: pairs with the primary's release of the magic, so the
    // parameters read below are the ones it wrote.
    if (load<uint32_t>(base, kMagicAt, kAcquire) != shm::kMagic) return Status::not_found;
    const uint16_t version = load<uint16_t>(base, offsetof(RegionHeader, version));
    if (version != shm::kLayoutVersion) {
        if (log_errors) {
            Line e;
            e << "shm link: region layout version " << uint32_t{version} << ", this side speaks "
              << uint32_t{shm::kLayoutVersion};
            log_line(log_, LogLevel::error, e);
        }
        return Status::version_mismatch;
    }
    const uint32_t header_size = load<uint16_t>(base, offsetof(RegionHeader, header_size));
    const uint32_t num = load<uint16_t>(base, offsetof(RegionHeader, num_buffers));
    const uint32_t buffer_size = load<uint32_t>(base, offsetof(RegionHeader, buffer_size));
    const uint32_t region_size = load<uint32_t>(base, offsetof(RegionHeader, region_size));
    const uint32_t generation = load<uint32_t>(base, kGenerationAt);
    shm::Layout l;
    if (header_size != sizeof(RegionHeader) ||
        shm::make_layout(num, buffer_size, l) != Status::ok || l.total_size != region_size ||
        l.total_size > size) {
        if (log_errors) {
            Line e;
            e << "shm link: header describes " << num << " buffers of " << buffer_size
              << " bytes in " << region_size << ", region has " << static_cast<uint32_t>(size);
            log_line(log_, LogLevel::error, e);
        }
        return Status::invalid_argument;
    }
    out.layout = l;
    out.generation = generation;
    return Status::ok;
}

// Claims the remote side of the region at `base`: a free one, one this link
// held before (its own nonzero tag; with `reclaim_unowned` also an unowned
// one, as a re-format leaves it), or one held by `replaces`; `tag` becomes
// the holder. The tag is the ownership word for a take-over, so two
// newcomers cannot both win.
bool ShmLink::claim_side(uint8_t* base, uint32_t tag_value, uint32_t replaces, bool reclaim_unowned)
{
    auto state = field<uint32_t>(base, side_at(side_, offsetof(SideBlock, state)));
    auto tag = field<uint32_t>(base, side_at(side_, offsetof(SideBlock, tag)));
    const auto ready = static_cast<uint32_t>(shm::SideState::ready);
    uint32_t seen = static_cast<uint32_t>(shm::SideState::absent);
    if (state.compare_exchange_strong(seen, ready, std::memory_order_acq_rel)) {
        tag.store(tag_value, kRelaxed);
        return true;
    }
    uint32_t holder = tag.load(kAcquire);
    const bool ours = (tag_value != 0 && holder == tag_value) || (reclaim_unowned && holder == 0);
    const bool replaceable =
        replaces == ShmLinkConfig::kReplaceAny || (replaces != 0 && holder == replaces);
    if (!ours && !replaceable) return false;
    if (holder != tag_value &&
        !tag.compare_exchange_strong(holder, tag_value, std::memory_order_acq_rel)) {
        return false;
    }
    state.store(ready, kRelease);
    return true;
}

void ShmLink::use_header(uint8_t* base, const HeaderInfo& h)
{
    base_ = base;
    layout_ = h.layout;
    mask_ = h.layout.num_buffers - 1;
    generation_ = h.generation;
    header_error_logged_ = false;
}

Status ShmLink::attach(MutableByteSpan region, const ShmLinkConfig& config)
{
    if (side_ != Side::remote) return Status::busy;
    if (state_ != State::detached && state_ != State::requesting && state_ != State::reattaching) {
        return Status::busy;
    }
    // Nothing of this link changes unless the attach succeeds: a refused
    // call leaves a link that waits for the primary as it was.
    char name[rpmsg::kNameSize];
    if (check_name(config.name, name) != Status::ok) return Status::invalid_argument;
    uint8_t* base = region.data();
    if (base == nullptr || reinterpret_cast<uintptr_t>(base) % 8 != 0 ||
        region.size() < sizeof(RegionHeader)) {
        log_line(log_, LogLevel::error, Line{} << "shm link: region too small or misaligned");
        return Status::invalid_argument;
    }
    HeaderInfo h;
    const Status st = read_header(base, region.size(), true, h);
    if (st != Status::ok) return st;
    if (!claim_side(base, config.tag, config.replaces, false)) return Status::busy;
    tag_ = config.tag;
    std::memcpy(name_, name, sizeof name_);
    region_size_ = region.size();
    use_header(base, h);
    request_session();
    return Status::ok;
}

size_t ShmLink::max_message_size() const
{
    return layout_.buffer_size > rpmsg::kHeaderSize ? layout_.buffer_size - rpmsg::kHeaderSize : 0;
}

Status ShmLink::send(ByteSpan data)
{
    if (state_ == State::faulted) return Status::faulted;
    if (state_ != State::bound) return Status::not_bound;
    if (data.size() > max_message_size()) {
        bump(counters_.too_large);
        return Status::too_large;
    }
    if (data.empty()) return Status::invalid_argument;
    const Status st = transmit(peer_addr_, data);
    if (st == Status::ok) {
        bump(counters_.tx_messages);
        bump(counters_.tx_bytes, static_cast<uint32_t>(data.size()));
    }
    return st;
}

Status ShmLink::close()
{
    if (state_ == State::faulted) return Status::faulted;
    if (state_ != State::bound) return Status::not_bound;
    uint8_t ns[rpmsg::kNsMessageSize];
    (void)rpmsg::encode_ns(name_, kLocalAddress, rpmsg::kNsDestroy, ns);
    const Status st = transmit(rpmsg::kNsAddress, ns);
    if (st == Status::ok) {
        state_ = State::closed;
        set_state_word(shm::SideState::closed);
    }
    return st;
}

// Fills a free buffer of the ring this side drives and publishes it.
Status ShmLink::transmit(uint32_t dst, ByteSpan payload)
{
    if (free_count_ == 0) reclaim();
    if (free_count_ == 0 && in_session()) {
        want_returns(true);  // ask the peer to ring when it gives buffers back,
        reclaim();           // then look again: it may have just done so
    }
    if (state_ == State::faulted) return Status::faulted;
    if (!in_session()) return Status::not_bound;  // the region was reset meanwhile
    if (free_count_ == 0) {
        bump(counters_.no_buffer);
        return Status::no_buffer;
    }
    // Sent from a receive callback (a reply, a stream credit): the buffers
    // handled so far go back first, or the peer could answer our message
    // before it has them back, and run out.
    if (rx_used_published_ != rx_used_idx_) publish_returns();
    const uint32_t id = free_[--free_count_];
    const uint32_t buf = layout_.buffer(side_, id);
    rpmsg::Header h;
    h.src = kLocalAddress;
    h.dst = dst;
    h.len = static_cast<uint16_t>(payload.size());
    rpmsg::encode_header(h, base_ + buf);
    if (!payload.empty()) std::memcpy(base_ + buf + rpmsg::kHeaderSize, payload.data(), h.len);

    const uint32_t d = layout_.desc(side_, id);
    store<uint32_t>(base_, d + offsetof(VringDesc, addr_lo), buf);
    store<uint32_t>(base_, d + offsetof(VringDesc, addr_hi), 0);
    store<uint32_t>(base_, d + offsetof(VringDesc, len),
                    static_cast<uint32_t>(rpmsg::kHeaderSize + payload.size()));
    store<uint16_t>(base_, d + offsetof(VringDesc, flags), 0);
    store<uint16_t>(base_, d + offsetof(VringDesc, next), 0);
    store<uint16_t>(base_, layout_.avail_entry(side_, tx_avail_idx_ & mask_),
                    static_cast<uint16_t>(id));
    ++tx_avail_idx_;
    // Release: the buffer, its descriptor and the ring entry written above
    // are visible to the peer before the index that hands them over.
    store<uint16_t>(base_, layout_.avail_idx(side_), tx_avail_idx_, kRelease);
    set_in_flight(id, true);
    ++in_flight_count_;
    ring_peer();
    return Status::ok;
}

// Takes back the buffers the peer returned through the used ring.
size_t ShmLink::reclaim()
{
    // Acquire: pairs with the peer's release of used.idx: the used entries
    // are complete and the peer has finished reading those buffers.
    const uint16_t used = load<uint16_t>(base_, layout_.used_idx(side_), kAcquire);
    const uint16_t pending = used - tx_last_used_;
    if (pending > in_flight_count_) {
        Line l = fault_line(ShmFault::used_idx);
        l << "tx used index " << uint32_t{used} << " is " << uint32_t{pending} << " ahead with "
          << in_flight_count_ << " buffers in flight";
        fail(ShmFault::used_idx, l);
        return 0;
    }
    for (uint32_t k = 0; k < pending; ++k) {
        const uint32_t e = layout_.used_entry(side_, tx_last_used_ & mask_);
        const uint32_t id = load<uint32_t>(base_, e);
        const uint32_t len = load<uint32_t>(base_, e + 4);
        ShmFault why = ShmFault::none;
        if (id >= layout_.num_buffers) {
            why = ShmFault::used_id;
        } else if (!in_flight(id)) {
            why = ShmFault::used_not_owned;
        } else if (len > layout_.buffer_size) {
            why = ShmFault::used_len;
        }
        if (why != ShmFault::none) {
            Line l = fault_line(why);
            l << "tx used entry " << uint32_t{tx_last_used_} << " returns buffer " << id << " len "
              << len << " (" << layout_.num_buffers << " buffers of " << layout_.buffer_size << ", "
              << in_flight_count_ << " in flight)";
            fail(why, l);
            return k;
        }
        set_in_flight(id, false);
        --in_flight_count_;
        free_[free_count_++] = static_cast<uint16_t>(id);
        ++tx_last_used_;
    }
    if (pending > 0 && returns_wanted_) want_returns(false);
    return pending;
}

// Consumes what the peer published on its ring and gives the buffers back.
size_t ShmLink::receive()
{
    const Side rx = shm::other(side_);
    // Acquire: pairs with the peer's release of avail.idx: the ring entries,
    // descriptors and buffers it published before are visible below.
    const uint16_t avail = load<uint16_t>(base_, layout_.avail_idx(rx), kAcquire);
    const uint16_t pending = avail - rx_last_avail_;
    if (pending > layout_.num_buffers) {
        Line l = fault_line(ShmFault::avail_idx);
        l << "rx avail index " << uint32_t{avail} << " is " << uint32_t{pending}
          << " ahead, ring has " << layout_.num_buffers;
        fail(ShmFault::avail_idx, l);
        return 0;
    }
    size_t done = 0;
    for (; done < pending && in_session(); ++done) {
        const uint32_t head =
            load<uint16_t>(base_, layout_.avail_entry(rx, rx_last_avail_ & mask_));
        if (head >= layout_.num_buffers) {
            Line l = fault_line(ShmFault::avail_entry);
            l << "rx avail entry " << uint32_t{rx_last_avail_} << " names descriptor " << head
              << ", ring has " << layout_.num_buffers;
            fail(ShmFault::avail_entry, l);
            break;
        }
        const uint32_t d = layout_.desc(rx, head);
        const uint32_t addr = load<uint32_t>(base_, d + offsetof(VringDesc, addr_lo));
        const uint32_t addr_hi = load<uint32_t>(base_, d + offsetof(VringDesc, addr_hi));
        const uint32_t len = load<uint32_t>(base_, d + offsetof(VringDesc, len));
        const uint16_t flags = load<uint16_t>(base_, d + offsetof(VringDesc, flags));
        const uint32_t first = layout_.buffers[shm::index(rx)];
        const uint32_t rel = addr - first;  // wraps for addresses below the area
        ShmFault why = ShmFault::none;
        if (flags != 0) {
            why = ShmFault::desc_flags;
        } else if (addr_hi != 0 || addr < first || rel % layout_.buffer_size != 0 ||
                   rel / layout_.buffer_size >= layout_.num_buffers) {
            why = ShmFault::desc_addr;
        } else if (len < rpmsg::kHeaderSize || len > layout_.buffer_size) {
            why = ShmFault::desc_len;
        }
        if (why != ShmFault::none) {
            Line l = fault_line(why);
            l << "rx descriptor " << head << " addr ";
            l.hex(addr) << " hi " << addr_hi << " len " << len << " flags " << uint32_t{flags};
            fail(why, l);
            break;
        }
        const rpmsg::Header h = rpmsg::decode_header(base_ + addr);
        if (h.len > len - rpmsg::kHeaderSize) {
            Line l = fault_line(ShmFault::rpmsg_len);
            l << "rx message of " << uint32_t{h.len} << " bytes in descriptor " << head
              << " of length " << len;
            fail(ShmFault::rpmsg_len, l);
            break;
        }
        handle(h, ByteSpan{base_ + addr + rpmsg::kHeaderSize, h.len});
        // Faulted, or the session ended in the callback (peer_lost()): the
        // rings are not ours any more, not even to give this buffer back.
        if (!in_session()) break;

        const uint32_t e = layout_.used_entry(rx, rx_used_idx_ & mask_);
        store<uint32_t>(base_, e, head);
        store<uint32_t>(base_, e + 4, 0);  // nothing written into the buffer
        ++rx_used_idx_;
        ++rx_last_avail_;
    }
    // One store per batch, not per message: the index's cache line moves to
    // the peer once per batch (transmit() publishes early when it must).
    if (done > 0 && in_session()) publish_returns();
    return done;
}

void ShmLink::publish_returns()
{
    // Release: the used entries are written and every read of their buffers
    // is complete before the peer sees the index and reuses the buffers.
    store<uint16_t>(base_, layout_.used_idx(shm::other(side_)), rx_used_idx_, kRelease);
    rx_used_published_ = rx_used_idx_;
}

void ShmLink::handle(const rpmsg::Header& h, ByteSpan payload)
{
    if (h.dst == rpmsg::kNsAddress) {
        handle_ns(payload);
        return;
    }
    const bool from_peer_addr = h.src != rpmsg::kAddrAny && h.src != rpmsg::kNsAddress;
    if (h.dst != kLocalAddress || !from_peer_addr) {
        warn(Line{} << "shm link: dropped message " << h.src << " -> " << h.dst
                    << " (unknown address)");
        return;
    }
    if (state_ == State::announced && payload.empty()) {
        peer_addr_ = h.src;  // the primary's answer to our announcement
        become_bound();
        return;
    }
    if (state_ != State::bound) {
        warn(Line{} << "shm link: dropped message of " << static_cast<uint32_t>(payload.size())
                    << " bytes (endpoint not bound)");
        return;
    }
    if (payload.empty()) {  // nothing to deliver, but not unseen
        bump(counters_.rx_empty);
        return;
    }
    if (h.src != peer_addr_) {
        warn(Line{} << "shm link: dropped message from address " << h.src << ", bound to "
                    << peer_addr_);
        return;
    }
    bump(counters_.rx_messages);
    bump(counters_.rx_bytes, static_cast<uint32_t>(payload.size()));
    notify_received(payload);
}

void ShmLink::handle_ns(ByteSpan payload)
{
    rpmsg::NsMessage ns;
    const Status st = rpmsg::decode_ns(payload, ns);
    if (st != Status::ok || ns.addr == rpmsg::kAddrAny || ns.addr == rpmsg::kNsAddress) {
        Line l = fault_line(ShmFault::ns_message);
        if (st == Status::bad_length) {
            l << "name-service message of " << static_cast<uint32_t>(payload.size())
              << " bytes, expected " << static_cast<uint32_t>(rpmsg::kNsMessageSize);
        } else if (st != Status::ok) {
            l << "name-service name empty or not NUL-terminated";
        } else {
            l << "name-service announces reserved address " << ns.addr;
        }
        fail(ShmFault::ns_message, l);
        return;
    }
    const bool ours = std::strncmp(ns.name, name_, rpmsg::kNameSize) == 0;
    if (ns.flags == rpmsg::kNsDestroy && ours && state_ == State::bound && ns.addr == peer_addr_) {
        state_ = State::closed;
        set_state_word(shm::SideState::closed);
        log_line(log_, LogLevel::info,
                 Line{} << "shm link: peer closed endpoint '" << name_ << "'");
        notify_unbound();
        return;
    }
    if (ns.flags == rpmsg::kNsCreate && ours && side_ == Side::primary &&
        state_ == State::waiting) {
        peer_addr_ = ns.addr;
        state_ = State::answering;
        retry_binding();
        return;
    }
    bump(counters_.ns_ignored);
    Line l;
    // The name is the peer's: shown as text, anything unprintable as '.'.
    const ByteSpan name{reinterpret_cast<const uint8_t*>(ns.name),
                        bounded_length(ns.name, rpmsg::kNameSize)};
    l << "shm link: name-service " << (ns.flags == rpmsg::kNsCreate ? "announcement" : "message")
      << " of '" << name << "' (flags " << ns.flags << ") ignored";
    log_line(log_, LogLevel::info, l);
}

// The binding steps that need a buffer; retried by poll() after no_buffer.
void ShmLink::retry_binding()
{
    if (state_ == State::announcing) {
        uint8_t ns[rpmsg::kNsMessageSize];
        (void)rpmsg::encode_ns(name_, kLocalAddress, rpmsg::kNsCreate, ns);
        if (transmit(rpmsg::kNsAddress, ns) == Status::ok) state_ = State::announced;
    } else if (state_ == State::answering) {
        if (transmit(peer_addr_, ByteSpan{}) == Status::ok) become_bound();
    }
}

void ShmLink::become_bound()
{
    state_ = State::bound;
    set_state_word(shm::SideState::bound);
    notify_bound();
}

size_t ShmLink::poll()
{
    // Detached with a region: another remote took the side over; nothing to
    // do until attach() takes it back.
    if (base_ == nullptr || polling_ || state_ == State::faulted || state_ == State::detached) {
        return 0;
    }
    polling_ = true;
    size_t handled = side_ == Side::primary ? poll_primary_control() : poll_remote_control();
    if (in_session()) handled += reclaim();
    if (in_session()) retry_binding();
    if (in_session()) {
        const size_t received = receive();
        handled += received;
        if (received > 0 && in_session()) {
            // Full fence: our used.idx store is ordered before reading the
            // peer's flag, pairing with the fence in want_returns(): either it
            // sees the buffers back or we see its request and ring. The flag
            // is only a hint; a wrong value costs the peer a ring or a wait.
            std::atomic_thread_fence(std::memory_order_seq_cst);
            const uint16_t flags =
                load<uint16_t>(base_, layout_.ring[shm::index(shm::other(side_))].avail +
                                          shm::ring_offset::kFlags);
            if ((flags & shm::kAvailFlagNoInterrupt) == 0) ring_peer();
        }
    }
    polling_ = false;
    return handled;
}

bool ShmLink::work_pending() const
{
    if (base_ == nullptr || state_ == State::faulted || state_ == State::detached) return false;
    if (side_ == Side::primary) {
        if (load<uint32_t>(base_, side_at(Side::remote, kEpochField)) != acked_epoch_) return true;
    } else {
        if (state_ == State::reattaching) {
            // A header to try: the first one, or one formatted after the one refused.
            return load<uint32_t>(base_, kMagicAt) == shm::kMagic &&
                   (!header_error_logged_ ||
                    load<uint32_t>(base_, kGenerationAt) != refused_generation_);
        }
        // (A take-over of our side is work too: poll() stops the link.)
        if (header_changed() || load<uint32_t>(base_, side_at(Side::remote, kTagField)) != tag_ ||
            load<uint32_t>(base_, side_at(Side::primary, kEpochField)) != primary_epoch_) {
            return true;
        }
        if (state_ == State::requesting) {
            return load<uint32_t>(base_, side_at(Side::primary, kAckField)) == requested_epoch_;
        }
    }
    if (!in_session()) return false;
    if ((state_ == State::announcing || state_ == State::answering) && free_count_ > 0) {
        return true;
    }
    const Side rx = shm::other(side_);
    return load<uint16_t>(base_, layout_.avail_idx(rx), kAcquire) != rx_last_avail_ ||
           load<uint16_t>(base_, layout_.used_idx(side_), kAcquire) != tx_last_used_;
}

// ---- sessions and resets (see amp/shm_layout.h) ----

bool ShmLink::in_session() const
{
    switch (state_) {
    case State::waiting:
    case State::answering:
    case State::announcing:
    case State::announced:
    case State::bound:
    case State::closed: return true;
    default: return false;
    }
}

// Remote: the primary re-formatted the region (or is doing it right now).
bool ShmLink::header_changed() const
{
    return load<uint32_t>(base_, kMagicAt, kAcquire) != shm::kMagic ||
           load<uint32_t>(base_, kGenerationAt) != generation_;
}

// Primary: a remote requests a session (it attached, or came back).
size_t ShmLink::poll_primary_control()
{
    // Acquire: pairs with the remote's release of its epoch: it has stopped
    // touching the rings before we clear them.
    const uint32_t epoch = load<uint32_t>(base_, side_at(Side::remote, kEpochField), kAcquire);
    if (epoch == acked_epoch_) return 0;
    if (in_session()) end_session("the remote attached again", true);
    start_session(epoch);
    return 1;
}

// Remote: follows the primary's re-formats, drops and answers.
size_t ShmLink::poll_remote_control()
{
    if (state_ == State::reattaching) {
        try_reattach();
        return state_ == State::reattaching ? 0 : 1;
    }
    if (header_changed()) {
        if (in_session()) end_session("the primary re-formatted the region", false);
        state_ = State::reattaching;
        try_reattach();
        return 1;
    }
    if (load<uint32_t>(base_, side_at(Side::remote, kTagField)) != tag_) {
        // Another remote took the side over (this one was believed gone):
        // the rings are its now. Stop; attach() again to take it back.
        if (in_session()) end_session("another remote took over the side", false);
        state_ = State::detached;
        log_line(log_, LogLevel::error, Line{} << "shm link: another remote took over the side");
        return 1;
    }
    if (load<uint32_t>(base_, side_at(Side::primary, kEpochField), kAcquire) != primary_epoch_) {
        if (in_session()) end_session("the primary dropped the link", true);
        request_session();
        return 1;
    }
    if (state_ != State::requesting) return 0;
    // Acquire: pairs with the primary's release of its ack: the cleared
    // rings are visible before we use them.
    if (load<uint32_t>(base_, side_at(Side::primary, kAckField), kAcquire) != requested_epoch_) {
        return 0;
    }
    start_session(requested_epoch_);
    return 1;
}

// Remote: attaches again to the region the primary re-formatted in place.
void ShmLink::try_reattach()
{
    HeaderInfo h;
    const Status st = read_header(base_, region_size_, !header_error_logged_, h);
    if (st == Status::not_found) return;  // still being formatted
    if (st != Status::ok) {
        header_error_logged_ = true;  // logged once; the platform may map a fresh region
        refused_generation_ = load<uint32_t>(base_, kGenerationAt);
        return;
    }
    if (!claim_side(base_, tag_, 0, true)) {
        if (!header_error_logged_) {
            log_line(log_, LogLevel::error,
                     Line{} << "shm link: the re-formatted region has another remote");
        }
        header_error_logged_ = true;
        refused_generation_ = h.generation;
        return;
    }
    use_header(base_, h);
    log_line(log_, LogLevel::info,
             Line{} << "shm link: attaching again (region generation " << generation_ << ')');
    request_session();
}

// Remote: asks the primary for fresh rings. From here on this side does not
// touch the rings until the primary answers.
void ShmLink::request_session()
{
    const uint32_t mine = load<uint32_t>(base_, side_at(Side::remote, kEpochField));
    const uint32_t acked = load<uint32_t>(base_, side_at(Side::primary, kAckField), kAcquire);
    requested_epoch_ = (mine > acked ? mine : acked) + 1;  // differs from what is acked
    primary_epoch_ = load<uint32_t>(base_, side_at(Side::primary, kEpochField), kAcquire);
    state_ = State::requesting;
    set_state_word(shm::SideState::ready);
    // Release: every ring access of the old session happens before the
    // primary sees the request and clears the rings.
    store<uint32_t>(base_, side_at(Side::remote, kEpochField), requested_epoch_, kRelease);
    ring_peer();
}

// Both rings empty, every buffer free: the start of a session. The primary
// clears the rings and answers the remote's request `epoch`.
void ShmLink::start_session(uint32_t epoch)
{
    reset_ring_state();
    bump(counters_.sessions);
    if (side_ == Side::remote) {
        state_ = State::announcing;
        retry_binding();
        return;
    }
    // The ring blocks of both directions are contiguous and 64-byte aligned.
    for (uint32_t off = layout_.ring[0].desc; off < layout_.buffers[0]; off += 4) {
        store<uint32_t>(base_, off, 0);
    }
    for (const Side s : {Side::primary, Side::remote}) {
        store<uint16_t>(base_, layout_.ring[shm::index(s)].avail + shm::ring_offset::kFlags,
                        shm::kAvailFlagNoInterrupt);
    }
    acked_epoch_ = epoch;
    state_ = State::waiting;
    set_state_word(shm::SideState::ready);
    // Release: the cleared rings are visible before the remote sees the ack.
    store<uint32_t>(base_, side_at(Side::primary, kAckField), epoch, kRelease);
    ring_peer();
}

// The session ends: what is left in the rings is stale and never delivered.
// The caller moves on (a new request, a re-attach, or idle).
void ShmLink::end_session(const char* why, bool rings_valid)
{
    uint32_t stale = in_flight_count_;
    if (rings_valid) {
        const uint16_t avail =
            load<uint16_t>(base_, layout_.avail_idx(shm::other(side_)), kAcquire);
        const uint16_t pending = avail - rx_last_avail_;
        stale += pending <= layout_.num_buffers ? pending : layout_.num_buffers;
    }
    bump(counters_.stale_dropped, stale);
    const bool was_bound = state_ == State::bound;
    if (was_bound || state_ == State::closed) bump(counters_.resets);
    state_ = side_ == Side::primary ? State::idle : State::requesting;
    Line l;
    l << "shm link: session ended (" << why << "), " << stale << " stale messages dropped";
    log_line(log_, was_bound ? LogLevel::warning : LogLevel::info, l);
    if (was_bound) notify_unbound();
}

void ShmLink::peer_lost()
{
    if (base_ == nullptr || !in_session()) return;
    end_session("peer lost", true);
    if (side_ == Side::remote) {
        request_session();
        return;
    }
    // Tells a remote that is still alive to request a new session.
    ++own_epoch_;
    set_state_word(shm::SideState::ready);
    store<uint32_t>(base_, side_at(Side::primary, kEpochField), own_epoch_, kRelease);
    ring_peer();
}

void ShmLink::reset_ring_state()
{
    const uint32_t num = layout_.num_buffers;
    for (uint32_t i = 0; i < num; ++i) free_[i] = static_cast<uint16_t>(num - 1 - i);
    free_count_ = num;
    for (uint32_t& w : in_flight_bits_) w = 0;
    in_flight_count_ = 0;
    tx_avail_idx_ = 0;
    tx_last_used_ = 0;
    returns_wanted_ = false;
    rx_last_avail_ = 0;
    rx_used_idx_ = 0;
    rx_used_published_ = 0;
    peer_addr_ = rpmsg::kAddrAny;
}

void ShmLink::want_returns(bool on)
{
    returns_wanted_ = on;
    store<uint16_t>(base_, layout_.ring[shm::index(side_)].avail + shm::ring_offset::kFlags,
                    on ? uint16_t{0} : shm::kAvailFlagNoInterrupt);
    // Full fence: the flag is visible before we re-read used.idx (see poll()).
    if (on) std::atomic_thread_fence(std::memory_order_seq_cst);
}

void ShmLink::ring_peer()
{
    bump(counters_.doorbells);
    doorbell_.ring();
}

void ShmLink::set_state_word(shm::SideState s)
{
    // Release: the peer that reads our state with acquire also sees what we
    // published before (e.g. the binding answer).
    store<uint32_t>(base_, side_at(side_, offsetof(SideBlock, state)), static_cast<uint32_t>(s),
                    kRelease);
}

void ShmLink::fail(ShmFault why, const Line& detail)
{
    if (region_reset_instead()) return;
    bump(counters_.faults);
    if (state_ == State::faulted) return;
    fault_ = why;
    state_ = State::faulted;
    set_state_word(shm::SideState::faulted);
    log_line(log_, LogLevel::error, detail);
    notify_unbound();
}

// Remote: what looked like a violation was the primary re-formatting the
// region under us (it restarted). That is a reset, not a fault.
bool ShmLink::region_reset_instead()
{
    if (side_ != Side::remote || state_ == State::faulted) return false;
    std::atomic_thread_fence(std::memory_order_seq_cst);  // see create()
    if (!header_changed()) return false;
    if (in_session()) end_session("the primary re-formatted the region", false);
    state_ = State::reattaching;
    return true;
}

void ShmLink::warn(const Line& detail)
{
    bump(counters_.rx_dropped);
    log_line(log_, LogLevel::warning, detail);
}

bool ShmLink::in_flight(uint32_t id) const
{
    return (in_flight_bits_[id / 32] >> (id % 32) & 1u) != 0;
}

void ShmLink::set_in_flight(uint32_t id, bool on)
{
    const uint32_t bit = 1u << (id % 32);
    if (on) {
        in_flight_bits_[id / 32] |= bit;
    } else {
        in_flight_bits_[id / 32] &= ~bit;
    }
}

ShmLinkCounters ShmLink::counters() const
{
    ShmLinkCounters c;
    c.tx_messages = counters_.tx_messages.load(kRelaxed);
    c.tx_bytes = counters_.tx_bytes.load(kRelaxed);
    c.rx_messages = counters_.rx_messages.load(kRelaxed);
    c.rx_bytes = counters_.rx_bytes.load(kRelaxed);
    c.no_buffer = counters_.no_buffer.load(kRelaxed);
    c.too_large = counters_.too_large.load(kRelaxed);
    c.rx_dropped = counters_.rx_dropped.load(kRelaxed);
    c.ns_ignored = counters_.ns_ignored.load(kRelaxed);
    c.doorbells = counters_.doorbells.load(kRelaxed);
    c.faults = counters_.faults.load(kRelaxed);
    c.resets = counters_.resets.load(kRelaxed);
    c.stale_dropped = counters_.stale_dropped.load(kRelaxed);
    c.sessions = counters_.sessions.load(kRelaxed);
    c.rx_empty = counters_.rx_empty.load(kRelaxed);
    return c;
}

shm::SideState ShmLink::peer_state() const
{
    if (base_ == nullptr) return shm::SideState::absent;
    return static_cast<shm::SideState>(
        load<uint32_t>(base_, side_at(shm::other(side_), offsetof(SideBlock, state)), kAcquire));
}

uint32_t ShmLink::peer_tag() const
{
    if (base_ == nullptr) return 0;
    return load<uint32_t>(base_, side_at(shm::other(side_), offsetof(SideBlock, tag)));
}

void ShmLink::set_tag(uint32_t tag)
{
    if (base_ != nullptr) store<uint32_t>(base_, side_at(side_, offsetof(SideBlock, tag)), tag);
}

}  // namespace amp
