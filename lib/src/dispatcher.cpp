#include "amp/dispatcher.h"

namespace amp {

const Dispatcher::Entry* Dispatcher::find(uint8_t type) const
{
    if (type == 0) return nullptr;
    for (const Entry& e : entries_) {
        if (e.type == type) return &e;
    }
    return nullptr;
}

bool Dispatcher::has(uint8_t type) const
{
    return find(type) != nullptr;
}

Status Dispatcher::invoke_raw(AnyFn fn, void* context, const Frame& frame, Channel* /*channel*/)
{
    reinterpret_cast<Handler>(fn)(context, frame);
    return Status::ok;
}

Status Dispatcher::add(uint8_t type, Handler handler, void* context)
{
    if (handler == nullptr) return Status::invalid_argument;
    return add_invoker(type, &invoke_raw, reinterpret_cast<AnyFn>(handler), context);
}

Status Dispatcher::add_invoker(uint8_t type, Invoker invoker, AnyFn fn, void* context)
{
    if (type == 0 || invoker == nullptr || fn == nullptr) return Status::invalid_argument;
    if (find(type) != nullptr) return Status::busy;
    for (Entry& e : entries_) {
        if (e.type == 0) {
            e = Entry{invoker, fn, context, type};
            return Status::ok;
        }
    }
    return Status::table_full;
}

Status Dispatcher::remove(uint8_t type)
{
    for (Entry& e : entries_) {
        if (type != 0 && e.type == type) {
            e = Entry{};
            return Status::ok;
        }
    }
    return Status::not_found;
}

Status Dispatcher::dispatch(const Frame& frame, Channel* channel) const
{
    const Entry* e = find(frame.header.type);
    if (e == nullptr) return Status::unknown_type;
    return e->invoker(e->fn, e->context, frame, channel);
}

}  // namespace amp
