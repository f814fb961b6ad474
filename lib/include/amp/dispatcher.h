// The dispatcher: one handler per message type. A frame whose type has no
// handler is refused with unknown_type (the channel counts and logs it).
//
// A handler is raw (it gets the frame) or typed (it gets the payload decoded
// as a Message type; a payload of another length is refused with wrong_size
// and the handler is not called). Services (amp/rpc.h) register the same way.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "amp/config.h"
#include "amp/status.h"
#include "amp/typed.h"
#include "amp/wire.h"

namespace amp {

class Channel;

class Dispatcher {
public:
    using Handler = void (*)(void* context, const Frame& frame);
    template <Message T>
    using TypedHandler = void (*)(void* context, const T& message);

    /// Any function pointer, stored type-erased and cast back by its invoker.
    using AnyFn = void (*)();
    /// Decodes `frame` for the handler `fn` and calls it. `channel` is the
    /// channel the frame arrived on (null when dispatched by hand).
    using Invoker = Status (*)(AnyFn fn, void* context, const Frame& frame, Channel* channel);

    /// Errors: invalid_argument (type 0 or null handler), busy (type already
    /// has a handler), table_full.
    Status add(uint8_t type, Handler handler, void* context);

    /// Typed handler for T::kType: `d.add<SetLed>(&on_set_led, this)`.
    template <Message T>
    Status add(TypedHandler<T> handler, void* context)
    {
        if (handler == nullptr) return Status::invalid_argument;
        return add_invoker(T::kType, &invoke_typed<T>, reinterpret_cast<AnyFn>(handler), context);
    }

    /// The general form the two above use (and amp::serve()).
    Status add_invoker(uint8_t type, Invoker invoker, AnyFn fn, void* context);

    /// Removes the handler of `type`. Errors: not_found.
    Status remove(uint8_t type);
    /// Calls the handler of the frame's type. Errors: unknown_type, and what
    /// the handler refuses (wrong_size for a typed one).
    Status dispatch(const Frame& frame, Channel* channel = nullptr) const;
    bool has(uint8_t type) const;

    /// RAM of the handler table (AMP_CONFIG_MAX_HANDLERS entries).
    static constexpr size_t table_bytes() { return sizeof(types_) + sizeof(entries_); }

private:
    struct Entry {
        Invoker invoker = nullptr;
        AnyFn fn = nullptr;
        void* context = nullptr;
    };
    /// Index of the first entry of `type` (0: a free one), kMaxHandlers if none.
    size_t find(uint8_t type) const;
    size_t entry_of(uint8_t type) const;

    static Status invoke_raw(AnyFn fn, void* context, const Frame& frame, Channel* channel);

    template <Message T>
    static Status invoke_typed(AnyFn fn, void* context, const Frame& frame, Channel* /*channel*/)
    {
        T message;
        if (decode_as(frame.payload, message) != Status::ok) return Status::wrong_size;
        reinterpret_cast<TypedHandler<T>>(fn)(context, message);
        return Status::ok;
    }

    // The types apart from the entries: no padding per entry.
    std::array<uint8_t, config::kMaxHandlers> types_{};  // 0: free entry
    std::array<Entry, config::kMaxHandlers> entries_{};
};

}  // namespace amp
