// The little C++ ABI support the images need from outside libsupc++.
//
// A class with pure virtual functions has a vtable whose empty slots point at
// __cxa_pure_virtual. The library's interfaces (Endpoint, EndpointListener,
// Clock, LogSink) are such classes; at -Os their vtables are usually not
// emitted at all, but at -O0, or when a constructor is not inlined, they are,
// and the slot needs a definition. libsupc++'s one calls std::terminate,
// which links the verbose terminate handler and with it exception support,
// demangler and stdio (see the README, "Cortex-M builds"). A call through such
// a slot can only be a bug (a virtual call from a base constructor or
// destructor), so, like Zephyr's C++ ABI support, we just stop there.
#include "runtime.h"

extern "C" {

[[noreturn]] void __cxa_pure_virtual()
{
    amp_target_fatal("pure virtual function called");
}

[[noreturn]] void __cxa_deleted_virtual()
{
    amp_target_fatal("deleted virtual function called");
}

// Handle of this image for __cxa_atexit (crtbegin.o, which defines it
// normally, is not linked).
void* __dso_handle = nullptr;

}  // extern "C"
