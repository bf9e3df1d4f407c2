// Block files: writer, reader, tombstones. Format: docs/format/block.md.
#include "storage/block/block.h"

#include <zstd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "core/check.h"
#include "core/coding.h"
#include "core/crc32c.h"
#include "core/log.h"
#include "storage/chunk/decoder.h"
#include "storage/index/index_writer.h"
#include "storage/tier/tier_chunk.h"

namespace strix::storage::block {
namespace {

constexpr std::string_view kHeaderMagic("STRXBLK\0", 8);
constexpr std::string_view kFooterMagic("STRXBLKF", 8);
constexpr std::string_view kTombMagic("STRXTMB1", 8);
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 16;
constexpr size_t kFooterBytes = 64;
constexpr uint8_t kCodecRaw = 0;
constexpr uint8_t kCodecZstd = 1;
constexpr int kZstdLevel = 3;

Status Corrupt(const std::string& path, std::string_view what, uint64_t offset) {
  return Status::Corruption(std::string("block: ") + std::string(what),
                            path + " offset " + std::to_string(offset));
}

}  // namespace

std::string BlockFileName(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64 ".blk", seq);
  return buf;
}

bool ParseBlockFileName(std::string_view name, uint64_t* seq) {
  if (name.size() != 16 + kBlockSuffix.size() || name.substr(16) != kBlockSuffix) return false;
  uint64_t v = 0;
  for (char c : name.substr(0, 16)) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else
      return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *seq = v;
  return true;
}

std::string EncodeMeta(const BlockMeta& m) {
  std::string out;
  PutVarint64(&out, m.seq);
  PutVarint64(&out, m.precedence);
  PutVarint64(&out, static_cast<uint64_t>(m.resolution_ms));
  PutVarsint64(&out, m.window_start);
  PutVarsint64(&out, m.window_end);
  PutVarsint64(&out, m.mint);
  PutVarsint64(&out, m.maxt);
  PutVarint64(&out, m.series);
  PutVarint64(&out, m.chunks);
  PutVarint64(&out, m.samples);
  PutVarint64(&out, m.pages);
  PutVarint64(&out, m.level);
  PutVarint64(&out, m.sources.size());
  for (uint64_t s : m.sources) PutVarint64(&out, s);
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out)));
  return out;
}

Status DecodeMeta(std::string_view in, BlockMeta* m) {
  if (in.size() < 4) return Status::Corruption("block meta: too short");
  std::string_view body = in.substr(0, in.size() - 4);
  if (crc32c::Unmask(DecodeFixed32(in.data() + body.size())) != crc32c::Value(body))
    return Status::Corruption("block meta: crc mismatch");
  uint64_t res, level, nsrc;
  bool ok = GetVarint64(&body, &m->seq) && GetVarint64(&body, &m->precedence) &&
            GetVarint64(&body, &res) && GetVarsint64(&body, &m->window_start) &&
            GetVarsint64(&body, &m->window_end) && GetVarsint64(&body, &m->mint) &&
            GetVarsint64(&body, &m->maxt) && GetVarint64(&body, &m->series) &&
            GetVarint64(&body, &m->chunks) && GetVarint64(&body, &m->samples) &&
            GetVarint64(&body, &m->pages) && GetVarint64(&body, &level) &&
            GetVarint64(&body, &nsrc);
  if (!ok || nsrc > body.size() || res > (1ull << 62))
    return Status::Corruption("block meta: truncated");
  m->resolution_ms = static_cast<int64_t>(res);
  m->level = static_cast<uint32_t>(level);
  m->sources.clear();
  for (uint64_t i = 0; i < nsrc; ++i) {
    uint64_t s;
    if (!GetVarint64(&body, &s)) return Status::Corruption("block meta: truncated sources");
    m->sources.push_back(s);
  }
  if (!body.empty()) return Status::Corruption("block meta: trailing bytes");
  return Status::Ok();
}

// ---- writer ---------------------------------------------------------------------------

BlockWriter::BlockWriter(Env& env, std::string dir, const BlockMeta& meta)
    : env_(env), dir_(std::move(dir)), meta_(meta) {
  meta_.mint = INT64_MAX;
  meta_.maxt = INT64_MIN;
  meta_.series = meta_.chunks = meta_.samples = meta_.pages = 0;
}

BlockWriter::~BlockWriter() {
  if (!finished_ && file_) {
    file_->Close().IgnoreError();
    env_.RemoveFile(tmp_path_).IgnoreError();
  }
}

