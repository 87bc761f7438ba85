#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "trace/io/csv.hpp"

using namespace trace;

TEST_CASE("CSV: header, one row per span, RFC 4180 quoting, CRLF") {
  span s;
  s.trace = trace_id(0, 1);
  s.id = span_id(2);
  s.parent = span_id(1);
  s.name = "GET /a,b";
  s.kind = span_kind::client;
  s.start = 10;
  s.end = 25;
  s.status = {status_code::error, "said \"no\"\nthen left"};
  s.attributes.set("k", std::int64_t{1});
  s.attributes.set("tags", std::vector<std::string>{"x", "y"});
  s.resource.service_name = "api";
  span root = s;
  root.id = span_id(1);
  root.parent = {};
  root.name = "root";
  root.status = {};
  root.attributes = {};
  std::string text = csv::to_csv(std::vector<span>{s, root});
  CHECK(text ==
        "trace_id,span_id,parent_id,service,operation,kind,start_ns,end_ns,duration_ns,status,status_message,attributes\r\n"
        "00000000000000000000000000000001,0000000000000002,0000000000000001,api,\"GET /a,b\",client,10,25,15,error,"
        "\"said \"\"no\"\"\nthen left\",\"{\"\"k\"\":1,\"\"tags\"\":[\"\"x\"\",\"\"y\"\"]}\"\r\n"
        "00000000000000000000000000000001,0000000000000001,,api,root,client,10,25,15,unset,,{}\r\n");
}

TEST_CASE("CSV: fields without special characters stay bare") {
  std::string out;
  csv::append_field(out, "plain text");
  csv::append_field(out, "");
  csv::append_field(out, "a\rb");
  CHECK(out == "plain text\"a\rb\"");
}
