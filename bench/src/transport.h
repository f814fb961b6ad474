// The one shape every measured IPC mechanism takes, so that the drivers
// (round trip, one-way stream) are written once and a new mechanism is one
// more class in one more file.
//
// Life of a transport in a measurement:
//   1. the registry makes it (cheap: no resources yet),
//   2. open()          in the parent, before fork(): create what both share,
//   3. fork(); each process pins itself to its core,
//   4. attach(side)    in each process: keep its own ends, wait for the peer,
//   5. send()/receive() as the driver drives them,
//   6. close()         in each process before it exits.
// The parent is the measuring side (the CM7's role: it creates shared
// memory); the child echoes (round trip) or consumes (stream).
//
// Host benchmark code: the heap, std::function and virtual destructors are
// fine here (the freestanding rules are for lib/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace amp::bench {

using Bytes = std::span<const uint8_t>;

enum class Side { parent, child };

/// What a driver tells the transport before open().
struct TransportOptions {
    std::string unique_name;   ///< usable for shm names etc., unique per run
    bool shared_core = false;  ///< both processes may share one CPU: do not spin forever
    size_t payload_size = 0;   ///< the size this run uses (<= max_payload())
};

/// Called once per received message; `message` is valid only during the call.
/// The callback may call send() on the same transport (the echo does).
using OnMessage = std::function<void(Bytes message)>;

class Transport {
public:
    virtual ~Transport() = default;

    /// Largest payload one message carries, in bytes.
    virtual size_t max_payload() const = 0;
    /// False when only one message may be in flight (a single mailbox):
    /// such a transport takes part in round trips only.
    virtual bool streams() const { return true; }

    /// Before fork(). On failure, describe it in `error`.
    virtual bool open(const TransportOptions& options, std::string& error) = 0;
    /// After fork(), in each process; returns once the peer is reachable.
    virtual bool attach(Side side, std::string& error) = 0;
    /// Sends one message, waiting the transport's own way (spin, sleep, a
    /// blocking call) while no buffer is free. False on a broken transport.
    virtual bool send(Bytes message) = 0;
    /// Waits for at least one message and hands it to `on_message`; a
    /// transport that batches may hand over more that are already there, in
    /// order. Returns how many, or -1 on a broken transport.
    virtual int receive(const OnMessage& on_message) = 0;
    /// In each process before it exits.
    virtual void close() {}
};

// ---- registry -------------------------------------------------------------

struct TransportInfo {
    std::string name;   ///< e.g. "socketpair", "amp_adaptive"
    std::string about;  ///< one line for `amp-bench list` and the report
    std::function<std::unique_ptr<Transport>()> make;
};

/// Every registered transport, in registration order.
std::vector<TransportInfo>& transports();
const TransportInfo* find_transport(const std::string& name);

/// Registers a transport from a static object in its source file:
///   static const amp::bench::RegisterTransport reg{"name", "about", [] { ... }};
struct RegisterTransport {
    RegisterTransport(std::string name, std::string about,
                      std::function<std::unique_ptr<Transport>()> make)
    {
        transports().push_back({std::move(name), std::move(about), std::move(make)});
    }
};

}  // namespace amp::bench