Result<std::unique_ptr<BlockWriter>> BlockWriter::Create(Env& env, const std::string& dir,
                                                         const BlockMeta& meta) {
  std::unique_ptr<BlockWriter> w(new BlockWriter(env, dir, meta));
  w->tmp_path_ = JoinPath(dir, BlockFileName(meta.seq) + ".tmp");
  STRIX_ASSIGN_OR_RETURN(w->file_, env.NewWritableFile(w->tmp_path_));
  std::string header(kHeaderMagic);
  PutFixed32(&header, kVersion);
  PutFixed32(&header, 0);
  STRIX_RETURN_IF_ERROR(w->Write(header));
  return w;
}

Status BlockWriter::Write(std::string_view bytes) {
  STRIX_RETURN_IF_ERROR(file_->Append(bytes));
  offset_ += bytes.size();
  return Status::Ok();
}

Status BlockWriter::FlushPage() {
  if (page_.empty()) return Status::Ok();
  std::string out;
  size_t bound = ZSTD_compressBound(page_.size());
  scratch_.resize(bound);
  size_t n = ZSTD_compress(scratch_.data(), bound, page_.data(), page_.size(), kZstdLevel);
  bool use_zstd = !ZSTD_isError(n) && n + page_.size() / 32 < page_.size();
  out.push_back(static_cast<char>(use_zstd ? kCodecZstd : kCodecRaw));
  PutVarint64(&out, page_.size());
  std::string_view stored = use_zstd ? std::string_view(scratch_.data(), n) : page_;
  PutVarint64(&out, stored.size());
  uint32_t crc = crc32c::Extend(crc32c::Value(out), stored.data(), stored.size());
  STRIX_RETURN_IF_ERROR(Write(out));
  STRIX_RETURN_IF_ERROR(Write(stored));
  std::string c;
  PutFixed32(&c, crc32c::Mask(crc));
  STRIX_RETURN_IF_ERROR(Write(c));
  page_.clear();
  ++meta_.pages;
  return Status::Ok();
}

Status BlockWriter::AddSeries(const Labels& labels, ValueKind kind,
                              const std::vector<ChunkInput>& chunks) {
  if (chunks.empty()) return Status::Ok();
  if (meta_.series > 0 && !(last_ < labels))
    return Status::InvalidArgument("block writer: series out of order", labels.ToString());
  std::string payload;
  payload.push_back(static_cast<char>(kind));
  PutVarint64(&payload, chunks.size());
  Timestamp prev_maxt = 0;
  uint64_t prev_page = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ChunkInput& c = chunks[i];
    if (c.maxt < c.mint || (i > 0 && c.mint <= prev_maxt))
      return Status::InvalidArgument("block writer: chunks overlap or are out of order",
                                     labels.ToString());
    if (!page_.empty() && page_.size() + c.bytes.size() > kTargetPageBytes)
      STRIX_RETURN_IF_ERROR(FlushPage());
    uint64_t page = meta_.pages;
    uint64_t offset = page_.size();
    page_.append(c.bytes);
    PutVarsint64(&payload, i == 0 ? c.mint : c.mint - prev_maxt);
    PutVarint64(&payload, static_cast<uint64_t>(c.maxt - c.mint));
    PutVarint64(&payload, page - prev_page);
    PutVarint64(&payload, offset);
    PutVarint64(&payload, c.bytes.size());
    prev_maxt = c.maxt;
    prev_page = page;
    meta_.mint = std::min(meta_.mint, c.mint);
    meta_.maxt = std::max(meta_.maxt, c.maxt);
    meta_.samples += c.samples;
    ++meta_.chunks;
  }
  ++meta_.series;
  last_ = labels;
  entries_.emplace_back(labels, std::move(payload));
  return Status::Ok();
}

