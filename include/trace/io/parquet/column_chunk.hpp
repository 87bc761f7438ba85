#pragma once
// One column of one row group: its levels and values in memory (`column_values`), written as a
// column chunk (an optional dictionary page, then one data page, version 1) and read back from
// any chunk of PLAIN or dictionary-encoded pages, version 1 or 2, UNCOMPRESSED or SNAPPY.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/io/parquet/metadata.hpp"
#include "trace/io/parquet/rle_hybrid.hpp"
#include "trace/io/parquet/snappy.hpp"

namespace trace {
inline namespace v0 {
namespace parquet {

// Where a leaf sits in the schema: its path, type and the highest levels it can have.
struct column_descriptor {
  std::vector<std::string> path;
  physical_type type = physical_type::int64;
  std::int32_t type_length = 0;
  int max_repetition = 0;
  int max_definition = 0;
  logical_type logical;

  std::string dotted_path() const {
    std::string out;
    for (const auto& part : path) out += (out.empty() ? "" : ".") + part;
    return out;
  }
};

// Dremel's shredded form of a column: one entry per value or null (levels), the non-null
// values in order. Integers of both widths go to `ints`, floats of both to `doubles`,
// byte arrays (fixed or not) to `bytes` with their end offsets.
struct column_values {
  std::vector<std::uint8_t> repetition_levels;  // empty when the column's maximum is 0
  std::vector<std::uint8_t> definition_levels;  // empty when the column's maximum is 0
  std::size_t entries = 0;
  std::vector<std::int64_t> ints;
  std::vector<double> doubles;
  std::vector<std::uint8_t> bools;
  std::string bytes;
  std::vector<std::uint32_t> byte_ends;

  std::size_t value_count() const noexcept {
    return ints.size() + doubles.size() + bools.size() + byte_ends.size();
  }
  std::string_view byte_value(std::size_t i) const noexcept {
    const std::size_t begin = i == 0 ? 0 : byte_ends[i - 1];
    return std::string_view(bytes).substr(begin, byte_ends[i] - begin);
  }
  void add_bytes(std::string_view v) {
    bytes.append(v);
    byte_ends.push_back(static_cast<std::uint32_t>(bytes.size()));
  }
  void clear() { *this = column_values{}; }
};

namespace detail {

inline void put_u32(std::string& out, std::uint32_t v) {
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
}

inline void put_plain_value(std::string& out, const column_values& c, const column_descriptor& d, std::size_t i) {
  switch (d.type) {
    case physical_type::int64: {
      const auto v = static_cast<std::uint64_t>(c.ints[i]);
      for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
      break;
    }
    case physical_type::double_: {
      std::uint64_t v;
      std::memcpy(&v, &c.doubles[i], 8);
      for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
      break;
    }
    case physical_type::byte_array:
      put_u32(out, static_cast<std::uint32_t>(c.byte_value(i).size()));
      out.append(c.byte_value(i));
      break;
    case physical_type::fixed_len_byte_array: out.append(c.byte_value(i)); break;
    default: throw error(errc::invalid_argument, "parquet writer: column " + d.dotted_path() + " has an unwritable type");
  }
}

inline void put_levels(std::string& out, const std::vector<std::uint8_t>& levels, int max_level) {
  std::string encoded;
  rle_hybrid_encode(encoded, std::vector<std::uint32_t>(levels.begin(), levels.end()), bit_width(static_cast<std::uint64_t>(max_level)));
  put_u32(out, static_cast<std::uint32_t>(encoded.size()));
  out.append(encoded);
}

inline std::string compress(std::string_view page, codec c) {
  return c == codec::snappy ? snappy_compress(page) : std::string(page);
}

inline bool byte_less(std::string_view a, std::string_view b) { return a < b; }  // unsigned bytes: char_traits<char>

}  // namespace detail

// The statistics of a chunk: null count, and min/max of the values in the type's order
// (signed for INT64, unsigned bytes for strings and ids). Byte-array bounds longer than
// 64 bytes are left out, as a reader may not truncate them safely.
inline statistics column_statistics(const column_values& c, const column_descriptor& d) {
  statistics s;
  s.null_count = static_cast<std::int64_t>(c.entries - c.value_count());
  auto encode_int = [](std::int64_t v) {
    std::string out;
    for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * b)) & 0xff));
    return out;
  };
  if (!c.ints.empty()) {
    const auto [lo, hi] = std::minmax_element(c.ints.begin(), c.ints.end());
    s.min_value = encode_int(*lo);
    s.max_value = encode_int(*hi);
  } else if (!c.byte_ends.empty()) {
    std::string_view lo = c.byte_value(0), hi = lo;
    for (std::size_t i = 1; i < c.byte_ends.size(); ++i) {
      const auto v = c.byte_value(i);
      if (detail::byte_less(v, lo)) lo = v;
      if (detail::byte_less(hi, v)) hi = v;
    }
    if (lo.size() <= 64 && hi.size() <= 64) {
      s.min_value = std::string(lo);
      s.max_value = std::string(hi);
    }
  } else if (!c.doubles.empty() && d.type == physical_type::double_) {
    bool any = false;
    double lo = 0, hi = 0;
    for (double v : c.doubles) {
      if (v != v) continue;  // NaN has no place in the order
      if (!any || v < lo) lo = v;
      if (!any || v > hi) hi = v;
      any = true;
    }
    if (any) {
      std::string a(8, '\0'), b(8, '\0');
      if (lo == 0) lo = -0.0;  // the spec: a zero minimum is written as -0.0, a zero maximum as +0.0
      if (hi == 0) hi = 0.0;
      std::memcpy(a.data(), &lo, 8);
      std::memcpy(b.data(), &hi, 8);
      s.min_value = a;
      s.max_value = b;
    }
  }
  return s;
}

