// The dispatcher: one handler per message type. A frame whose type has no
// handler is refused with unknown_type (the channel counts and logs it).
#pragma once

#include <array>
#include <cstdint>

#include "amp/config.h"
#include "amp/status.h"
#include "amp/wire.h"

namespace amp {

class Dispatcher {
public:
    using Handler = void (*)(void* context, const Frame& frame);

    /// Errors: invalid_argument (type 0 or null handler), busy (type already
    /// has a handler), table_full.
    Status add(uint8_t type, Handler handler, void* context);
    /// Removes the handler of `type`. Errors: not_found.
    Status remove(uint8_t type);
    /// Calls the handler of the frame's type. Errors: unknown_type.
    Status dispatch(const Frame& frame) const;
    bool has(uint8_t type) const;

private:
    struct Entry {
        Handler handler = nullptr;
        void* context = nullptr;
        uint8_t type = 0;  // 0: free slot
    };
    const Entry* find(uint8_t type) const;

    std::array<Entry, config::kMaxHandlers> entries_{};
};

}  // namespace amp
