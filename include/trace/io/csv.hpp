#pragma once
// CSV export (RFC 4180): a header row, then one row per span, CRLF line ends; a field with
// a comma, a quote or a line break is quoted, its quotes doubled. Span attributes go into
// one column as a JSON object, so a spreadsheet keeps them and a program can still read them.
//
//   std::string text = trace::csv::to_csv(spans);   // any range of span_like values

#include <ranges>
#include <string>
#include <utility>
#include <string_view>

#include "trace/core/span_traits.hpp"
#include "trace/io/json_attribute.hpp"
#include "trace/io/json_writer.hpp"

namespace trace {
inline namespace v0 {
namespace csv {

inline constexpr std::string_view header =
    "trace_id,span_id,parent_id,service,operation,kind,start_ns,end_ns,duration_ns,status,status_message,attributes";

// Appends `field` to `out`, quoted when RFC 4180 requires it.
inline void append_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
void write(std::string& out, R&& spans) {
  out += header;
  out += "\r\n";
  std::string attributes;
  for (auto&& s : spans) {
    auto field = [&out](std::string_view text) {
      append_field(out, text);
      out += ',';
    };
    field(trace_id_of(s).to_hex());
    field(span_id_of(s).to_hex());
    field(parent_id_of(s).valid() ? parent_id_of(s).to_hex() : std::string());
    field(service_of(s));
    field(name_of(s));
    field(to_string(kind_of(s)));
    field(std::to_string(start_of(s)));
    field(std::to_string(end_of(s)));
    field(std::to_string(duration_of(s)));
    field(to_string(status_of(s)));
    field(status_message_of(s));
    attributes.clear();
    json::writer w(attributes);
    w.begin_object();
    visit_attributes(s, [&w](attribute_scope where, std::string_view key, const auto& value) {
      if (where == attribute_scope::span) {
        w.key(key);
        json::write_attribute_value(w, value);
      }
      return false;
    });
    w.end_object();
    append_field(out, attributes);
    out += "\r\n";
  }
}

template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::string to_csv(R&& spans) {
  std::string out;
  write(out, std::forward<R>(spans));
  return out;
}

}  // namespace csv
}  // namespace v0
}  // namespace trace
