// Reading kernel files and directories without per-call allocation: FileReader reads a
// /proc or /sys file with plain open()/read() into one buffer that is kept between rounds
// (grown when a file does not fit, never shrunk), and DirLister lists a directory with
// getdents64 into a fixed buffer. Errors are returned as errno values, because the caller
// tells "absent" (ENOENT: a gap, not an error) from "broken" (anything else).
//
// Thread-safety: not thread-safe; each LinuxInput owns its own.
#pragma once

#include <cerrno>
#include <cstddef>
#include <memory>
#include <string_view>

namespace strix::agents::linuxhost::internal {

class FileReader {
 public:
  // Files larger than max_bytes fail with EFBIG rather than grow the buffer further.
  explicit FileReader(size_t initial_bytes = 16 << 10, size_t max_bytes = 16 << 20);
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // Reads the whole file. On 0, *text views the buffer until the next call.
  int ReadAll(const char* path, std::string_view* text);

  // Reads the file chunk by chunk (at most the buffer's size each) and hands every chunk
  // to fn(std::string_view) -> bool; returns ECANCELED as soon as fn returns false.
  template <typename Fn>
  int Stream(const char* path, Fn&& fn) {
    int fd = 0;
    if (int err = Open(path, &fd); err != 0) return err;
    int result = 0;
    for (;;) {
      ptrdiff_t n = ReadSome(fd, buf_.get(), cap_);
      if (n < 0) {
        result = static_cast<int>(-n);
        break;
      }
      if (n == 0) break;
      if (!fn(std::string_view(buf_.get(), static_cast<size_t>(n)))) {
        result = ECANCELED;
        break;
      }
    }
    Close(fd);
    return result;
  }

  size_t capacity() const { return cap_; }

 private:
  static int Open(const char* path, int* fd);
  static void Close(int fd);
  // read() retried on EINTR: bytes read, 0 at end, or -errno.
  static ptrdiff_t ReadSome(int fd, char* buf, size_t n);

  std::unique_ptr<char[]> buf_;
  size_t cap_;
  size_t max_;
};

class DirLister {
 public:
  DirLister();
  DirLister(const DirLister&) = delete;
  DirLister& operator=(const DirLister&) = delete;

  // Calls fn(std::string_view name, unsigned char d_type) for every entry but "." and
  // "..". The name is valid during the call only. Returns 0 or an errno.
  template <typename Fn>
  int List(const char* path, Fn&& fn) {
    int fd = 0;
    if (int err = OpenDir(path, &fd); err != 0) return err;
    int result = 0;
    for (;;) {
      ptrdiff_t n = GetDents(fd);
      if (n < 0) {
        result = static_cast<int>(-n);
        break;
      }
      if (n == 0) break;
      size_t off = 0;
      while (off < static_cast<size_t>(n)) {
        std::string_view name;
        unsigned char type = 0;
        off = Entry(off, &name, &type);
        if (name == "." || name == "..") continue;
        fn(name, type);
      }
    }
    Close(fd);
    return result;
  }

 private:
  static constexpr size_t kBufBytes = 16 << 10;
  static int OpenDir(const char* path, int* fd);
  static void Close(int fd);
  ptrdiff_t GetDents(int fd);
  // Decodes the record at `off`; returns the offset of the next one.
  size_t Entry(size_t off, std::string_view* name, unsigned char* type) const;

  std::unique_ptr<char[]> buf_;
};

}  // namespace strix::agents::linuxhost::internal