Result<BlockMeta> BlockWriter::Finish() {
  STRIX_RETURN_IF_ERROR(FlushPage());
  if (meta_.series == 0) meta_.mint = meta_.maxt = meta_.window_start;
  uint64_t pages_offset = kHeaderBytes;
  uint64_t pages_len = offset_ - kHeaderBytes;
  // Index: every symbol, sorted and unique.
  std::vector<std::string_view> symbols;
  for (const auto& [labels, payload] : entries_) {
    for (const Label& l : labels) {
      symbols.push_back(l.name);
      symbols.push_back(l.value);
    }
  }
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  index::StringFile index_bytes;
  {
    STRIX_ASSIGN_OR_RETURN(auto iw, index::IndexWriter::Create(&index_bytes, symbols));
    for (const auto& [labels, payload] : entries_)
      STRIX_RETURN_IF_ERROR(iw->AddSeries(labels, payload));
    STRIX_RETURN_IF_ERROR(iw->Finish());
  }
  uint64_t index_offset = offset_;
  STRIX_RETURN_IF_ERROR(Write(index_bytes.data()));
  uint64_t meta_offset = offset_;
  std::string meta = EncodeMeta(meta_);
  STRIX_RETURN_IF_ERROR(Write(meta));
  std::string footer;
  PutFixed64(&footer, pages_offset);
  PutFixed64(&footer, pages_len);
  PutFixed64(&footer, index_offset);
  PutFixed64(&footer, index_bytes.data().size());
  PutFixed64(&footer, meta_offset);
  PutFixed64(&footer, meta.size());
  PutFixed32(&footer, crc32c::Mask(crc32c::Value(footer)));
  PutFixed32(&footer, kVersion);
  footer.append(kFooterMagic);
  STRIX_RETURN_IF_ERROR(Write(footer));
  STRIX_RETURN_IF_ERROR(file_->Sync());
  STRIX_RETURN_IF_ERROR(file_->Close());
  STRIX_RETURN_IF_ERROR(env_.RenameFile(tmp_path_, JoinPath(dir_, BlockFileName(meta_.seq))));
  finished_ = true;
  STRIX_RETURN_IF_ERROR(env_.SyncDir(dir_));
  return meta_;
}

// ---- reader ---------------------------------------------------------------------------

Block::~Block() = default;

std::string Block::path() const { return JoinPath(dir_, BlockFileName(meta_.seq)); }

Result<std::unique_ptr<Block>> Block::Open(Env& env, const std::string& dir, uint64_t seq) {
  std::unique_ptr<Block> b(new Block(env, dir));
  STRIX_RETURN_IF_ERROR(b->Init(seq));
  return b;
}

Status Block::Init(uint64_t seq) {
  std::string p = JoinPath(dir_, BlockFileName(seq));
  STRIX_ASSIGN_OR_RETURN(region_, env_.MapReadOnly(p));
  data_ = region_->data();
  if (data_.size() < kHeaderBytes + kFooterBytes) return Corrupt(p, "file too short", 0);
  if (data_.substr(0, 8) != kHeaderMagic) return Corrupt(p, "bad header magic", 0);
  if (DecodeFixed32(data_.data() + 8) != kVersion)
    return Status::Unimplemented("block: unknown format version", p);
  std::string_view footer = data_.substr(data_.size() - kFooterBytes);
  uint64_t foff = data_.size() - kFooterBytes;
  if (footer.substr(56) != kFooterMagic) return Corrupt(p, "bad footer magic", foff);
  if (crc32c::Unmask(DecodeFixed32(footer.data() + 48)) != crc32c::Value(footer.data(), 48))
    return Corrupt(p, "footer crc mismatch", foff);
  uint64_t f[6];
  for (int i = 0; i < 6; ++i) f[i] = DecodeFixed64(footer.data() + 8 * i);
  for (int i = 0; i < 3; ++i) {
    if (f[2 * i] > foff || f[2 * i + 1] > foff - f[2 * i])
      return Corrupt(p, "section outside the file", foff);
  }
  pages_ = data_.substr(f[0], f[1]);
  STRIX_RETURN_IF_ERROR(DecodeMeta(data_.substr(f[4], f[5]), &meta_).WithContext(p));
  if (meta_.seq != seq) return Corrupt(p, "meta names another block", f[4]);
  index::IndexReaderOptions io;
  io.verify_checksums = true;
  auto ir = index::IndexReader::Open(data_.substr(f[2], f[3]), io);
  if (!ir.ok()) return ir.status().WithContext(p);
  index_ = std::move(ir).value();
  // Page directory.
  std::string_view in = pages_;
  while (!in.empty()) {
    uint64_t start = pages_.size() - in.size();
    uint64_t raw_len, stored_len;
    in.remove_prefix(1);
    if (!GetVarint64(&in, &raw_len) || !GetVarint64(&in, &stored_len) ||
        stored_len + 4 > in.size() || raw_len > (1ull << 32))
      return Corrupt(p, "bad page header", f[0] + start);
    page_offsets_.push_back(start);
    in.remove_prefix(stored_len + 4);
  }
  if (page_offsets_.size() != meta_.pages) return Corrupt(p, "page count differs from meta", f[0]);
  return LoadTombstones();
}