// Appends the column chunk to `out`, which starts at `out_offset` in the file, and returns its
// metadata. Byte arrays are dictionary-encoded when the dictionary is smaller than half
// the plain values.
inline column_metadata write_column_chunk(std::string& out, std::int64_t out_offset, const column_values& c,
                                          const column_descriptor& d, codec compression) {
  column_metadata m;
  m.type = d.type;
  m.path = d.path;
  m.compression = compression;
  m.num_values = static_cast<std::int64_t>(c.entries);
  m.stats = column_statistics(c, d);
  const std::size_t start = out.size();

  std::string values;
  encoding value_encoding = encoding::plain;
  if (d.type == physical_type::byte_array && !c.byte_ends.empty()) {
    std::unordered_map<std::string_view, std::uint32_t> index;
    std::vector<std::uint32_t> indices;
    indices.reserve(c.byte_ends.size());
    std::string dictionary;
    for (std::size_t i = 0; i < c.byte_ends.size(); ++i) {
      const auto v = c.byte_value(i);
      auto [it, inserted] = index.try_emplace(v, static_cast<std::uint32_t>(index.size()));
      if (inserted) {
        detail::put_u32(dictionary, static_cast<std::uint32_t>(v.size()));
        dictionary.append(v);
      }
      indices.push_back(it->second);
    }
    if (dictionary.size() * 2 < c.bytes.size() + 4 * c.byte_ends.size()) {
      page_header h;
      h.type = page_type::dictionary;
      h.num_values = static_cast<std::int32_t>(index.size());
      h.value_encoding = encoding::plain;
      const std::string body = detail::compress(dictionary, compression);
      h.uncompressed_size = static_cast<std::int32_t>(dictionary.size());
      h.compressed_size = static_cast<std::int32_t>(body.size());
      m.dictionary_page_offset = out_offset + static_cast<std::int64_t>(out.size());
      write_page_header(out, h);
      out.append(body);
      m.total_uncompressed_size += static_cast<std::int64_t>(out.size() - start - body.size() + dictionary.size());
      const int width = std::max(1, bit_width(index.size() - 1));
      values.push_back(static_cast<char>(width));
      rle_hybrid_encode(values, indices, width);
      value_encoding = encoding::rle_dictionary;
    }
  }
  if (value_encoding == encoding::plain) {
    if (d.type == physical_type::boolean) {
      std::uint8_t byte = 0;
      for (std::size_t i = 0; i < c.bools.size(); ++i) {
        if (c.bools[i]) byte |= static_cast<std::uint8_t>(1u << (i % 8));
        if (i % 8 == 7) values.push_back(static_cast<char>(byte)), byte = 0;
      }
      if (c.bools.size() % 8) values.push_back(static_cast<char>(byte));
    } else {
      for (std::size_t i = 0; i < c.value_count(); ++i) detail::put_plain_value(values, c, d, i);
    }
  }

  std::string page;
  if (d.max_repetition > 0) detail::put_levels(page, c.repetition_levels, d.max_repetition);
  if (d.max_definition > 0) detail::put_levels(page, c.definition_levels, d.max_definition);
  page.append(values);
  const std::string body = detail::compress(page, compression);
  page_header h;
  h.type = page_type::data;
  h.num_values = static_cast<std::int32_t>(c.entries);
  h.value_encoding = value_encoding;
  h.uncompressed_size = static_cast<std::int32_t>(page.size());
  h.compressed_size = static_cast<std::int32_t>(body.size());
  m.data_page_offset = out_offset + static_cast<std::int64_t>(out.size());
  const std::size_t header_start = out.size();
  write_page_header(out, h);
  m.total_uncompressed_size += static_cast<std::int64_t>(out.size() - header_start + page.size());
  out.append(body);
  m.total_compressed_size = static_cast<std::int64_t>(out.size() - start);
  m.encodings = {encoding::rle, encoding::plain};
  if (value_encoding == encoding::rle_dictionary) m.encodings.push_back(encoding::rle_dictionary);
  return m;
}

