#pragma once
// A full-text query over spans (docs/TEXT_SEARCH.md): words, "quoted phrases" (or
// 'single-quoted'), prefixes
// (`decl*`), AND (or just a space), OR, NOT and parentheses, matched against the tokens of a
// span's text: its name, status message and string attribute values (span, resource, scope,
// event and link attributes, string array elements too).
//
//   trace::text_query q("\"card declined\" AND NOT retry*");
//   bool hit = q.matches(some_span);
//
// A text index answers a query with a superset of the rows that match (`candidate_groups`);
// each candidate is then checked with `matches`, so an index can only make a query faster,
// never change its answer.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "trace/core/attribute.hpp"
#include "trace/core/error.hpp"
#include "trace/core/span_traits.hpp"
#include "trace/query/text_tokens.hpp"

namespace trace {
inline namespace v0 {

// Calls `f(text)` for every text of a span that full-text search reads, in no set order. A
// stored span that reads its texts in fewer passes walks them itself (mmap_span::visit_text).
template <span_like S, class F>
void visit_span_text(const S& s, F&& f) {
  if constexpr (requires { s.visit_text(f); }) {
    s.visit_text(f);
    return;
  }
  f(name_of(s));
  if (auto message = status_message_of(s); !message.empty()) f(message);
  visit_attributes(s, [&f](attribute_scope, std::string_view, const auto& value) {
    using V = std::decay_t<decltype(value)>;
    using String = std::variant_alternative_t<3, V>;
    if (const auto* text = std::get_if<String>(&value)) f(std::string_view(*text));
    else if (const auto* texts = std::get_if<std::vector<String>>(&value))
      for (const auto& item : *texts) f(std::string_view(item));
    return false;
  });
}

class text_query {
 public:
  enum class kind : std::uint8_t { term, prefix, phrase, all, any, negate };
  struct node {
    kind what = kind::term;
    std::vector<std::string> words{};  // term and prefix: one; phrase: two or more
    std::vector<node> children{};
  };
  // Parentheses deeper than this are refused, so that no walk over the tree runs out of stack.
  static constexpr std::size_t max_nesting = 64;

  // Throws `error(errc::parse_error)` naming the offset of what it cannot read.
  explicit text_query(std::string_view text) : text_(text) {
    std::size_t at = 0;
    root_ = parse_or(at, 0);
    skip_spaces(at);
    if (at < text_.size()) fail(at, text_[at] == ')' ? "a ')' without its '('" : "unexpected text");
  }

  const std::string& text() const noexcept { return text_; }
  const node& root() const noexcept { return root_; }

  // Whether the span's text satisfies the query.
  template <span_like S>
  bool matches(const S& s) const {
    std::vector<std::string> tokens;
    visit_span_text(s, [&tokens](std::string_view field) {
      tokens.emplace_back();  // an empty token between fields: a phrase never spans two
      for_each_text_token(field, [&tokens](std::string_view t) { tokens.emplace_back(t); });
    });
    return holds(root_, tokens);
  }
  // Whether one text (a log's body) satisfies the query.
  bool matches_text(std::string_view text) const { return holds(root_, tokens_of(text)); }

  // The groups of an index that may hold a match, one byte per group (1: may). `index` has
  // group_count() and for_each_group(word, bool prefix, f(group)), f called once per group.
  template <class Index>
  std::vector<std::uint8_t> candidate_groups(const Index& index) const {
    return candidates(root_, index);
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw error(errc::parse_error, "text query \"" + text_ + "\" at offset " + std::to_string(at) + ": " + what);
  }
  void skip_spaces(std::size_t& at) const {
    while (at < text_.size() && (text_[at] == ' ' || text_[at] == '\t' || text_[at] == '\n' || text_[at] == '\r')) ++at;
  }
  // A bare word runs to a space, a parenthesis or a quote.
  std::string_view word_at(std::size_t at) const {
    std::size_t end = at;
    while (end < text_.size() && std::string_view(" \t\r\n()\"").find(text_[end]) == std::string_view::npos) ++end;
    return std::string_view(text_).substr(at, end - at);
  }
  static std::vector<std::string> tokens_of(std::string_view text) {
    std::vector<std::string> out;
    for_each_text_token(text, [&out](std::string_view t) { out.emplace_back(t); });
    return out;
  }
  static node words_node(std::vector<std::string> words) {
    return {words.size() == 1 ? kind::term : kind::phrase, std::move(words), {}};
  }

  node parse_or(std::size_t& at, std::size_t depth) const {
    node first = parse_and(at, depth);
    node group{kind::any, {}, {}};
    group.children.push_back(std::move(first));
    for (;;) {
      skip_spaces(at);
      if (word_at(at) != "OR") break;
      at += 2;
      group.children.push_back(parse_and(at, depth));
    }
    return group.children.size() == 1 ? std::move(group.children.front()) : group;
  }

  node parse_and(std::size_t& at, std::size_t depth) const {
    node group{kind::all, {}, {}};
    for (;;) {
      skip_spaces(at);
      if (at >= text_.size() || text_[at] == ')' || word_at(at) == "OR") break;
      if (word_at(at) == "AND") {
        if (group.children.empty()) fail(at, "AND with nothing before it");
        at += 3;
        skip_spaces(at);
        if (at >= text_.size() || text_[at] == ')' || word_at(at) == "OR" || word_at(at) == "AND")
          fail(at, "AND with nothing after it");
      }
      group.children.push_back(parse_unary(at, depth));
    }
    if (group.children.empty()) fail(at, at >= text_.size() ? "a query with no words" : "nothing to search for here");
    return group.children.size() == 1 ? std::move(group.children.front()) : group;
  }

  node parse_unary(std::size_t& at, std::size_t depth) const {
    skip_spaces(at);
    if (at >= text_.size()) fail(at, "the query ends where a word was expected");
    if (word_at(at) == "NOT") {
      at += 3;
      if (depth + 1 > max_nesting) fail(at, "NOT nested more than " + std::to_string(max_nesting) + " deep");
      return {kind::negate, {}, {parse_unary(at, depth + 1)}};
    }
    if (text_[at] == '(') {
      const std::size_t open = at++;
      if (depth + 1 > max_nesting) fail(open, "parentheses nested more than " + std::to_string(max_nesting) + " deep");
      node inner = parse_or(at, depth + 1);
      skip_spaces(at);
      if (at >= text_.size() || text_[at] != ')') fail(open, "a '(' without its ')'");
      ++at;
      return inner;
    }
    if (text_[at] == '"' || text_[at] == '\'') {  // single quotes too: easier inside a quoted TraceQL string
      const char quote = text_[at];
      const std::size_t open = at++;
      std::string phrase;
      while (at < text_.size() && text_[at] != quote) {
        if (text_[at] == '\\' && at + 1 < text_.size()) ++at;
        phrase += text_[at++];
      }
      if (at >= text_.size()) fail(open, std::string("a ") + quote + " without its closing " + quote);
      ++at;
      auto words = tokens_of(phrase);
      if (words.empty()) fail(open, "a phrase with no letters or digits");
      return words_node(std::move(words));
    }
    const std::string_view word = word_at(at);
    const std::size_t start = at;
    at += word.size();
    const bool prefix = word.ends_with('*');
    auto words = tokens_of(prefix ? word.substr(0, word.size() - 1) : word);
    if (words.empty()) fail(start, "\"" + std::string(word) + "\" has no letters or digits");
    if (prefix) {
      if (words.size() != 1) fail(start, "a prefix (\"" + std::string(word) + "\") must be one word");
      return {kind::prefix, std::move(words), {}};
    }
    return words_node(std::move(words));  // "card-declined" is the phrase "card declined"
  }

  static bool holds(const node& n, const std::vector<std::string>& tokens) {
    switch (n.what) {
      case kind::term: return std::ranges::find(tokens, n.words.front()) != tokens.end();
      case kind::prefix:
        return std::ranges::any_of(tokens, [&](const std::string& t) { return !t.empty() && t.starts_with(n.words.front()); });
      case kind::phrase:
        return std::search(tokens.begin(), tokens.end(), n.words.begin(), n.words.end()) != tokens.end();
      case kind::all: return std::ranges::all_of(n.children, [&](const node& c) { return holds(c, tokens); });
      case kind::any: return std::ranges::any_of(n.children, [&](const node& c) { return holds(c, tokens); });
      case kind::negate: return !holds(n.children.front(), tokens);
    }
    return false;
  }

  template <class Index>
  static std::vector<std::uint8_t> candidates(const node& n, const Index& index) {
    const std::size_t groups = index.group_count();
    auto of_word = [&](const std::string& word, bool prefix) {
      std::vector<std::uint8_t> out(groups, 0);
      index.for_each_group(word, prefix, [&out](std::uint32_t g) { out[g] = 1; });
      return out;
    };
    switch (n.what) {
      case kind::term: return of_word(n.words.front(), false);
      case kind::prefix: return of_word(n.words.front(), true);
      case kind::phrase:
      case kind::all: {
        std::vector<std::uint8_t> out(groups, 1);
        auto narrow = [&](const std::vector<std::uint8_t>& part) {
          for (std::size_t g = 0; g < groups; ++g) out[g] &= part[g];
        };
        if (n.what == kind::phrase)
          for (const std::string& word : n.words) narrow(of_word(word, false));
        else
          for (const node& c : n.children) narrow(candidates(c, index));
        return out;
      }
      case kind::any: {
        std::vector<std::uint8_t> out(groups, 0);
        for (const node& c : n.children) {
          auto part = candidates(c, index);
          for (std::size_t g = 0; g < groups; ++g) out[g] |= part[g];
        }
        return out;
      }
      case kind::negate: break;  // a group holding the word may still have rows without it
    }
    return std::vector<std::uint8_t>(groups, 1);
  }

  std::string text_;
  node root_;
};

}  // namespace v0
}  // namespace trace