Result<std::string_view> Block::Page(uint32_t page, PageCache* cache) const {
  if (page >= page_offsets_.size()) return Corrupt(path(), "chunk in a missing page", page);
  std::string_view in = pages_.substr(page_offsets_[page]);
  std::string_view head = in;
  auto codec = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  uint64_t raw_len, stored_len;
  GetVarint64(&in, &raw_len);  // validated at open
  GetVarint64(&in, &stored_len);
  size_t hdr = head.size() - in.size();
  std::string_view stored = in.substr(0, stored_len);
  bool fresh = true;
  std::string* slot = codec == kCodecZstd ? cache->Slot(meta_.seq, page, &fresh) : nullptr;
  if (slot != nullptr && !fresh) return std::string_view(*slot);
  uint32_t crc = crc32c::Extend(crc32c::Value(head.data(), hdr), stored.data(), stored.size());
  if (crc32c::Unmask(DecodeFixed32(in.data() + stored_len)) != crc)
    return Corrupt(path(), "page crc mismatch", page_offsets_[page]);
  if (codec == kCodecRaw) {
    if (raw_len != stored_len) return Corrupt(path(), "raw page length mismatch", page);
    return stored;
  }
  if (codec != kCodecZstd) return Corrupt(path(), "unknown page codec", page);
  STRIX_CHECK(slot != nullptr);  // PageCache::Slot never returns null
  slot->resize(raw_len);
  size_t n = ZSTD_decompress(slot->data(), raw_len, stored.data(), stored.size());
  if (ZSTD_isError(n) || n != raw_len) {
    slot->clear();
    return Corrupt(path(), "page does not decompress", page_offsets_[page]);
  }
  return std::string_view(*slot);
}

Status Block::SeriesAt(uint32_t pos, Labels* labels, ValueKind* kind,
                       std::vector<ChunkRef>* chunks) const {
  STRIX_ASSIGN_OR_RETURN(index::IndexSeriesEntry e, index_->Series(pos));
  *labels = std::move(e.labels);
  std::string_view in = e.payload;
  chunks->clear();
  uint64_t n;
  if (in.empty()) return Corrupt(path(), "empty series payload", pos);
  uint8_t k = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  if (k < 1 || k > 6 || !GetVarint64(&in, &n) || n > in.size())
    return Corrupt(path(), "bad series payload", pos);
  *kind = static_cast<ValueKind>(k);
  Timestamp prev_maxt = 0;
  uint64_t page = 0;
  for (uint64_t i = 0; i < n; ++i) {
    int64_t mint;
    uint64_t span, dpage, off, len;
    if (!GetVarsint64(&in, &mint) || !GetVarint64(&in, &span) || !GetVarint64(&in, &dpage) ||
        !GetVarint64(&in, &off) || !GetVarint64(&in, &len) || span > (1ull << 62) ||
        dpage > page_offsets_.size() || off > (1ull << 32) || len > (1ull << 32))
      return Corrupt(path(), "bad chunk ref", pos);
    ChunkRef r;
    r.mint = i == 0 ? mint : prev_maxt + mint;
    r.maxt = r.mint + static_cast<int64_t>(span);
    page += dpage;
    r.page = static_cast<uint32_t>(page);
    r.offset = static_cast<uint32_t>(off);
    r.length = static_cast<uint32_t>(len);
    prev_maxt = r.maxt;
    chunks->push_back(r);
  }
  return Status::Ok();
}

Result<std::string_view> Block::ChunkBytes(const ChunkRef& ref, PageCache* cache) const {
  STRIX_ASSIGN_OR_RETURN(std::string_view page, Page(ref.page, cache));
  if (ref.offset > page.size() || ref.length > page.size() - ref.offset)
    return Corrupt(path(), "chunk outside its page", ref.page);
  return page.substr(ref.offset, ref.length);
}

