// Transport "channel_socketpair": the library (amp::Channel) over a
// non-blocking SOCK_SEQPACKET socketpair driven like any poll()-based link:
// send() fails with no_buffer when the socket is full, poll() drains what has
// arrived, wait() sleeps in poll(2). Set beside the raw socketpair, it shows
// what the library adds on a socket; it is also the working example of a
// LinkPort (bench/src/channel_link.h).
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "channel_link.h"

namespace amp::bench {
namespace {

constexpr size_t kMessageSize = kMaxMessageSize;  // 496, as the shared-memory link

class SeqpacketEndpoint final : public Endpoint {
public:
    Status send(ByteSpan data) override
    {
        if (!bound_) return Status::not_bound;
        if (data.size() > kMessageSize) return Status::too_large;
        for (;;) {
            const ssize_t n = ::send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n == static_cast<ssize_t>(data.size())) return Status::ok;
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Status::no_buffer;
            return Status::faulted;
        }
    }
    size_t max_message_size() const override { return kMessageSize; }
    bool is_bound() const override { return bound_; }

    // The socket is connected from the start: bound at the first poll.
    int poll()
    {
        int did = 0;
        if (!bound_) {
            bound_ = true;
            notify_bound();
            ++did;
        }
        for (int i = 0; i < 64; ++i) {  // a batch, then let the caller breathe
            const ssize_t n = ::recv(fd, buf_, sizeof buf_, MSG_DONTWAIT);
            if (n > 0) {
                notify_received(ByteSpan{buf_, static_cast<size_t>(n)});
                ++did;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            return did > 0 ? did : -1;  // 0: the peer closed (after its last message)
        }
        return did;
    }

    int fd = -1;

private:
    bool bound_ = false;
    uint8_t buf_[kMessageSize];
};

class SocketpairPort final : public LinkPort {
public:
    size_t max_message_size() const override { return kMessageSize; }

    bool open(const TransportOptions&, std::string& error) override
    {
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds_) != 0) {
            error = std::string("socketpair: ") + std::strerror(errno);
            return false;
        }
        return true;
    }

    bool attach(Side side, std::string&) override
    {
        const int mine = side == Side::parent ? 0 : 1;
        ::close(fds_[1 - mine]);
        fds_[1 - mine] = -1;
        ep_.fd = fds_[mine];
        return true;
    }

    Endpoint& endpoint() override { return ep_; }
    int poll() override { return ep_.poll(); }

    bool wait(WaitFor what) override
    {
        pollfd p{ep_.fd, static_cast<short>(what == WaitFor::message ? POLLIN : POLLOUT), 0};
        const int n = ::poll(&p, 1, 100);
        if (n < 0 && errno != EINTR) return false;
        return (p.revents & (POLLERR | POLLNVAL)) == 0;
    }

    void close() override
    {
        for (int& fd : fds_) {
            if (fd >= 0) ::close(fd);
            fd = -1;
        }
        ep_.fd = -1;
    }

private:
    int fds_[2] = {-1, -1};
    SeqpacketEndpoint ep_;
};

const RegisterTransport kChannelSocketpair{
    "channel_socketpair",
    "amp::Channel over a non-blocking SOCK_SEQPACKET socketpair (poll + recv)",
    [] { return std::make_unique<ChannelTransport>(std::make_unique<SocketpairPort>()); }};

}  // namespace
}  // namespace amp::bench
