// RAM of the protocol stack's objects on this core, for `make size`. The
// library has no static state: its RAM is the objects a firmware declares
// (one Channel per endpoint and, on it, an RpcClient, Streams and a
// Supervisor). Each symbol below is as large as one part of them;
// scripts/size-report.sh reads the sizes with `nm -S`. No image links this.
//   amp_ram_<Object>          the object's own state: counted in the budget
//   amp_table_<Object>_<NAME> a table inside it whose capacity the user sets
//                             (AMP_CONFIG_<NAME> in amp/config.h): listed
//                             apart, not in the budget
// An object splits its tables out with a public `static constexpr size_t
// table_bytes()`; without one, all of it counts as state.
#include <cstddef>

#include "amp/channel.h"
#include "amp/dispatcher.h"
#include "amp/rpc.h"
#include "amp/stream.h"
#include "amp/supervisor.h"

namespace {

template <typename T>
constexpr size_t table_bytes()
{
    if constexpr (requires { T::table_bytes(); }) {
        return T::table_bytes();
    } else {
        return 0;
    }
}

}  // namespace

// A symbol of `bytes` + 1 bytes (no symbol can be empty): the report
// subtracts the 1.
#define AMP_SIZE_OF(name, bytes) extern "C" const unsigned char name[(bytes) + 1] = {}

AMP_SIZE_OF(amp_ram_Channel, sizeof(amp::Channel) - table_bytes<amp::Dispatcher>());
AMP_SIZE_OF(amp_table_Channel_MAX_HANDLERS, table_bytes<amp::Dispatcher>());
AMP_SIZE_OF(amp_ram_RpcClient, sizeof(amp::RpcClient) - table_bytes<amp::RpcClient>());
AMP_SIZE_OF(amp_table_RpcClient_MAX_PENDING, table_bytes<amp::RpcClient>());
AMP_SIZE_OF(amp_ram_Streams, sizeof(amp::Streams) - table_bytes<amp::Streams>());
AMP_SIZE_OF(amp_table_Streams_MAX_STREAMS, table_bytes<amp::Streams>());
AMP_SIZE_OF(amp_ram_Supervisor, sizeof(amp::Supervisor) - table_bytes<amp::Supervisor>());