// ---- reading -------------------------------------------------------------------------------

namespace detail {

inline std::uint32_t get_u32(std::string_view data, std::size_t pos) {
  std::uint32_t v = 0;
  for (int b = 0; b < 4; ++b) v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(data[pos + static_cast<std::size_t>(b)])) << (8 * b);
  return v;
}

// Decodes `count` PLAIN values of the column's type from `data` into `out`.
inline void read_plain(std::string_view data, std::size_t count, const column_descriptor& d, column_values& out,
                       const std::string& where) {
  auto fail = [&where](const std::string& message) -> error {
    return error(errc::corrupt_data, "parquet " + where + ": " + message);
  };
  std::size_t pos = 0;
  auto need = [&](std::size_t n) {
    if (n > data.size() - pos) throw fail("values end early");
  };
  switch (d.type) {
    case physical_type::boolean:
      need((count + 7) / 8);
      for (std::size_t i = 0; i < count; ++i) out.bools.push_back((static_cast<std::uint8_t>(data[i / 8]) >> (i % 8)) & 1);
      return;
    case physical_type::int32:
      need(count * 4);
      for (std::size_t i = 0; i < count; ++i) out.ints.push_back(static_cast<std::int32_t>(get_u32(data, 4 * i)));
      return;
    case physical_type::int64:
    case physical_type::double_:
      need(count * 8);
      for (std::size_t i = 0; i < count; ++i) {
        std::uint64_t v = get_u32(data, 8 * i) | (static_cast<std::uint64_t>(get_u32(data, 8 * i + 4)) << 32);
        if (d.type == physical_type::int64) {
          out.ints.push_back(static_cast<std::int64_t>(v));
        } else {
          double x;
          std::memcpy(&x, &v, 8);
          out.doubles.push_back(x);
        }
      }
      return;
    case physical_type::float_:
      need(count * 4);
      for (std::size_t i = 0; i < count; ++i) {
        const std::uint32_t v = get_u32(data, 4 * i);
        float x;
        std::memcpy(&x, &v, 4);
        out.doubles.push_back(x);
      }
      return;
    case physical_type::byte_array:
      for (std::size_t i = 0; i < count; ++i) {
        need(4);
        const std::uint32_t n = get_u32(data, pos);
        pos += 4;
        need(n);
        out.add_bytes(data.substr(pos, n));
        pos += n;
      }
      return;
    case physical_type::fixed_len_byte_array: {
      const auto n = static_cast<std::size_t>(d.type_length);
      if (n == 0) throw fail("fixed-length byte array of length 0");
      need(count * n);
      for (std::size_t i = 0; i < count; ++i) out.add_bytes(data.substr(i * n, n));
      return;
    }
    default: throw fail("INT96 values are not read");
  }
}