Status Block::Verify() const {
  PageCache cache;
  for (uint32_t p = 0; p < page_offsets_.size(); ++p)
    STRIX_RETURN_IF_ERROR(Page(p, &cache).status());
  STRIX_RETURN_IF_ERROR(index_->Verify().WithContext(path()));
  uint64_t samples = 0, chunks = 0;
  for (uint32_t pos = 0; pos < index_->num_series(); ++pos) {
    Labels l;
    ValueKind k;
    std::vector<ChunkRef> refs;
    STRIX_RETURN_IF_ERROR(SeriesAt(pos, &l, &k, &refs));
    for (const ChunkRef& r : refs) {
      STRIX_ASSIGN_OR_RETURN(std::string_view bytes, ChunkBytes(r, &cache));
      if (meta_.resolution_ms > 0 && k != ValueKind::kState) {  // a tier chunk
        ValueKind tk;
        int64_t res;
        std::vector<Timestamp> starts;
        std::vector<Aggregate> points;
        STRIX_RETURN_IF_ERROR(tier::DecodeTierChunk(bytes, &tk, &res, &starts, &points)
                                  .WithContext(path() + " series " + l.ToString()));
        if (tk != k || res != meta_.resolution_ms)
          return Corrupt(path(), "tier chunk kind or resolution differs from the block's", r.page);
        if (starts.front() != r.mint || starts.back() != r.maxt)
          return Corrupt(path(), "chunk time range differs from its reference", r.page);
        samples += points.size();
        ++chunks;
        continue;
      }
      chunk::BatchDecoder d;
      STRIX_RETURN_IF_ERROR(d.Init(bytes).WithContext(path() + " series " + l.ToString()));
      Timestamp ts[256];
      uint64_t raw[256];
      Timestamp first = INT64_MIN, last = INT64_MIN;
      while (size_t n = d.DecodeRaw(ts, raw, 256)) {
        if (first == INT64_MIN) first = ts[0];
        last = ts[n - 1];
      }
      STRIX_RETURN_IF_ERROR(d.status().WithContext(path() + " series " + l.ToString()));
      if (first != r.mint || last != r.maxt)
        return Corrupt(path(), "chunk time range differs from its reference", r.page);
      samples += d.header().count;
      ++chunks;
    }
  }
  if (samples != meta_.samples || chunks != meta_.chunks)
    return Corrupt(path(), "sample or chunk count differs from meta", 0);
  return Status::Ok();
}

// ---- tombstones -----------------------------------------------------------------------

Status Block::LoadTombstones() {
  std::string p = JoinPath(dir_, BlockFileName(meta_.seq).substr(0, 16) + std::string(kTombSuffix));
  if (!env_.FileExists(p)) return Status::Ok();
  STRIX_ASSIGN_OR_RETURN(std::string data, ReadFileToString(env_, p));
  if (data.size() < 12 || std::string_view(data).substr(0, 8) != kTombMagic)
    return Status::Corruption("tombstones: bad magic", p);
  std::string_view body(data.data(), data.size() - 4);
  if (crc32c::Unmask(DecodeFixed32(data.data() + body.size())) != crc32c::Value(body))
    return Status::Corruption("tombstones: crc mismatch", p);
  body.remove_prefix(8);
  uint64_t n;
  if (!GetVarint64(&body, &n) || n > body.size())
    return Status::Corruption("tombstones: truncated", p);
  std::vector<Tombstone> t;
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t s;
    Tombstone x;
    if (!GetVarint32(&body, &s) || !GetVarsint64(&body, &x.from) || !GetVarsint64(&body, &x.to))
      return Status::Corruption("tombstones: truncated", p);
    x.series = s;
    t.push_back(x);
  }
  MutexLock l(&tomb_mu_);
  tombstones_ = std::move(t);
  return Status::Ok();
}

std::vector<Tombstone> Block::TombstonesOf(uint32_t pos) const {
  MutexLock l(&tomb_mu_);
  std::vector<Tombstone> out;
  auto it = std::lower_bound(tombstones_.begin(), tombstones_.end(), pos,
                             [](const Tombstone& t, uint32_t p) { return t.series < p; });
  for (; it != tombstones_.end() && it->series == pos; ++it) out.push_back(*it);
  return out;
}

bool Block::has_tombstones() const {
  MutexLock l(&tomb_mu_);
  return !tombstones_.empty();
}

Status Block::AddTombstones(const std::vector<Tombstone>& add) {
  MutexLock l(&tomb_mu_);
  std::vector<Tombstone> all = tombstones_;
  all.insert(all.end(), add.begin(), add.end());
  std::sort(all.begin(), all.end(), [](const Tombstone& a, const Tombstone& b) {
    return a.series != b.series ? a.series < b.series : a.from < b.from;
  });
  std::string out(kTombMagic);
  PutVarint64(&out, all.size());
  for (const auto& t : all) {
    PutVarint32(&out, t.series);
    PutVarsint64(&out, t.from);
    PutVarsint64(&out, t.to);
  }
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out)));
  std::string p = JoinPath(dir_, BlockFileName(meta_.seq).substr(0, 16) + std::string(kTombSuffix));
  STRIX_RETURN_IF_ERROR(WriteFileAtomically(env_, p, out));
  tombstones_ = std::move(all);
  return Status::Ok();
}

}  // namespace strix::storage::block
