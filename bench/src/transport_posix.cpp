// The baselines: what a host user would otherwise reach for, and the limits
// of the machine.
//   socketpair  UNIX SOCK_SEQPACKET socketpair (message boundaries kept)
//   eventfd     a shared mailbox per direction plus an eventfd doorbell:
//               the floor for anything that sleeps while it waits
//   spin_line   both sides spin on one shared cache line that also carries
//               the payload: the physical floor of a round trip
#include <errno.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "transport.h"
#include "util.h"

namespace amp::bench {
namespace {

constexpr size_t kMaxPayload = 496;  // the link's largest message

std::string errno_text(const char* what)
{
    return std::string(what) + ": " + std::strerror(errno);
}

// Anonymous shared memory made before fork() is shared with the child.
void* map_shared(size_t size)
{
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

// ---- socketpair -------------------------------------------------------------

class Socketpair final : public Transport {
public:
    ~Socketpair() override { close(); }
    size_t max_payload() const override { return kMaxPayload; }

    bool open(const TransportOptions&, std::string& error) override
    {
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds_) != 0) {
            error = errno_text("socketpair");
            return false;
        }
        return true;
    }

    bool attach(Side side, std::string&) override
    {
        const int mine = side == Side::parent ? 0 : 1;
        ::close(fds_[1 - mine]);
        fds_[1 - mine] = -1;
        fd_ = fds_[mine];
        return true;
    }

    bool send(Bytes m) override
    {
        for (;;) {
            const ssize_t n = ::send(fd_, m.data(), m.size(), MSG_NOSIGNAL);
            if (n == static_cast<ssize_t>(m.size())) return true;
            if (n < 0 && errno == EINTR) continue;
            return false;
        }
    }

    int receive(const OnMessage& on_message) override
    {
        for (;;) {
            const ssize_t n = ::recv(fd_, buf_, sizeof buf_, 0);
            if (n > 0) {
                on_message(Bytes{buf_, static_cast<size_t>(n)});
                return 1;
            }
            if (n < 0 && errno == EINTR) continue;
            return -1;  // 0: the peer closed
        }
    }

    void close() override
    {
        for (int& fd : fds_) {
            if (fd >= 0) ::close(fd);
            fd = -1;
        }
        fd_ = -1;
    }

private:
    int fds_[2] = {-1, -1};
    int fd_ = -1;
    uint8_t buf_[4096];
};

// ---- eventfd ----------------------------------------------------------------

class Eventfd final : public Transport {
public:
    ~Eventfd() override { close(); }
    size_t max_payload() const override { return kMaxPayload; }
    bool streams() const override { return false; }

    bool open(const TransportOptions&, std::string& error) override
    {
        boxes_ = static_cast<Mailbox*>(map_shared(2 * sizeof(Mailbox)));
        if (boxes_ == nullptr) {
            error = errno_text("mmap");
            return false;
        }
        for (int& fd : doorbell_) {
            fd = eventfd(0, EFD_CLOEXEC);
            if (fd < 0) {
                error = errno_text("eventfd");
                return false;
            }
        }
        return true;
    }

    bool attach(Side side, std::string&) override
    {
        tx_ = side == Side::parent ? 0 : 1;  // mailbox/doorbell 0: parent -> child
        return true;
    }

    bool send(Bytes m) override
    {
        Mailbox& box = boxes_[tx_];
        std::memcpy(box.data, m.data(), m.size());
        box.size = static_cast<uint32_t>(m.size());
        const uint64_t one = 1;
        for (;;) {  // the write is a system call: a full barrier
            if (write(doorbell_[tx_], &one, sizeof one) == sizeof one) return true;
            if (errno != EINTR) return false;
        }
    }

    int receive(const OnMessage& on_message) override
    {
        const int rx = 1 - tx_;
        uint64_t count = 0;
        for (;;) {
            if (read(doorbell_[rx], &count, sizeof count) == sizeof count) break;
            if (errno != EINTR) return -1;
        }
        const Mailbox& box = boxes_[rx];
        if (box.size > kMaxPayload) return -1;
        on_message(Bytes{box.data, box.size});
        return 1;
    }

    void close() override
    {
        for (int& fd : doorbell_) {
            if (fd >= 0) ::close(fd);
            fd = -1;
        }
        if (boxes_ != nullptr) munmap(boxes_, 2 * sizeof(Mailbox));
        boxes_ = nullptr;
    }

private:
    struct alignas(64) Mailbox {
        uint32_t size;
        uint8_t data[kMaxPayload];
    };
    Mailbox* boxes_ = nullptr;
    int doorbell_[2] = {-1, -1};
    int tx_ = 0;
};

// ---- spin_line ----------------------------------------------------------------

class SpinLine final : public Transport {
public:
    ~SpinLine() override { close(); }
    size_t max_payload() const override { return sizeof(Line::data); }
    bool streams() const override { return false; }

    bool open(const TransportOptions& options, std::string& error) override
    {
        shared_core_ = options.shared_core;
        line_ = static_cast<Line*>(map_shared(sizeof(Line)));
        if (line_ == nullptr) {
            error = errno_text("mmap");
            return false;
        }
        return true;
    }

    bool attach(Side, std::string&) override { return true; }

    // The turn counter alternates: the parent writes odd values, the child
    // even ones; each side waits for the value after the one it last saw.
    bool send(Bytes m) override
    {
        if (m.data() != line_->data) std::memcpy(line_->data, m.data(), m.size());
        line_->size = static_cast<uint32_t>(m.size());
        line_->turn.store(++turn_, std::memory_order_release);
        return true;
    }

    int receive(const OnMessage& on_message) override
    {
        const uint32_t want = turn_ + 1;
        for (uint32_t spins = 0; line_->turn.load(std::memory_order_acquire) != want; ++spins) {
            cpu_relax();
            if (shared_core_ && (spins & 1023u) == 1023u) sched_yield();
        }
        turn_ = want;
        if (line_->size > sizeof(Line::data)) return -1;
        on_message(Bytes{line_->data, line_->size});
        return 1;
    }

    void close() override
    {
        if (line_ != nullptr) munmap(line_, sizeof(Line));
        line_ = nullptr;
    }

private:
    struct alignas(64) Line {
        std::atomic<uint32_t> turn;
        uint32_t size;
        uint8_t data[56];
    };
    static_assert(sizeof(Line) == 64, "one cache line");

    Line* line_ = nullptr;
    uint32_t turn_ = 0;
    bool shared_core_ = false;
};

const RegisterTransport kSocketpair{"socketpair",
                                    "UNIX SOCK_SEQPACKET socketpair, blocking send/recv",
                                    [] { return std::make_unique<Socketpair>(); }};
const RegisterTransport kEventfd{
    "eventfd", "shared mailbox + eventfd doorbell per direction (floor for sleeping waits)",
    [] { return std::make_unique<Eventfd>(); }};
const RegisterTransport kSpinLine{
    "spin_line", "both sides spin on one shared cache line carrying the payload (physical floor)",
    [] { return std::make_unique<SpinLine>(); }};

}  // namespace
}  // namespace amp::bench
