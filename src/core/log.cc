// spdlog wiring for STRIX_LOG: one logger, a stderr or rotating-file sink, and a
// capture sink for tests.
#include "core/log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace strix::log {
namespace internal {

int g_level = static_cast<int>(LogLevel::kInfo);

void AppendQuoted(fmt::memory_buffer* out, std::string_view s) {
  bool quote = s.empty();
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t' || c == '\\') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out->append(s.data(), s.data() + s.size());
    return;
  }
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append(std::string_view("\\\""));
        break;
      case '\\':
        out->append(std::string_view("\\\\"));
        break;
      case '\n':
        out->append(std::string_view("\\n"));
        break;
      case '\t':
        out->append(std::string_view("\\t"));
        break;
      default:
        out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace internal

namespace {

constexpr const char* kPattern = "%Y-%m-%dT%H:%M:%S.%eZ %l %v";

std::shared_ptr<spdlog::logger>& Logger() {
  static auto* logger = new std::shared_ptr<spdlog::logger>([] {
    auto l = std::make_shared<spdlog::logger>("strix",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern(kPattern, spdlog::pattern_time_type::utc);
    l->set_level(spdlog::level::trace);  // filtering happens in Enabled()
    l->flush_on(spdlog::level::warn);
    return l;
  }());
  return *logger;
}

spdlog::level::level_enum ToSpd(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> Snapshot() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {  // mutex_ held by base_sink
    std::string line(LevelName(FromSpd(msg.level)));
    line += ' ';
    line.append(msg.payload.data(), msg.payload.size());
    lines_.push_back(std::move(line));
  }
  void flush_() override {}

 private:
  static LogLevel FromSpd(spdlog::level::level_enum l) {
    switch (l) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        return LogLevel::kDebug;
      case spdlog::level::info:
        return LogLevel::kInfo;
      case spdlog::level::warn:
        return LogLevel::kWarn;
      default:
        return LogLevel::kError;
    }
  }
  std::vector<std::string> lines_;
};

}  // namespace

Result<LogLevel> ParseLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return Status::InvalidArgument("unknown log level, expected debug, info, warn or error", name);
}

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void SetLevel(LogLevel level) { internal::g_level = static_cast<int>(level); }
LogLevel GetLevel() { return static_cast<LogLevel>(internal::g_level); }

void InitStderr() {
  auto l =
      std::make_shared<spdlog::logger>("strix", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  l->set_pattern(kPattern, spdlog::pattern_time_type::utc);
  l->set_level(spdlog::level::trace);
  l->flush_on(spdlog::level::warn);
  Logger() = l;
}

Status InitFile(const std::string& path, size_t max_bytes, size_t files) {
  std::shared_ptr<spdlog::sinks::rotating_file_sink_mt> sink;
  try {  // spdlog reports a file it cannot open by throwing; keep that at this boundary
    sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path, max_bytes, files);
  } catch (const spdlog::spdlog_ex& e) {
    return Status::Unavailable(std::string("cannot open log file: ") + e.what(), path);
  }
  auto l = std::make_shared<spdlog::logger>("strix", sink);
  l->set_pattern(kPattern, spdlog::pattern_time_type::utc);
  l->set_level(spdlog::level::trace);
  l->flush_on(spdlog::level::warn);
  Logger() = l;
  return Status::Ok();
}

void Write(LogLevel level, std::string_view line) {
  Logger()->log(ToSpd(level), spdlog::string_view_t(line.data(), line.size()));
}

struct LogCapture::Impl {
  std::shared_ptr<spdlog::logger> previous;
  std::shared_ptr<CaptureSink> sink;
};

LogCapture::LogCapture() : impl_(std::make_unique<Impl>()) {
  impl_->previous = Logger();
  impl_->sink = std::make_shared<CaptureSink>();
  auto l = std::make_shared<spdlog::logger>("strix-capture", impl_->sink);
  l->set_level(spdlog::level::trace);
  Logger() = l;
}

LogCapture::~LogCapture() { Logger() = impl_->previous; }

std::vector<std::string> LogCapture::Lines() const { return impl_->sink->Snapshot(); }

bool LogCapture::Contains(std::string_view needle) const {
  for (const auto& l : Lines())
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace strix::log
