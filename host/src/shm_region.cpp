#include "amp_host/shm_region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace amp::host {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& name)
{
    throw std::runtime_error(what + " " + shm_file_path(name) + ": " + std::strerror(errno));
}

}  // namespace

std::string shm_object_name(const std::string& name)
{
    return name.rfind('/', 0) == 0 ? name : "/" + name;
}

std::string shm_file_path(const std::string& name)
{
    return "/dev/shm" + shm_object_name(name);
}

bool process_alive(uint32_t pid)
{
    if (pid == 0 || pid > static_cast<uint32_t>(INT32_MAX)) return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

ShmRegion::~ShmRegion()
{
    reset();
}

ShmRegion::ShmRegion(ShmRegion&& other) noexcept
    : name_(std::move(other.name_)),
      base_(std::exchange(other.base_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      remove_on_close_(std::exchange(other.remove_on_close_, false)),
      dev_(other.dev_),
      ino_(other.ino_)
{
}

ShmRegion& ShmRegion::operator=(ShmRegion&& other) noexcept
{
    if (this != &other) {
        reset();
        name_ = std::move(other.name_);
        base_ = std::exchange(other.base_, nullptr);
        size_ = std::exchange(other.size_, 0);
        remove_on_close_ = std::exchange(other.remove_on_close_, false);
        dev_ = other.dev_;
        ino_ = other.ino_;
    }
    return *this;
}

void ShmRegion::reset()
{
    if (base_ != nullptr) ::munmap(base_, size_);
    if (remove_on_close_) remove(name_);
    base_ = nullptr;
    size_ = 0;
    remove_on_close_ = false;
}

std::optional<ShmRegion> ShmRegion::create(const std::string& name, size_t size)
{
    const std::string obj = shm_object_name(name);
    const int fd = ::shm_open(obj.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return std::nullopt;
        fail("cannot create", name);
    }
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
        const int err = errno;
        ::close(fd);
        ::shm_unlink(obj.c_str());
        errno = err;
        fail("cannot size", name);
    }
    struct stat st {};
    ::fstat(fd, &st);
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const int err = errno;
    ::close(fd);
    if (p == MAP_FAILED) {
        ::shm_unlink(obj.c_str());
        errno = err;
        fail("cannot map", name);
    }
    ShmRegion r;
    r.dev_ = st.st_dev;
    r.ino_ = st.st_ino;
    r.name_ = name;
    r.base_ = static_cast<uint8_t*>(p);
    r.size_ = size;
    return r;
}

std::optional<ShmRegion> ShmRegion::open(const std::string& name)
{
    const std::string obj = shm_object_name(name);
    const int fd = ::shm_open(obj.c_str(), O_RDWR, 0);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        fail("cannot open", name);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
        ::close(fd);
        return std::nullopt;
    }
    const auto size = static_cast<size_t>(st.st_size);
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const int err = errno;
    ::close(fd);
    if (p == MAP_FAILED) {
        errno = err;
        fail("cannot map", name);
    }
    ShmRegion r;
    r.dev_ = st.st_dev;
    r.ino_ = st.st_ino;
    r.name_ = name;
    r.base_ = static_cast<uint8_t*>(p);
    r.size_ = size;
    return r;
}

bool ShmRegion::is_current() const
{
    if (base_ == nullptr) return false;
    const int fd = ::shm_open(shm_object_name(name_).c_str(), O_RDONLY, 0);
    if (fd < 0) return false;
    struct stat st {};
    const bool same = ::fstat(fd, &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_;
    ::close(fd);
    return same;
}

bool ShmRegion::remove(const std::string& name)
{
    return ::shm_unlink(shm_object_name(name).c_str()) == 0;
}

}  // namespace amp::host