inline std::vector<std::uint8_t> read_levels(std::string_view data, std::size_t& pos, int max_level, std::size_t count,
                                             bool length_prefixed, std::size_t length, const std::string& where) {
  if (length_prefixed) {
    if (data.size() - pos < 4) throw error(errc::corrupt_data, "parquet " + where + ": levels end early");
    length = get_u32(data, pos);
    pos += 4;
  }
  if (length > data.size() - pos) throw error(errc::corrupt_data, "parquet " + where + ": levels past the page's end");
  const auto decoded = rle_hybrid_decode(data.substr(pos, length), bit_width(static_cast<std::uint64_t>(max_level)), count, where);
  pos += length;
  std::vector<std::uint8_t> levels(decoded.size());
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    if (decoded[i] > static_cast<std::uint32_t>(max_level)) throw error(errc::corrupt_data, "parquet " + where + ": level above the column's maximum");
    levels[i] = static_cast<std::uint8_t>(decoded[i]);
  }
  return levels;
}

inline void append_dictionary_value(column_values& out, const column_values& dictionary, std::uint32_t index) {
  if (!dictionary.ints.empty()) out.ints.push_back(dictionary.ints[index]);
  else if (!dictionary.doubles.empty()) out.doubles.push_back(dictionary.doubles[index]);
  else if (!dictionary.bools.empty()) out.bools.push_back(dictionary.bools[index]);
  else out.add_bytes(dictionary.byte_value(index));
}

}  // namespace detail

// Pages of more values are refused: a few bytes of run-length levels could otherwise claim
// billions of entries and exhaust the memory.
inline constexpr std::size_t max_page_values = std::size_t{1} << 26;

