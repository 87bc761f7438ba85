#pragma once
// Index rules, as BanyanDB binds them to a trace schema's tags: each names a tag and how to
// index it, `inverted` (equality and `in` on strings, ints and bools) or `sorted` (also
// ranges, on numbers and timestamps; BanyanDB's tree). A tag may be an attribute or one of
// the span's own fields (start, service, operation name, status, kind). A store builds the indexes into each
// segment it seals (docs/FORMAT.md, "Tag index"), and the query paths use them whenever a
// condition names an indexed tag (docs/DATABASE.md, "Index rules").

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/store/mmap/tag_index.hpp"
#include "trace/store/trace_schema.hpp"

namespace trace {
inline namespace v0 {

struct index_rule {
  std::string name;
  std::string tag;  // a tag of the schema the rule is bound to
  index_kind kind = index_kind::inverted;
  friend bool operator==(const index_rule&, const index_rule&) = default;
};

constexpr std::string_view to_string(index_kind k) noexcept { return k == index_kind::sorted ? "sorted" : "inverted"; }
inline std::optional<index_kind> parse_index_kind(std::string_view text) noexcept {
  if (text == "inverted") return index_kind::inverted;
  if (text == "sorted" || text == "tree") return index_kind::sorted;
  return std::nullopt;
}

// The index a rule asks a store to build; refuses (errc::invalid_argument, naming the rule
// and the schema) a tag the schema lacks, a tag on ids or the end time (which no rule
// indexes), and a kind its type does not allow. Tags on the span's service, operation name,
// status and kind index those fields (status and kind by their numbers: equality only, so
// inverted; service and name: inverted).
inline indexed_tag index_for(const trace_schema& s, const index_rule& rule) {
  auto refuse = [&](const std::string& what) {
    throw error(errc::invalid_argument, "index rule \"" + rule.name + "\" of trace schema \"" + s.name + "\": " + what);
  };
  if (rule.name.empty()) refuse("the rule has no name");
  const tag_spec* t = s.tag(rule.tag);
  if (!t) refuse("tag \"" + rule.tag + "\" is not one of the schema's tags");
  indexed_tag out{.key = t->name, .kind = rule.kind};
  const bool inverted = rule.kind == index_kind::inverted;
  auto own_field = [&](indexed_field field, indexed_type type) {
    if (!inverted)
      refuse("tag \"" + t->name + "\" is the span's " + std::string(to_string(t->source)) +
             ", which takes an inverted index (equality); sorted ones take numbers and timestamps");
    out.field = field;
    out.type = type;
    out.key.clear();
    return out;
  };
  switch (t->source) {
    case tag_source::attribute:
    case tag_source::resource_attribute: break;
    case tag_source::start:
      out.field = indexed_field::start;
      out.key.clear();
      break;
    case tag_source::service: return own_field(indexed_field::service, indexed_type::string);
    case tag_source::name: return own_field(indexed_field::name, indexed_type::string);
    case tag_source::status: return own_field(indexed_field::status, indexed_type::int64);
    case tag_source::kind: return own_field(indexed_field::kind, indexed_type::int64);
    default:
      refuse("tag \"" + t->name + "\" maps onto the span's " + std::string(to_string(t->source)) +
             "; rules index attributes, the start time, the service, the operation name, the status and the kind");
  }
  switch (t->type) {
    case tag_type::string_:
    case tag_type::bytes: out.type = indexed_type::string; break;
    case tag_type::bool_: out.type = indexed_type::bool_; break;
    case tag_type::int64:
    case tag_type::timestamp: out.type = indexed_type::int64; break;
    case tag_type::double_: out.type = indexed_type::double_; break;
    default: refuse("tag \"" + t->name + "\" is an array, which no rule indexes");
  }
  if (inverted && out.type == indexed_type::double_) refuse("tag \"" + t->name + "\" is a double: use a sorted index");
  if (!inverted && (out.type == indexed_type::string || out.type == indexed_type::bool_))
    refuse("tag \"" + t->name + "\" is " + std::string(to_string(t->type)) +
           ": a sorted index takes numbers and timestamps (an inverted one, strings and bools)");
  return out;
}

// Checks a schema's rules together: each alone (index_for), names unique, one rule per tag.
inline void check_index_rules(const trace_schema& s, std::span<const index_rule> rules) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    index_for(s, rules[i]);
    for (std::size_t j = 0; j < i; ++j) {
      if (rules[j].name == rules[i].name)
        throw error(errc::invalid_argument, "trace schema \"" + s.name + "\": index rule \"" + rules[i].name + "\" is declared twice");
      if (rules[j].tag == rules[i].tag)
        throw error(errc::invalid_argument, "trace schema \"" + s.name + "\": index rules \"" + rules[j].name + "\" and \"" +
                                                rules[i].name + "\" both index tag \"" + rules[i].tag + "\"");
    }
  }
}

}  // namespace v0
}  // namespace trace
