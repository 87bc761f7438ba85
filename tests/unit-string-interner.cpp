// The memory store's string interner: one id per distinct text, whatever its length, texts
// that differ in one byte anywhere (the inline comparison reads whole words, overlapping at
// the ends) get different ids, and every view stays valid as the table grows.

#include <catch2/catch.hpp>
#include <trace/detail/string_interner.hpp>

#include <string>
#include <vector>

TEST_CASE("texts differing in one byte at any place get different ids, and come back whole") {
  trace::detail::string_interner strings;
  std::vector<std::string> texts;
  for (std::size_t length = 0; length <= 40; ++length) {
    const std::string base(length, 'a');
    texts.push_back(base);
    for (std::size_t at = 0; at < length; ++at) {
      std::string changed = base;
      changed[at] = 'b';
      texts.push_back(changed);
    }
  }
  std::vector<std::uint32_t> ids;
  for (const auto& text : texts) ids.push_back(strings.intern(text));
  CHECK(strings.size() == texts.size());  // "" included: it is id 0 from the start
  for (std::size_t i = 0; i < texts.size(); ++i) {
    INFO("text #" << i << " '" << texts[i] << "'");
    CHECK(strings.get(ids[i]) == texts[i]);
    CHECK(strings.intern(texts[i]) == ids[i]);
    CHECK(strings.find(texts[i]) == ids[i]);
    CHECK(strings.holds(ids[i], texts[i]));
    if (i) CHECK_FALSE(strings.holds(ids[i - 1], texts[i]));
  }
  CHECK_FALSE(strings.find("not interned").has_value());
}

TEST_CASE("views of interned texts stay valid as the table grows") {
  trace::detail::string_interner strings;
  const std::string_view first = strings.get(strings.intern("first, longer than a short string's buffer"));
  const std::string_view short_one = strings.get(strings.intern("short"));
  for (int i = 0; i < 5000; ++i) strings.intern("text-" + std::to_string(i));
  CHECK(first == "first, longer than a short string's buffer");
  CHECK(short_one == "short");
  CHECK(strings.size() == 5003);
  CHECK(strings.get(*strings.find("text-4999")) == "text-4999");
}
