// POSIX shared memory for the virtual board: a named object (/dev/shm/NAME)
// mapped read-write into the process, as OCRAM is mapped into both cores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "amp/link.h"

namespace amp::host {

class ShmRegion {
public:
    ShmRegion() = default;
    ~ShmRegion();
    ShmRegion(ShmRegion&& other) noexcept;
    ShmRegion& operator=(ShmRegion&& other) noexcept;
    ShmRegion(const ShmRegion&) = delete;
    ShmRegion& operator=(const ShmRegion&) = delete;

    /// Creates the object exclusively with `size` zeroed bytes and maps it.
    /// nullopt if it already exists; throws std::runtime_error on other errors.
    static std::optional<ShmRegion> create(const std::string& name, size_t size);
    /// Maps an existing object; nullopt if there is none (or it is still
    /// empty, i.e. its creator has not sized it yet). Throws on other errors.
    static std::optional<ShmRegion> open(const std::string& name);
    /// Removes the name; true if it existed.
    static bool remove(const std::string& name);

    MutableByteSpan bytes() const { return {base_, size_}; }
    uint8_t* base() const { return base_; }
    size_t size() const { return size_; }
    const std::string& name() const { return name_; }
    /// Remove the name when this mapping is destroyed (the creator's job).
    void remove_on_close(bool on) { remove_on_close_ = on; }
    /// True while the name still refers to the object this maps (false once
    /// it was removed, or removed and created again by someone else).
    bool is_current() const;

private:
    void reset();

    std::string name_;
    uint8_t* base_ = nullptr;
    size_t size_ = 0;
    bool remove_on_close_ = false;
    uint64_t dev_ = 0;  // identity of the mapped object
    uint64_t ino_ = 0;
};

/// The POSIX name ("/amp-board") for a board name ("amp-board").
std::string shm_object_name(const std::string& name);
/// Where Linux shows the object ("/dev/shm/amp-board"), for messages.
std::string shm_file_path(const std::string& name);
/// True when a process with this id exists (it may belong to another user).
bool process_alive(uint32_t pid);

}  // namespace amp::host
