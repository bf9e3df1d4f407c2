// Modbus value decoding: the 16-bit words (or single bits) a Modbus read returns, turned
// into the typed values strix-agent sends (docs/agents/modbus.md, "Data types and
// orders"). Pure functions, no I/O: the Modbus input feeds them what libmodbus read, the
// fuzz target agent_modbus_decode feeds them anything.
//
// A multi-word value is assembled as one big-endian byte string, then read as its type:
//   1. word order: kBig keeps the words as read (the first register holds the most
//      significant word, "AB CD"); kLittle reverses them ("CD AB").
//   2. byte order: kBig takes each word's high byte first; kLittle swaps the two bytes of
//      every word ("BA DC").
// Strings take the words in register order (word order does not apply) and the bytes per
// byte order; they are cut at the first NUL, control characters become spaces, trailing
// spaces are trimmed, and what is left must be UTF-8.
//
// A value that cannot be represented is an error, never a substitute number: NaN or an
// infinity in a float register, a non-finite result of the multiplier, a negative or
// out-of-range counter, invalid UTF-8. The input turns an error into a gap and a count.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "agents/common/point.h"
#include "core/result.h"

namespace strix::agents::modbus {

// The four Modbus data tables. Coils and discrete inputs are bits, the others 16-bit words.
enum class Table : uint8_t { kInputRegister, kHoldingRegister, kCoil, kDiscreteInput };

enum class DataType : uint8_t {
  kInt16,
  kUint16,
  kInt32,
  kUint32,
  kInt64,
  kUint64,
  kFloat32,
  kFloat64,
  kBool,
  kString,
};

enum class Order : uint8_t { kBig, kLittle };

// How a register's value is sent: a gauge (a level, the default) or a counter (a
// monotonically increasing total, such as an energy meter's kWh; sent as a counter, never
// as a rate).
enum class Kind : uint8_t { kGauge, kCounter };

struct ValueSpec {
  DataType type = DataType::kUint16;
  Order word_order = Order::kBig;
  Order byte_order = Order::kBig;
  // value = raw * multiplier + offset (numbers only; not bool or string).
  double multiplier = 1;
  double offset = 0;
  Kind kind = Kind::kGauge;
  // kBool from a register: the bit (0 = least significant) that holds it; -1: the
  // register is true when non-zero.
  int8_t bit = -1;
  // kString: its length in registers (two bytes each), 1..125.
  uint16_t length = 0;
};

// The table's name in configuration and logs ("input_register", "holding_register",
// "coil", "discrete_input").
std::string_view TableName(Table t);
// True for coils and discrete inputs.
inline bool IsBitTable(Table t) { return t == Table::kCoil || t == Table::kDiscreteInput; }
// The data type's name in configuration ("int16", ..., "string").
std::string_view DataTypeName(DataType t);

// The registers a value of this spec occupies: 1, 2 or 4, or `length` for strings.
uint16_t RegisterCount(const ValueSpec& spec);

// Decodes one value from exactly RegisterCount(spec) words, in the order they were read.
//
// Gauges are doubles: raw * multiplier + offset, which must be finite.
// Counters are exact unsigned integers. With multiplier 1 and offset 0 an integer register
// is sent as it is: a uint32 as a 32-bit counter (FieldValue::Counter32, which strixd
// unwraps at 2^32), the others as 64-bit counters; a negative value is an error. Otherwise
// raw * multiplier + offset is rounded to the nearest integer, which must be in
// 0 .. 2^64-1 (choose a multiplier that keeps the unit small: kWh * 1000 -> Wh).
// Bools are gauges 0 or 1. Strings are states.
//
// Errors: InvalidArgument for a word count that does not match the spec or a spec
// mismatch (bool/string with counter kind), OutOfRange for a value that cannot be
// represented (NaN, infinity, negative counter, overflow), DataLoss for invalid UTF-8.
Result<FieldValue> DecodeRegisters(const ValueSpec& spec, std::span<const uint16_t> words);

// A coil or discrete input: a gauge 0 or 1.
FieldValue DecodeBit(bool bit);

}  // namespace strix::agents::modbus
