// Tests of the register decoder: each data type with both word and byte orders, multiplier
// and offset, counters, strings, and the values that must be errors (gaps), never numbers.
#include "agents/modbus/modbus_decode.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

namespace strix::agents::modbus {
namespace {

ValueSpec Spec(DataType t, Order words = Order::kBig, Order bytes = Order::kBig) {
  ValueSpec s;
  s.type = t;
  s.word_order = words;
  s.byte_order = bytes;
  return s;
}

FieldValue Decode(const ValueSpec& s, std::vector<uint16_t> w) {
  Result<FieldValue> r = DecodeRegisters(s, w);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : FieldValue::State("<error>");
}

TEST(ModbusDecode, NegativeInt16IsSignedNotUnsigned) {
  EXPECT_EQ(Decode(Spec(DataType::kInt16), {0xFB2E}), FieldValue::Gauge(-1234));
  EXPECT_EQ(Decode(Spec(DataType::kUint16), {0xFB2E}), FieldValue::Gauge(64302));
  EXPECT_EQ(Decode(Spec(DataType::kInt16), {0x8000}), FieldValue::Gauge(-32768));
}

TEST(ModbusDecode, Float32InBothWordOrders) {
  const uint32_t bits = std::bit_cast<uint32_t>(123.456f);
  const uint16_t hi = bits >> 16, lo = bits & 0xffff;
  const FieldValue want = FieldValue::Gauge(static_cast<double>(123.456f));
  EXPECT_EQ(Decode(Spec(DataType::kFloat32), {hi, lo}), want);
  EXPECT_EQ(Decode(Spec(DataType::kFloat32, Order::kLittle), {lo, hi}), want);
  // Read in the wrong order it is some other number: the order matters.
  EXPECT_NE(Decode(Spec(DataType::kFloat32), {lo, hi}), want);
}

TEST(ModbusDecode, ByteOrderSwapsTheBytesOfEveryWord) {
  const uint32_t bits = std::bit_cast<uint32_t>(-0.5f);
  auto swap = [](uint16_t w) { return static_cast<uint16_t>((w >> 8) | (w << 8)); };
  const uint16_t hi = bits >> 16, lo = bits & 0xffff;
  EXPECT_EQ(Decode(Spec(DataType::kFloat32, Order::kBig, Order::kLittle), {swap(hi), swap(lo)}),
            FieldValue::Gauge(-0.5));
  EXPECT_EQ(Decode(Spec(DataType::kFloat32, Order::kLittle, Order::kLittle), {swap(lo), swap(hi)}),
            FieldValue::Gauge(-0.5));
  EXPECT_EQ(Decode(Spec(DataType::kUint16, Order::kBig, Order::kLittle), {0x3412}),
            FieldValue::Gauge(0x1234));
}

TEST(ModbusDecode, Uint32AndInt32UseTheFullRange) {
  EXPECT_EQ(Decode(Spec(DataType::kUint32), {0xB2D0, 0x5E00}), FieldValue::Gauge(3000000000.0));
  EXPECT_EQ(Decode(Spec(DataType::kUint32, Order::kLittle), {0x5E00, 0xB2D0}),
            FieldValue::Gauge(3000000000.0));
  EXPECT_EQ(Decode(Spec(DataType::kInt32), {0xFFFF, 0xFFFE}), FieldValue::Gauge(-2));
  EXPECT_EQ(Decode(Spec(DataType::kInt32, Order::kLittle), {0xFFFE, 0xFFFF}),
            FieldValue::Gauge(-2));
}

TEST(ModbusDecode, SixtyFourBitTypesReverseAllFourWords) {
  EXPECT_EQ(Decode(Spec(DataType::kInt64), {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFB}),
            FieldValue::Gauge(-5));
  EXPECT_EQ(Decode(Spec(DataType::kInt64, Order::kLittle), {0xFFFB, 0xFFFF, 0xFFFF, 0xFFFF}),
            FieldValue::Gauge(-5));
  const uint64_t bits = std::bit_cast<uint64_t>(3.141592653589793);
  std::vector<uint16_t> w = {static_cast<uint16_t>(bits >> 48), static_cast<uint16_t>(bits >> 32),
                             static_cast<uint16_t>(bits >> 16), static_cast<uint16_t>(bits)};
  EXPECT_EQ(Decode(Spec(DataType::kFloat64), w), FieldValue::Gauge(3.141592653589793));
  EXPECT_EQ(Decode(Spec(DataType::kFloat64, Order::kLittle), {w[3], w[2], w[1], w[0]}),
            FieldValue::Gauge(3.141592653589793));
  ValueSpec c = Spec(DataType::kUint64);
  c.kind = Kind::kCounter;
  EXPECT_EQ(Decode(c, {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF}), FieldValue::Counter(UINT64_MAX))
      << "an exact counter keeps all 64 bits";
}

TEST(ModbusDecode, MultiplierThenOffset) {
  ValueSpec s = Spec(DataType::kUint16);
  s.multiplier = 0.5;
  s.offset = -10;
  EXPECT_EQ(Decode(s, {100}), FieldValue::Gauge(40));
  s = Spec(DataType::kInt16);
  s.multiplier = 0.1;
  EXPECT_DOUBLE_EQ(Decode(s, {0xFF9C}).f, -10.0);  // -100 * 0.1
}

TEST(ModbusDecode, CountersAreExactAndNeverNegative) {
  ValueSpec s = Spec(DataType::kUint32);
  s.kind = Kind::kCounter;
  EXPECT_EQ(Decode(s, {0x0001, 0x0000}), FieldValue::Counter32(65536))
      << "a raw uint32 counter wraps at 2^32 like SNMP's Counter32";
  s.type = DataType::kUint16;
  EXPECT_EQ(Decode(s, {65535}), FieldValue::Counter(65535));
  s.type = DataType::kInt16;
  Result<FieldValue> neg = DecodeRegisters(s, std::vector<uint16_t>{0xFFFF});
  EXPECT_EQ(neg.status().code(), StatusCode::kOutOfRange);
  // A float total in kWh, sent in Wh: scaled, then rounded to a whole number.
  s = Spec(DataType::kFloat32);
  s.kind = Kind::kCounter;
  s.multiplier = 1000;
  const uint32_t bits = std::bit_cast<uint32_t>(12345.67f);
  EXPECT_EQ(Decode(s, {static_cast<uint16_t>(bits >> 16), static_cast<uint16_t>(bits)}),
            FieldValue::Counter(12345670));
  // A scaled uint32 counter is no longer a raw 32-bit register: a 64-bit counter.
  s = Spec(DataType::kUint32);
  s.kind = Kind::kCounter;
  s.multiplier = 10;
  EXPECT_EQ(Decode(s, {0xFFFF, 0xFFFF}), FieldValue::Counter(42949672950ull));
}

TEST(ModbusDecode, NaNAndInfinityAreErrorsNotValues) {
  for (uint32_t bits : {0x7FC00000u, 0xFFC00001u, 0x7F800000u, 0xFF800000u}) {
    Result<FieldValue> r = DecodeRegisters(
        Spec(DataType::kFloat32),
        std::vector<uint16_t>{static_cast<uint16_t>(bits >> 16), static_cast<uint16_t>(bits)});
    EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange) << std::hex << bits;
  }
  Result<FieldValue> r64 =
      DecodeRegisters(Spec(DataType::kFloat64), std::vector<uint16_t>{0x7FF8, 0, 0, 0});
  EXPECT_EQ(r64.status().code(), StatusCode::kOutOfRange);
  // A finite value the multiplier makes infinite.
  ValueSpec s = Spec(DataType::kFloat64);
  s.multiplier = 1e300;
  const uint64_t big = std::bit_cast<uint64_t>(1e300);
  Result<FieldValue> over = DecodeRegisters(
      s, std::vector<uint16_t>{static_cast<uint16_t>(big >> 48), static_cast<uint16_t>(big >> 32),
                               static_cast<uint16_t>(big >> 16), static_cast<uint16_t>(big)});
  EXPECT_EQ(over.status().code(), StatusCode::kOutOfRange);
}

TEST(ModbusDecode, StringsAreCutAtNulAndTrimmed) {
  ValueSpec s = Spec(DataType::kString);
  s.length = 5;
  // "PLC-1  " then NULs.
  EXPECT_EQ(Decode(s, {0x504C, 0x432D, 0x3120, 0x2000, 0x4142}), FieldValue::State("PLC-1"));
  s.byte_order = Order::kLittle;
  EXPECT_EQ(Decode(s, {0x4C50, 0x2D43, 0x0031, 0x0000, 0x0000}), FieldValue::State("PLC-1"));
  s = Spec(DataType::kString);
  s.length = 2;
  EXPECT_EQ(Decode(s, {0x4F4B, 0x0D0A}), FieldValue::State("OK")) << "CR LF trimmed";
  EXPECT_EQ(Decode(s, {0xC3A9, 0x2020}), FieldValue::State("\xC3\xA9")) << "UTF-8 kept";
  EXPECT_EQ(Decode(s, {0x0000, 0x0000}), FieldValue::State(""));
}

TEST(ModbusDecode, InvalidUtf8StringIsAnError) {
  ValueSpec s = Spec(DataType::kString);
  s.length = 1;
  EXPECT_EQ(DecodeRegisters(s, std::vector<uint16_t>{0xFFFF}).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(DecodeRegisters(s, std::vector<uint16_t>{0x41C3}).status().code(),
            StatusCode::kDataLoss)
      << "a multi-byte sequence cut by the register's end";
}

TEST(ModbusDecode, BoolFromARegisterBitOrNonZero) {
  ValueSpec s = Spec(DataType::kBool);
  EXPECT_EQ(Decode(s, {0x0100}), FieldValue::Gauge(1));
  EXPECT_EQ(Decode(s, {0}), FieldValue::Gauge(0));
  s.bit = 2;
  EXPECT_EQ(Decode(s, {0x0004}), FieldValue::Gauge(1));
  EXPECT_EQ(Decode(s, {0xFFFB}), FieldValue::Gauge(0));
  EXPECT_EQ(DecodeBit(true), FieldValue::Gauge(1));
  EXPECT_EQ(DecodeBit(false), FieldValue::Gauge(0));
}

TEST(ModbusDecode, WrongWordCountIsAnError) {
  EXPECT_EQ(DecodeRegisters(Spec(DataType::kFloat32), std::vector<uint16_t>{1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeRegisters(Spec(DataType::kUint16), std::vector<uint16_t>{}).status().code(),
            StatusCode::kInvalidArgument);
  ValueSpec s = Spec(DataType::kString);  // length 0
  EXPECT_FALSE(DecodeRegisters(s, std::vector<uint16_t>{}).ok());
  EXPECT_EQ(RegisterCount(Spec(DataType::kInt64)), 4);
  EXPECT_EQ(RegisterCount(Spec(DataType::kFloat32)), 2);
}

}  // namespace
}  // namespace strix::agents::modbus
