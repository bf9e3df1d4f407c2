// FileReader and DirLister (sysfile.h): open/read/close and getdents64 over reused buffers.
#include "agents/linux/internal/sysfile.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace strix::agents::linuxhost::internal {

FileReader::FileReader(size_t initial_bytes, size_t max_bytes)
    : buf_(new char[initial_bytes]), cap_(initial_bytes), max_(max_bytes) {}

int FileReader::Open(const char* path, int* fd) {
  int f;
  do {
    f = ::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (f < 0 && errno == EINTR);
  if (f < 0) return errno;
  *fd = f;
  return 0;
}

void FileReader::Close(int fd) { ::close(fd); }

ptrdiff_t FileReader::ReadSome(int fd, char* buf, size_t n) {
  for (;;) {
    ssize_t r = ::read(fd, buf, n);
    if (r >= 0) return r;
    if (errno != EINTR) return -errno;
  }
}

int FileReader::ReadAll(const char* path, std::string_view* text) {
  int fd = 0;
  if (int err = Open(path, &fd); err != 0) return err;
  size_t len = 0;
  int result = 0;
  for (;;) {
    if (len == cap_) {
      if (cap_ >= max_) {
        result = EFBIG;
        break;
      }
      // Grow and keep reading: /proc's seq_file files continue from the file offset.
      size_t next = cap_ * 2 > max_ ? max_ : cap_ * 2;
      std::unique_ptr<char[]> bigger(new char[next]);
      std::memcpy(bigger.get(), buf_.get(), len);
      buf_ = std::move(bigger);
      cap_ = next;
    }
    ptrdiff_t n = ReadSome(fd, buf_.get() + len, cap_ - len);
    if (n < 0) {
      result = static_cast<int>(-n);
      break;
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  Close(fd);
  if (result == 0) *text = std::string_view(buf_.get(), len);
  return result;
}

DirLister::DirLister() : buf_(new char[kBufBytes]) {}

int DirLister::OpenDir(const char* path, int* fd) {
  int f;
  do {
    f = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (f < 0 && errno == EINTR);
  if (f < 0) return errno;
  *fd = f;
  return 0;
}

void DirLister::Close(int fd) { ::close(fd); }

ptrdiff_t DirLister::GetDents(int fd) {
  for (;;) {
    ssize_t r = ::getdents64(fd, buf_.get(), kBufBytes);
    if (r >= 0) return r;
    if (errno != EINTR) return -errno;
  }
}

size_t DirLister::Entry(size_t off, std::string_view* name, unsigned char* type) const {
  // struct dirent64: ino, off, reclen, type, then the NUL-terminated name.
  const auto* d = reinterpret_cast<const struct dirent64*>(buf_.get() + off);
  *name = std::string_view(d->d_name);
  *type = d->d_type;
  return off + d->d_reclen;
}

}  // namespace strix::agents::linuxhost::internal
