// Logging: a constant message, then key=value pairs (prometheus style), on spdlog.
//
//   STRIX_LOG(kWarn, "wal: truncated torn tail", "segment", seg, "offset", off);
//   -> 2026-11-22T03:10:00.123Z warn wal: truncated torn tail segment=3 offset=4096
//
// Values are formatted with libfmt; strings holding spaces, quotes or '=' are quoted.
// The arguments are not evaluated when the level is disabled. Nothing is logged per
// sample: repeated events become self-metrics instead.
//
// Thread-safety: logging and SetLevel may be called from any thread; Init* and
// LogCapture are for start-up and tests, with no concurrent logging.
#pragma once

#include <fmt/format.h>

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace strix {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

namespace log {

// "debug", "info", "warn" (or "warning"), "error".
Result<LogLevel> ParseLevel(std::string_view name);
std::string_view LevelName(LogLevel level);

void SetLevel(LogLevel level);
LogLevel GetLevel();
inline bool Enabled(LogLevel level);

// Log to stderr (the default) or to a file rotated at max_bytes, keeping `files` old ones.
void InitStderr();
Status InitFile(const std::string& path, size_t max_bytes, size_t files);

// Writes one finished line at `level`.
void Write(LogLevel level, std::string_view line);

// Collects the lines logged while it lives (tests).
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  // The lines so far, without timestamps: "warn wal: truncated torn tail segment=3".
  std::vector<std::string> Lines() const;
  bool Contains(std::string_view needle) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

namespace internal {

extern int g_level;

void AppendQuoted(fmt::memory_buffer* out, std::string_view s);

template <typename V>
void AppendValue(fmt::memory_buffer* out, const V& v) {
  if constexpr (std::is_convertible_v<const V&, std::string_view>) {
    AppendQuoted(out, std::string_view(v));
  } else if constexpr (std::is_same_v<V, Status>) {
    AppendQuoted(out, v.ToString());
  } else if constexpr (std::is_same_v<V, bool>) {
    fmt::format_to(std::back_inserter(*out), "{}", v ? "true" : "false");
  } else {
    fmt::format_to(std::back_inserter(*out), "{}", v);
  }
}

inline void AppendPairs(fmt::memory_buffer*) {}

template <typename K, typename V, typename... Rest>
void AppendPairs(fmt::memory_buffer* out, const K& key, const V& value, const Rest&... rest) {
  out->push_back(' ');
  std::string_view k(key);
  out->append(k.data(), k.data() + k.size());
  out->push_back('=');
  AppendValue(out, value);
  AppendPairs(out, rest...);
}

}  // namespace internal

inline bool Enabled(LogLevel level) { return static_cast<int>(level) >= internal::g_level; }

template <typename... KV>
void Log(LogLevel level, std::string_view msg, const KV&... kv) {
  static_assert(sizeof...(KV) % 2 == 0, "STRIX_LOG takes a message, then key, value pairs");
  fmt::memory_buffer buf;
  buf.append(msg.data(), msg.data() + msg.size());
  internal::AppendPairs(&buf, kv...);
  Write(level, std::string_view(buf.data(), buf.size()));
}

}  // namespace log
}  // namespace strix

#define STRIX_LOG(level, msg, ...)                                                 \
  do {                                                                             \
    if (::strix::log::Enabled(::strix::LogLevel::level))                           \
      ::strix::log::Log(::strix::LogLevel::level, msg __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)
