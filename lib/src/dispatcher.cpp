#include "amp/dispatcher.h"

namespace amp {

size_t Dispatcher::find(uint8_t type) const
{
    size_t i = 0;
    while (i < types_.size() && types_[i] != type) ++i;
    return i;
}

// The entry of a handled type (never type 0), kMaxHandlers if none.
size_t Dispatcher::entry_of(uint8_t type) const
{
    return type == 0 ? types_.size() : find(type);
}

bool Dispatcher::has(uint8_t type) const
{
    return entry_of(type) < types_.size();
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
    if (has(type)) return Status::busy;
    const size_t i = find(0);
    if (i == types_.size()) return Status::table_full;
    entries_[i] = Entry{invoker, fn, context};
    types_[i] = type;
    return Status::ok;
}

Status Dispatcher::remove(uint8_t type)
{
    const size_t i = entry_of(type);
    if (i == types_.size()) return Status::not_found;
    types_[i] = 0;
    return Status::ok;
}

Status Dispatcher::dispatch(const Frame& frame, Channel* channel) const
{
    const size_t i = entry_of(frame.header.type);
    if (i == types_.size()) return Status::unknown_type;
    const Entry& e = entries_[i];
    return e.invoker(e.fn, e.context, frame, channel);
}

}  // namespace amp