// Reads the column chunk described by `m` out of the whole file `file`.
inline column_values read_column_chunk(std::string_view file, const column_metadata& m, const column_descriptor& d) {
  const std::string where = "column " + d.dotted_path();
  auto fail = [&where](const std::string& message) -> error {
    return error(errc::corrupt_data, "parquet " + where + ": " + message);
  };
  if (m.compression != codec::uncompressed && m.compression != codec::snappy)
    throw fail("compression codec " + std::to_string(static_cast<int>(m.compression)) + " is not supported (UNCOMPRESSED and SNAPPY are)");
  const std::int64_t start = m.dictionary_page_offset && *m.dictionary_page_offset > 0
                                 ? std::min(*m.dictionary_page_offset, m.data_page_offset)
                                 : m.data_page_offset;
  if (start < 4 || m.total_compressed_size < 0 || static_cast<std::uint64_t>(start) > file.size() ||
      static_cast<std::uint64_t>(m.total_compressed_size) > file.size() - static_cast<std::uint64_t>(start))
    throw fail("chunk outside the file");
  if (m.num_values < 0) throw fail("negative value count");
  const std::string_view chunk = file.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(m.total_compressed_size));
  column_values out;
  column_values dictionary;
  bool has_dictionary = false;
  std::size_t pos = 0;
  const auto wanted = static_cast<std::uint64_t>(m.num_values);
  while (out.entries < wanted) {
    if (pos >= chunk.size()) throw fail("chunk ends after " + std::to_string(out.entries) + " of " + std::to_string(wanted) + " values");
    std::size_t header_size = 0;
    const page_header h = read_page_header(chunk.substr(pos), static_cast<std::size_t>(start) + pos, header_size);
    pos += header_size;
    if (static_cast<std::size_t>(h.compressed_size) > chunk.size() - pos) throw fail("page past the chunk's end");
    const std::string_view stored = chunk.substr(pos, static_cast<std::size_t>(h.compressed_size));
    pos += static_cast<std::size_t>(h.compressed_size);
    if (h.type == page_type::index) continue;
    if (h.type == page_type::dictionary) {
      const std::string body = m.compression == codec::snappy
                                   ? snappy_decompress(stored, static_cast<std::size_t>(h.uncompressed_size), where)
                                   : std::string(stored);
      dictionary.clear();
      detail::read_plain(body, static_cast<std::size_t>(h.num_values), d, dictionary, where + " dictionary");
      has_dictionary = true;
      continue;
    }
    if (h.type != page_type::data && h.type != page_type::data_v2) throw fail("unknown page type");
    const auto count = static_cast<std::size_t>(h.num_values);
    if (count > wanted - out.entries) throw fail("pages hold more values than the chunk's metadata");
    if (count > max_page_values) throw fail("a page of " + std::to_string(count) + " values, over the reader's limit of 2^26");
    std::string body;
    std::size_t level_pos = 0;
    std::vector<std::uint8_t> rep, def;
    if (h.type == page_type::data) {
      body = m.compression == codec::snappy ? snappy_decompress(stored, static_cast<std::size_t>(h.uncompressed_size), where)
                                            : std::string(stored);
      if (d.max_repetition > 0) rep = detail::read_levels(body, level_pos, d.max_repetition, count, true, 0, where);
      if (d.max_definition > 0) def = detail::read_levels(body, level_pos, d.max_definition, count, true, 0, where);
    } else {
      const auto levels = static_cast<std::size_t>(h.repetition_levels_length) + static_cast<std::size_t>(h.definition_levels_length);
      if (levels > stored.size()) throw fail("levels past the page's end");
      std::string_view level_bytes = stored.substr(0, levels);
      std::size_t p = 0;
      if (d.max_repetition > 0) rep = detail::read_levels(level_bytes, p, d.max_repetition, count, false, static_cast<std::size_t>(h.repetition_levels_length), where);
      p = static_cast<std::size_t>(h.repetition_levels_length);
      if (d.max_definition > 0) def = detail::read_levels(level_bytes, p, d.max_definition, count, false, static_cast<std::size_t>(h.definition_levels_length), where);
      const auto rest = stored.substr(levels);
      if (h.uncompressed_size < static_cast<std::int32_t>(levels)) throw fail("page smaller than its levels");
      body = m.compression == codec::snappy && h.v2_compressed
                 ? snappy_decompress(rest, static_cast<std::size_t>(h.uncompressed_size) - levels, where)
                 : std::string(rest);
    }
    std::size_t present = count;
    if (d.max_definition > 0) {
      present = static_cast<std::size_t>(std::count(def.begin(), def.end(), static_cast<std::uint8_t>(d.max_definition)));
    }
    const std::string_view values = std::string_view(body).substr(level_pos);
    if (h.value_encoding == encoding::plain) {
      detail::read_plain(values, present, d, out, where);
    } else if (h.value_encoding == encoding::rle_dictionary || h.value_encoding == encoding::plain_dictionary) {
      if (!has_dictionary) throw fail("dictionary-encoded page without a dictionary");
      if (present > 0) {
        if (values.empty()) throw fail("dictionary indices missing");
        const auto indices = rle_hybrid_decode(values.substr(1), static_cast<std::uint8_t>(values[0]), present, where + " indices");
        const std::size_t size = dictionary.value_count();
        for (auto index : indices) {
          if (index >= size) throw fail("dictionary index " + std::to_string(index) + " past the dictionary's " + std::to_string(size));
          detail::append_dictionary_value(out, dictionary, index);
        }
      }
    } else {
      throw fail("encoding " + std::to_string(static_cast<int>(h.value_encoding)) + " is not supported (PLAIN and RLE_DICTIONARY are)");
    }
    out.repetition_levels.insert(out.repetition_levels.end(), rep.begin(), rep.end());
    out.definition_levels.insert(out.definition_levels.end(), def.begin(), def.end());
    out.entries += count;
  }
  return out;
}

}  // namespace parquet
}  // namespace v0
}  // namespace trace
