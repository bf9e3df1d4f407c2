// Modbus value decoding (see modbus_decode.h): words -> bytes per word and byte order,
// bytes -> the typed value, then multiplier, offset and kind.
#include "agents/modbus/modbus_decode.h"

#include <array>
#include <bit>
#include <cmath>
#include <string>

#include "core/utf8.h"

namespace strix::agents::modbus {
namespace {

// 2^64 as a double: the first value a uint64 cannot hold.
constexpr double kTwoTo64 = 18446744073709551616.0;

// The value's bytes, most significant first, per word and byte order (numbers only:
// at most 4 words).
uint64_t Assemble(const ValueSpec& spec, std::span<const uint16_t> words) {
  uint64_t raw = 0;
  const size_t n = words.size();
  for (size_t i = 0; i < n; ++i) {
    uint16_t w = spec.word_order == Order::kBig ? words[i] : words[n - 1 - i];
    if (spec.byte_order == Order::kLittle) w = static_cast<uint16_t>((w >> 8) | (w << 8));
    raw = (raw << 16) | w;
  }
  return raw;
}

Result<FieldValue> Finish(const ValueSpec& spec, double v) {
  if (!std::isfinite(v)) return Status::OutOfRange("modbus: value is not a finite number");
  if (spec.kind == Kind::kGauge) return FieldValue::Gauge(v);
  const double r = std::nearbyint(v);
  if (!(r >= 0) || r >= kTwoTo64) {
    return Status::OutOfRange("modbus: counter value out of range 0..2^64-1");
  }
  return FieldValue::Counter(static_cast<uint64_t>(r));
}

bool Exact(const ValueSpec& spec) { return spec.multiplier == 1 && spec.offset == 0; }

Result<FieldValue> Signed(const ValueSpec& spec, int64_t raw) {
  if (spec.kind == Kind::kCounter && Exact(spec)) {
    if (raw < 0) return Status::OutOfRange("modbus: negative counter value");
    return FieldValue::Counter(static_cast<uint64_t>(raw));
  }
  return Finish(spec, static_cast<double>(raw) * spec.multiplier + spec.offset);
}

Result<FieldValue> Unsigned(const ValueSpec& spec, uint64_t raw) {
  if (spec.kind == Kind::kCounter && Exact(spec)) {
    if (spec.type == DataType::kUint32) return FieldValue::Counter32(static_cast<uint32_t>(raw));
    return FieldValue::Counter(raw);
  }
  return Finish(spec, static_cast<double>(raw) * spec.multiplier + spec.offset);
}

Result<FieldValue> Float(const ValueSpec& spec, double raw) {
  if (!std::isfinite(raw)) {
    return Status::OutOfRange(std::isnan(raw) ? "modbus: float register holds NaN"
                                              : "modbus: float register holds an infinity");
  }
  return Finish(spec, raw * spec.multiplier + spec.offset);
}

Result<FieldValue> String(const ValueSpec& spec, std::span<const uint16_t> words) {
  std::array<char, 2 * 125> buf;
  size_t n = 0;
  for (uint16_t w : words) {
    if (spec.byte_order == Order::kLittle) w = static_cast<uint16_t>((w >> 8) | (w << 8));
    buf[n++] = static_cast<char>(w >> 8);
    buf[n++] = static_cast<char>(w & 0xff);
  }
  std::string_view s(buf.data(), n);
  size_t nul = s.find('\0');
  if (nul != std::string_view::npos) s = s.substr(0, nul);
  // Control characters (a CR LF ending, tabs) become spaces: a state is one line of text.
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) buf[i] = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (!IsValidUtf8(s)) return Status::Corruption("modbus: string register is not UTF-8");
  return FieldValue::State(std::string(s));
}

}  // namespace

std::string_view TableName(Table t) {
  switch (t) {
    case Table::kInputRegister:
      return "input_register";
    case Table::kHoldingRegister:
      return "holding_register";
    case Table::kCoil:
      return "coil";
    case Table::kDiscreteInput:
      return "discrete_input";
  }
  return "?";
}

std::string_view DataTypeName(DataType t) {
  switch (t) {
    case DataType::kInt16:
      return "int16";
    case DataType::kUint16:
      return "uint16";
    case DataType::kInt32:
      return "int32";
    case DataType::kUint32:
      return "uint32";
    case DataType::kInt64:
      return "int64";
    case DataType::kUint64:
      return "uint64";
    case DataType::kFloat32:
      return "float32";
    case DataType::kFloat64:
      return "float64";
    case DataType::kBool:
      return "bool";
    case DataType::kString:
      return "string";
  }
  return "?";
}

uint16_t RegisterCount(const ValueSpec& spec) {
  switch (spec.type) {
    case DataType::kInt16:
    case DataType::kUint16:
    case DataType::kBool:
      return 1;
    case DataType::kInt32:
    case DataType::kUint32:
    case DataType::kFloat32:
      return 2;
    case DataType::kInt64:
    case DataType::kUint64:
    case DataType::kFloat64:
      return 4;
    case DataType::kString:
      return spec.length;
  }
  return 1;
}

Result<FieldValue> DecodeRegisters(const ValueSpec& spec, std::span<const uint16_t> words) {
  const uint16_t count = RegisterCount(spec);
  if (count == 0 || count > 125 || words.size() != count) {
    return Status::InvalidArgument("modbus: word count does not match the data type");
  }
  if (spec.kind == Kind::kCounter &&
      (spec.type == DataType::kBool || spec.type == DataType::kString)) {
    return Status::InvalidArgument("modbus: a bool or string cannot be a counter");
  }
  switch (spec.type) {
    case DataType::kInt16:
      return Signed(spec, static_cast<int16_t>(Assemble(spec, words)));
    case DataType::kUint16:
      return Unsigned(spec, Assemble(spec, words));
    case DataType::kInt32:
      return Signed(spec, static_cast<int32_t>(Assemble(spec, words)));
    case DataType::kUint32:
      return Unsigned(spec, Assemble(spec, words));
    case DataType::kInt64:
      return Signed(spec, static_cast<int64_t>(Assemble(spec, words)));
    case DataType::kUint64:
      return Unsigned(spec, Assemble(spec, words));
    case DataType::kFloat32:
      return Float(spec, std::bit_cast<float>(static_cast<uint32_t>(Assemble(spec, words))));
    case DataType::kFloat64:
      return Float(spec, std::bit_cast<double>(Assemble(spec, words)));
    case DataType::kBool: {
      uint16_t w = words[0];
      bool v = spec.bit >= 0 && spec.bit < 16 ? ((w >> spec.bit) & 1) != 0 : w != 0;
      return DecodeBit(v);
    }
    case DataType::kString:
      return String(spec, words);
  }
  return Status::InvalidArgument("modbus: unknown data type");
}

FieldValue DecodeBit(bool bit) { return FieldValue::Gauge(bit ? 1.0 : 0.0); }

}  // namespace strix::agents::modbus
