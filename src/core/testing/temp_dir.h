// TempDir: a fresh directory under $TMPDIR (or /tmp) for one test, removed with its
// contents when the object dies (kept if STRIX_KEEP_TEST_DIRS is set, for debugging).
#pragma once

#include <cstdlib>
#include <string>

#include "core/check.h"
#include "core/env.h"

namespace strix::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/strix-test-XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    STRIX_CHECK_MSG(p != nullptr, "mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    if (std::getenv("STRIX_KEEP_TEST_DIRS") == nullptr)
      RemoveAll(Env::Default(), path_).IgnoreError();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return JoinPath(path_, name); }

 private:
  std::string path_;
};

}  // namespace strix::testing
