// The OTLP logs protobuf decoder refuses bad bytes only with trace::error and reads the same
// bytes to the same records twice. What it accepts goes into a log store whole or not at
// all (a record breaking the model's rules refuses the batch with trace::error), and a text
// search through the store's body index finds what a scan of every record finds.
// Seeds: fuzz/corpus/otlp_logs, the shop trace's sample logs encoded by protoc
// (fuzz/otlp_logs_corpus.py).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/io/otlp_logs_protobuf.hpp"
#include "trace/query/log_search.hpp"
#include "trace/query/text_tokens.hpp"
#include "trace/store/log_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pb = trace::otlp::proto;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<trace::log_record> logs;
  try {
    logs = pb::decode_logs_request(bytes);
  } catch (const trace::error&) {
    return 0;
  }
  if (pb::decode_logs_request(bytes) != logs) std::abort();

  trace::log_store store;
  try {
    store.append(logs);
  } catch (const trace::error&) {
    if (store.size() != 0) std::abort();  // refused, yet part of the batch was kept
    return 0;
  }
  if (store.size() != logs.size()) std::abort();

  // The first word of the first body with one, searched alone and as a prefix.
  std::optional<std::string> word;
  for (const trace::log_record& r : logs) {
    trace::for_each_text_token(r.body, [&word](std::string_view token) {
      if (!word) word = std::string(token);
    });
    if (word) break;
  }
  if (!word) return 0;
  for (const std::string& text : {*word, *word + "*"}) {
    trace::log_query q;
    try {
      q.text.emplace(text);
    } catch (const trace::error&) {
      continue;  // a word the query language reads otherwise
    }
    std::vector<std::size_t> scanned;
    for (std::size_t i = 0; i < store.size(); ++i)
      if (trace::matches(q, store[i])) scanned.push_back(i);
    std::ranges::stable_sort(scanned, {}, [&store](std::size_t i) { return store[i].time; });
    if (trace::find_logs(store, q) != scanned || scanned.empty()) std::abort();
  }
  return 0;
}
