#pragma once
// Parquet's footer and page headers (apache/parquet-format, parquet.thrift) as plain structs,
// with the field ids of the spec, written and read in Thrift's compact protocol. Only the
// fields this library writes or needs to read; the reader skips the others.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/io/parquet/thrift_compact.hpp"

namespace trace {
inline namespace v0 {
namespace parquet {

// parquet.thrift's enums, by their numbers.
enum class physical_type : std::int32_t { boolean = 0, int32 = 1, int64 = 2, int96 = 3, float_ = 4, double_ = 5, byte_array = 6, fixed_len_byte_array = 7 };
enum class repetition : std::int32_t { required = 0, optional = 1, repeated = 2 };
enum class encoding : std::int32_t { plain = 0, plain_dictionary = 2, rle = 3, bit_packed = 4, rle_dictionary = 8 };
enum class codec : std::int32_t { uncompressed = 0, snappy = 1 };
enum class page_type : std::int32_t { data = 0, index = 1, dictionary = 2, data_v2 = 3 };
// ConvertedType, kept beside the logical type for older readers.
enum class converted_type : std::int32_t { utf8 = 0, map = 1, map_key_value = 2, list = 3, json = 19 };

struct logical_type {
  enum class kind { none, string, map, list, timestamp, json, other };
  kind type = kind::none;
  bool utc = true;   // timestamps: isAdjustedToUTC
  int unit = 2;      // timestamps: 0 millis, 1 micros, 2 nanos (TimeUnit's field ids minus one)
};

struct schema_element {
  std::optional<physical_type> type;  // leaves only
  std::int32_t type_length = 0;       // fixed_len_byte_array
  std::optional<repetition> repetition_type;  // absent on the root
  std::string name;
  std::int32_t num_children = 0;     // groups
  std::optional<converted_type> converted;
  logical_type logical;
};

struct statistics {
  std::optional<std::string> min_value;  // plain encoding, without a length prefix
  std::optional<std::string> max_value;
  std::optional<std::int64_t> null_count;
};

struct column_metadata {
  physical_type type = physical_type::int64;
  std::vector<encoding> encodings;
  std::vector<std::string> path;
  codec compression = codec::uncompressed;
  std::int64_t num_values = 0;
  std::int64_t total_uncompressed_size = 0;
  std::int64_t total_compressed_size = 0;
  std::int64_t data_page_offset = 0;
  std::optional<std::int64_t> dictionary_page_offset;
  statistics stats;
};

struct row_group {
  std::vector<column_metadata> columns;  // ColumnChunk's file_offset is written from these
  std::int64_t total_byte_size = 0;
  std::int64_t num_rows = 0;
};

struct file_metadata {
  std::int32_t version = 1;
  std::vector<schema_element> schema;  // depth first, the root first
  std::int64_t num_rows = 0;
  std::vector<row_group> row_groups;
  std::vector<std::pair<std::string, std::string>> key_value;
  std::string created_by;
};

struct page_header {
  page_type type = page_type::data;
  std::int32_t uncompressed_size = 0;
  std::int32_t compressed_size = 0;
  std::int32_t num_values = 0;  // data, dictionary and v2 pages
  encoding value_encoding = encoding::plain;
  // DATA_PAGE_V2 only: levels are outside the compressed part, their lengths given here.
  std::int32_t definition_levels_length = 0;
  std::int32_t repetition_levels_length = 0;
  bool v2_compressed = true;
};

// ---- writing -------------------------------------------------------------------------------

inline void write_statistics(compact_writer& w, std::int16_t id, const statistics& s) {
  w.field_struct(id);
  if (s.null_count) w.field_i64(3, *s.null_count);
  if (s.max_value) w.field_binary(5, *s.max_value);
  if (s.min_value) w.field_binary(6, *s.min_value);
  w.end_struct();
}

inline void write_logical_type(compact_writer& w, const logical_type& t) {
  if (t.type == logical_type::kind::none || t.type == logical_type::kind::other) return;
  w.field_struct(10);  // SchemaElement.logicalType, a union
  const std::int16_t member = t.type == logical_type::kind::string ? 1
                              : t.type == logical_type::kind::map  ? 2
                              : t.type == logical_type::kind::list ? 3
                              : t.type == logical_type::kind::json ? 12
                                                                   : 8;
  w.field_struct(member);
  if (t.type == logical_type::kind::timestamp) {
    w.field_bool(1, t.utc);
    w.field_struct(2);  // TimeUnit union
    w.field_struct(static_cast<std::int16_t>(t.unit + 1));
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();
  w.end_struct();
}

inline void write_file_metadata(std::string& out, const file_metadata& m) {
  compact_writer w(out);
  w.begin_struct();
  w.field_i32(1, m.version);
  w.field_list(2, ctype::struct_, m.schema.size());
  for (const auto& e : m.schema) {
    w.begin_struct();
    if (e.type) w.field_i32(1, static_cast<std::int32_t>(*e.type));
    if (e.type == physical_type::fixed_len_byte_array) w.field_i32(2, e.type_length);
    if (e.repetition_type) w.field_i32(3, static_cast<std::int32_t>(*e.repetition_type));
    w.field_binary(4, e.name);
    if (!e.type) w.field_i32(5, e.num_children);
    if (e.converted) w.field_i32(6, static_cast<std::int32_t>(*e.converted));
    write_logical_type(w, e.logical);
    w.end_struct();
  }
  w.field_i64(3, m.num_rows);
  w.field_list(4, ctype::struct_, m.row_groups.size());
  for (const auto& g : m.row_groups) {
    w.begin_struct();
    w.field_list(1, ctype::struct_, g.columns.size());
    for (const auto& c : g.columns) {
      w.begin_struct();  // ColumnChunk
      w.field_i64(2, c.dictionary_page_offset.value_or(c.data_page_offset));
      w.field_struct(3);  // ColumnMetaData
      w.field_i32(1, static_cast<std::int32_t>(c.type));
      w.field_list(2, ctype::i32, c.encodings.size());
      for (auto e : c.encodings) w.i32(static_cast<std::int32_t>(e));
      w.field_list(3, ctype::binary, c.path.size());
      for (const auto& p : c.path) w.binary(p);
      w.field_i32(4, static_cast<std::int32_t>(c.compression));
      w.field_i64(5, c.num_values);
      w.field_i64(6, c.total_uncompressed_size);
      w.field_i64(7, c.total_compressed_size);
      w.field_i64(9, c.data_page_offset);
      if (c.dictionary_page_offset) w.field_i64(11, *c.dictionary_page_offset);
      write_statistics(w, 12, c.stats);
      w.end_struct();
      w.end_struct();
    }
    w.field_i64(2, g.total_byte_size);
    w.field_i64(3, g.num_rows);
    w.end_struct();
  }
  if (!m.key_value.empty()) {
    w.field_list(5, ctype::struct_, m.key_value.size());
    for (const auto& [key, value] : m.key_value) {
      w.begin_struct();
      w.field_binary(1, key);
      w.field_binary(2, value);
      w.end_struct();
    }
  }
  w.field_binary(6, m.created_by);
  // column_orders: TYPE_ORDER for every leaf, so readers trust min/max of strings and ids.
  std::size_t leaves = 0;
  for (const auto& e : m.schema) leaves += e.type ? 1 : 0;
  w.field_list(7, ctype::struct_, leaves);
  for (std::size_t i = 0; i < leaves; ++i) {
    w.begin_struct();
    w.field_struct(1);
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();
}

inline void write_page_header(std::string& out, const page_header& h) {
  compact_writer w(out);
  w.begin_struct();
  w.field_i32(1, static_cast<std::int32_t>(h.type));
  w.field_i32(2, h.uncompressed_size);
  w.field_i32(3, h.compressed_size);
  if (h.type == page_type::dictionary) {
    w.field_struct(7);
    w.field_i32(1, h.num_values);
    w.field_i32(2, static_cast<std::int32_t>(h.value_encoding));
    w.end_struct();
  } else {
    w.field_struct(5);
    w.field_i32(1, h.num_values);
    w.field_i32(2, static_cast<std::int32_t>(h.value_encoding));
    w.field_i32(3, static_cast<std::int32_t>(encoding::rle));
    w.field_i32(4, static_cast<std::int32_t>(encoding::rle));
    w.end_struct();
  }
  w.end_struct();
}

// ---- reading -------------------------------------------------------------------------------

namespace detail {

template <class F>
void read_struct(compact_reader& r, F&& on_field) {
  r.begin_struct();
  for (auto f = r.next_field(); f.type != ctype::stop; f = r.next_field()) on_field(f);
  r.end_struct();
}

template <class F>
void read_struct_list(compact_reader& r, const compact_reader::field& f, F&& on_element) {
  r.expect(f, ctype::list);
  const auto h = r.read_list();
  if (h.element != ctype::struct_) r.fail("list of field " + std::to_string(f.id) + " does not hold structures");
  for (std::size_t i = 0; i < h.size; ++i) on_element();
}

inline std::int32_t read_i32_field(compact_reader& r, const compact_reader::field& f) {
  r.expect(f, ctype::i32);
  return r.read_i32();
}
inline std::int64_t read_i64_field(compact_reader& r, const compact_reader::field& f) {
  r.expect(f, ctype::i64);
  return r.read_i64();
}
inline std::string read_binary_field(compact_reader& r, const compact_reader::field& f) {
  r.expect(f, ctype::binary);
  return std::string(r.read_binary());
}

inline statistics read_statistics(compact_reader& r) {
  statistics s;
  read_struct(r, [&](const compact_reader::field& f) {
    switch (f.id) {
      case 3: s.null_count = read_i64_field(r, f); break;
      case 5: s.max_value = read_binary_field(r, f); break;
      case 6: s.min_value = read_binary_field(r, f); break;
      default: r.skip(f.type);
    }
  });
  return s;
}

inline logical_type read_logical_type(compact_reader& r) {
  logical_type t;
  t.type = logical_type::kind::other;
  read_struct(r, [&](const compact_reader::field& f) {
    r.expect(f, ctype::struct_);
    switch (f.id) {
      case 1: t.type = logical_type::kind::string; break;
      case 2: t.type = logical_type::kind::map; break;
      case 3: t.type = logical_type::kind::list; break;
      case 12: t.type = logical_type::kind::json; break;
      case 8: {
        t.type = logical_type::kind::timestamp;
        read_struct(r, [&](const compact_reader::field& g) {
          if (g.id == 1) {
            t.utc = r.read_bool(g);
          } else if (g.id == 2) {
            r.expect(g, ctype::struct_);
            read_struct(r, [&](const compact_reader::field& u) {
              r.expect(u, ctype::struct_);
              if (u.id < 1 || u.id > 3) r.fail("unknown time unit " + std::to_string(u.id));
              t.unit = u.id - 1;
              r.skip(u.type);
            });
          } else {
            r.skip(g.type);
          }
        });
        return;
      }
      default: break;
    }
    r.skip(f.type);
  });
  return t;
}

inline column_metadata read_column_metadata(compact_reader& r) {
  column_metadata c;
  read_struct(r, [&](const compact_reader::field& f) {
    switch (f.id) {
      case 1: c.type = static_cast<physical_type>(read_i32_field(r, f)); break;
      case 2: {
        r.expect(f, ctype::list);
        const auto h = r.read_list();
        for (std::size_t i = 0; i < h.size; ++i) c.encodings.push_back(static_cast<encoding>(r.read_i32()));
        break;
      }
      case 3: {
        r.expect(f, ctype::list);
        const auto h = r.read_list();
        for (std::size_t i = 0; i < h.size; ++i) c.path.emplace_back(r.read_binary());
        break;
      }
      case 4: c.compression = static_cast<codec>(read_i32_field(r, f)); break;
      case 5: c.num_values = read_i64_field(r, f); break;
      case 6: c.total_uncompressed_size = read_i64_field(r, f); break;
      case 7: c.total_compressed_size = read_i64_field(r, f); break;
      case 9: c.data_page_offset = read_i64_field(r, f); break;
      case 11: c.dictionary_page_offset = read_i64_field(r, f); break;
      case 12: r.expect(f, ctype::struct_), c.stats = read_statistics(r); break;
      default: r.skip(f.type);
    }
  });
  return c;
}

}  // namespace detail

// Reads the footer's FileMetaData; `base_offset` only places error messages in the file.
inline file_metadata read_file_metadata(std::string_view bytes, std::size_t base_offset = 0) {
  compact_reader r(bytes, "footer", base_offset);
  file_metadata m;
  using field = compact_reader::field;
  detail::read_struct(r, [&](const field& f) {
    switch (f.id) {
      case 1: m.version = detail::read_i32_field(r, f); break;
      case 2:
        detail::read_struct_list(r, f, [&] {
          schema_element e;
          detail::read_struct(r, [&](const field& g) {
            switch (g.id) {
              case 1: e.type = static_cast<physical_type>(detail::read_i32_field(r, g)); break;
              case 2: e.type_length = detail::read_i32_field(r, g); break;
              case 3: e.repetition_type = static_cast<repetition>(detail::read_i32_field(r, g)); break;
              case 4: e.name = detail::read_binary_field(r, g); break;
              case 5: e.num_children = detail::read_i32_field(r, g); break;
              case 6: e.converted = static_cast<converted_type>(detail::read_i32_field(r, g)); break;
              case 10: r.expect(g, ctype::struct_), e.logical = detail::read_logical_type(r); break;
              default: r.skip(g.type);
            }
          });
          m.schema.push_back(std::move(e));
        });
        break;
      case 3: m.num_rows = detail::read_i64_field(r, f); break;
      case 4:
        detail::read_struct_list(r, f, [&] {
          row_group g;
          detail::read_struct(r, [&](const field& h) {
            switch (h.id) {
              case 1:
                detail::read_struct_list(r, h, [&] {
                  bool has_metadata = false;
                  detail::read_struct(r, [&](const field& c) {
                    if (c.id == 3) {
                      r.expect(c, ctype::struct_);
                      g.columns.push_back(detail::read_column_metadata(r));
                      has_metadata = true;
                    } else {
                      r.skip(c.type);
                    }
                  });
                  if (!has_metadata) r.fail("a column chunk without its metadata (in another file?)");
                });
                break;
              case 2: g.total_byte_size = detail::read_i64_field(r, h); break;
              case 3: g.num_rows = detail::read_i64_field(r, h); break;
              default: r.skip(h.type);
            }
          });
          m.row_groups.push_back(std::move(g));
        });
        break;
      case 5:
        detail::read_struct_list(r, f, [&] {
          std::pair<std::string, std::string> kv;
          detail::read_struct(r, [&](const field& h) {
            if (h.id == 1) kv.first = detail::read_binary_field(r, h);
            else if (h.id == 2) kv.second = detail::read_binary_field(r, h);
            else r.skip(h.type);
          });
          m.key_value.push_back(std::move(kv));
        });
        break;
      case 6: m.created_by = detail::read_binary_field(r, f); break;
      default: r.skip(f.type);
    }
  });
  return m;
}

// Reads a page header at the start of `bytes`; `consumed` gets its size.
inline page_header read_page_header(std::string_view bytes, std::size_t base_offset, std::size_t& consumed) {
  compact_reader r(bytes, "page header", base_offset);
  page_header h;
  using field = compact_reader::field;
  detail::read_struct(r, [&](const field& f) {
    switch (f.id) {
      case 1: h.type = static_cast<page_type>(detail::read_i32_field(r, f)); break;
      case 2: h.uncompressed_size = detail::read_i32_field(r, f); break;
      case 3: h.compressed_size = detail::read_i32_field(r, f); break;
      case 5:
      case 7:
        r.expect(f, ctype::struct_);
        detail::read_struct(r, [&](const field& g) {
          if (g.id == 1) h.num_values = detail::read_i32_field(r, g);
          else if (g.id == 2) h.value_encoding = static_cast<encoding>(detail::read_i32_field(r, g));
          else r.skip(g.type);
        });
        break;
      case 8:  // DataPageHeaderV2
        r.expect(f, ctype::struct_);
        detail::read_struct(r, [&](const field& g) {
          switch (g.id) {
            case 1: h.num_values = detail::read_i32_field(r, g); break;
            case 4: h.value_encoding = static_cast<encoding>(detail::read_i32_field(r, g)); break;
            case 5: h.definition_levels_length = detail::read_i32_field(r, g); break;
            case 6: h.repetition_levels_length = detail::read_i32_field(r, g); break;
            case 7: h.v2_compressed = r.read_bool(g); break;
            default: r.skip(g.type);
          }
        });
        break;
      default: r.skip(f.type);
    }
  });
  if (h.uncompressed_size < 0 || h.compressed_size < 0 || h.num_values < 0 || h.definition_levels_length < 0 ||
      h.repetition_levels_length < 0)
    r.fail("negative size in a page header");
  consumed = r.position();
  return h;
}

}  // namespace parquet
}  // namespace v0
}  // namespace trace
