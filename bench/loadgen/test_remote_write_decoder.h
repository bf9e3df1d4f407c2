// Test-only readers of remote-write bodies, written from the specifications and sharing no
// code with remote_write.cc, so an encoding mistake cannot hide in a shared helper:
//
//  - SnappyBlockDecode: snappy's block format (format_description.txt in the snappy
//    sources): a varint of the uncompressed length, then literals (tag 00) and copies with
//    1-, 2- or 4-byte offsets (tags 01, 10, 11); copies may overlap their output.
//  - DecodeWriteRequest: the protobuf wire format (varint, fixed64, length-delimited) read
//    into prometheus.WriteRequest's shape. Unknown fields or wire types are errors here,
//    because the encoder writes none.
//
// Thread-safety: pure functions.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strix::bench::testing {

// Reads a base-128 varint at *pos; false if truncated or longer than ten bytes.
inline bool ReadVarint(std::string_view in, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= in.size()) return false;
    const auto b = static_cast<uint8_t>(in[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

inline bool SnappyBlockDecode(std::string_view in, std::string* out, std::string* error) {
  size_t pos = 0;
  uint64_t length = 0;
  if (!ReadVarint(in, &pos, &length)) {
    *error = "snappy: bad length preamble";
    return false;
  }
  out->clear();
  auto read_le = [&](size_t n, uint64_t* v) {
    if (pos + n > in.size()) return false;
    *v = 0;
    for (size_t i = 0; i < n; ++i)
      *v |= static_cast<uint64_t>(static_cast<uint8_t>(in[pos + i])) << (8 * i);
    pos += n;
    return true;
  };
  while (pos < in.size()) {
    const auto tag = static_cast<uint8_t>(in[pos++]);
    uint64_t len = 0, offset = 0;
    switch (tag & 3) {
      case 0: {  // literal
        len = tag >> 2;
        if (len >= 60) {
          uint64_t n = 0;
          if (!read_le(len - 59, &n)) {
            *error = "snappy: truncated literal length";
            return false;
          }
          len = n;
        }
        ++len;
        if (pos + len > in.size()) {
          *error = "snappy: truncated literal";
          return false;
        }
        out->append(in.substr(pos, len));
        pos += len;
        continue;
      }
      case 1:
        len = 4 + ((tag >> 2) & 7);
        if (pos >= in.size()) {
          *error = "snappy: truncated copy";
          return false;
        }
        offset = (static_cast<uint64_t>(tag >> 5) << 8) | static_cast<uint8_t>(in[pos++]);
        break;
      case 2:
        len = 1 + (tag >> 2);
        if (!read_le(2, &offset)) {
          *error = "snappy: truncated copy";
          return false;
        }
        break;
      case 3:
        len = 1 + (tag >> 2);
        if (!read_le(4, &offset)) {
          *error = "snappy: truncated copy";
          return false;
        }
        break;
    }
    if (offset == 0 || offset > out->size()) {
      *error = "snappy: copy offset out of range";
      return false;
    }
    const size_t from = out->size() - offset;
    for (uint64_t i = 0; i < len; ++i) out->push_back((*out)[from + i]);  // may overlap
  }
  if (out->size() != length) {
    *error = "snappy: length preamble " + std::to_string(length) + " but " +
             std::to_string(out->size()) + " bytes decoded";
    return false;
  }
  return true;
}

struct DecodedSeries {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<double, int64_t>> samples;  // value, timestamp ms
};

// One field of a message.
struct ProtoField {
  uint64_t number = 0;
  int wire_type = 0;
  uint64_t varint = 0;    // wire type 0
  uint64_t fixed64 = 0;   // wire type 1
  std::string_view data;  // wire type 2
};

inline bool ReadFields(std::string_view in, std::vector<ProtoField>* fields, std::string* error) {
  fields->clear();
  size_t pos = 0;
  while (pos < in.size()) {
    uint64_t key = 0;
    if (!ReadVarint(in, &pos, &key)) {
      *error = "proto: bad key";
      return false;
    }
    ProtoField f;
    f.number = key >> 3;
    f.wire_type = static_cast<int>(key & 7);
    if (f.wire_type == 0) {
      if (!ReadVarint(in, &pos, &f.varint)) {
        *error = "proto: bad varint";
        return false;
      }
    } else if (f.wire_type == 1) {
      if (pos + 8 > in.size()) {
        *error = "proto: truncated fixed64";
        return false;
      }
      for (int i = 0; i < 8; ++i)
        f.fixed64 |= static_cast<uint64_t>(static_cast<uint8_t>(in[pos + i])) << (8 * i);
      pos += 8;
    } else if (f.wire_type == 2) {
      uint64_t len = 0;
      if (!ReadVarint(in, &pos, &len) || pos + len > in.size()) {
        *error = "proto: bad length-delimited field";
        return false;
      }
      f.data = in.substr(pos, len);
      pos += len;
    } else {
      *error = "proto: unexpected wire type " + std::to_string(f.wire_type);
      return false;
    }
    fields->push_back(f);
  }
  return true;
}

inline bool DecodeWriteRequest(std::string_view in, std::vector<DecodedSeries>* out,
                               std::string* error) {
  out->clear();
  std::vector<ProtoField> top, ts, inner;
  if (!ReadFields(in, &top, error)) return false;
  for (const ProtoField& t : top) {
    if (t.number != 1 || t.wire_type != 2) {
      *error = "WriteRequest: unexpected field " + std::to_string(t.number);
      return false;
    }
    DecodedSeries s;
    if (!ReadFields(t.data, &ts, error)) return false;
    for (const ProtoField& f : ts) {
      if (f.wire_type != 2 || (f.number != 1 && f.number != 2)) {
        *error = "TimeSeries: unexpected field " + std::to_string(f.number);
        return false;
      }
      if (!ReadFields(f.data, &inner, error)) return false;
      if (f.number == 1) {  // Label
        std::pair<std::string, std::string> l;
        for (const ProtoField& g : inner) {
          if (g.wire_type != 2 || (g.number != 1 && g.number != 2)) {
            *error = "Label: unexpected field";
            return false;
          }
          (g.number == 1 ? l.first : l.second) = std::string(g.data);
        }
        s.labels.push_back(std::move(l));
      } else {  // Sample
        std::pair<double, int64_t> smp{0, 0};
        for (const ProtoField& g : inner) {
          if (g.number == 1 && g.wire_type == 1) {
            smp.first = std::bit_cast<double>(g.fixed64);
          } else if (g.number == 2 && g.wire_type == 0) {
            smp.second = static_cast<int64_t>(g.varint);  // int64: two's complement, no zigzag
          } else {
            *error = "Sample: unexpected field";
            return false;
          }
        }
        s.samples.push_back(smp);
      }
    }
    out->push_back(std::move(s));
  }
  return true;
}

}  // namespace strix::bench::testing
