#pragma once
// Small answers both kinds of server give (the store's routes in main.cpp and the liaison's
// in liaison.cpp): plain text and JSON errors, built without the query APIs.

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include <trace/api/http_exchange.hpp>

namespace trace_server {

inline std::string_view path_of(std::string_view target) { return target.substr(0, std::min(target.find('?'), target.size())); }

inline trace::api::http_response text_answer(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
  trace::api::http_response r;
  r.status = status;
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

// A JSON string of `s`; control characters are left out (messages, paths).
inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

inline trace::api::http_response json_error(int status, std::string_view message) {
  return text_answer(status, "{\"error\":" + json_string(message) + "}", "application/json");
}

inline trace::api::http_response with_allow(trace::api::http_response r, const char* methods) {
  r.headers.emplace_back("Allow", methods);
  return r;
}

}  // namespace trace_server
