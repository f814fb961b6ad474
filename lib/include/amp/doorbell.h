// The doorbell of a shared-memory link: how one side tells the other "a ring
// in the shared region changed, have a look". On the board it is the MU
// mailbox, under QEMU an inter-core interrupt, on the host a futex word in the
// shared region. Ringing is all the library needs; waiting for the bell (an
// interrupt, a sleep, a spin) is the platform's job.
#pragma once

namespace amp {

class Doorbell {
public:
    /// Tells the peer that something changed. The link calls it after it has
    /// published the change (store-release of a ring index), from send() and
    /// poll(). Must not block; may skip the notification when the peer is not
    /// waiting (event suppression).
    virtual void ring() = 0;

protected:
    ~Doorbell() = default;
};

}  // namespace amp
