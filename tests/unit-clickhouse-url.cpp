// trace-server's --backend URL (store/clickhouse/backend_url.hpp): every part read into
// clickhouse_options, and each kind of bad URL refused naming the part that is wrong.
#include <catch2/catch.hpp>

#include <string>

#include "trace/store/clickhouse/backend_url.hpp"

using trace::clickhouse::parse_backend_url;

TEST_CASE("a backend URL gives the server, database, table, cluster, shards and credentials") {
  const auto one = parse_backend_url("clickhouse://ch.local:18123/traces");
  CHECK(one.server.host == "ch.local");
  CHECK(one.server.port == 18123);
  CHECK(one.database == "traces");
  CHECK(one.table == "otel_traces");
  CHECK(one.cluster.empty());
  CHECK(one.shards.empty());
  CHECK(one.user == "default");

  CHECK(parse_backend_url("clickhouse://127.0.0.1/traces").server.port == 8123);  // ClickHouse's HTTP port

  const auto cluster = parse_backend_url(
      "clickhouse://10.0.0.1:8123/obs?table=spans&cluster=two_shards&shards=10.0.0.1:8123,10.0.0.2:8124&user=ana&password=p%40ss%26w");
  CHECK(cluster.database == "obs");
  CHECK(cluster.table == "spans");
  CHECK(cluster.cluster == "two_shards");
  REQUIRE(cluster.shards.size() == 2);
  CHECK(cluster.shards[1].host == "10.0.0.2");
  CHECK(cluster.shards[1].port == 8124);
  CHECK(cluster.user == "ana");
  CHECK(cluster.password == "p@ss&w");
}

TEST_CASE("a backend URL that cannot be used is refused naming what is wrong") {
  auto refusal = [](const std::string& url) {
    try {
      parse_backend_url(url);
    } catch (const trace::error& e) {
      CHECK(e.code() == trace::errc::invalid_option);
      CHECK_THAT(e.what(), Catch::Contains("backend \"" + url + "\""));
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(refusal("http://127.0.0.1:8123/traces"), Catch::Contains("scheme \"http\" is not one this server knows"));
  CHECK_THAT(refusal("127.0.0.1:8123/traces"), Catch::Contains("no scheme"));
  CHECK_THAT(refusal("clickhouse://127.0.0.1:8123"), Catch::Contains("no /DATABASE after the host"));
  CHECK_THAT(refusal("clickhouse://127.0.0.1:8123/"), Catch::Contains("the database name is empty"));
  CHECK_THAT(refusal("clickhouse://127.0.0.1:8123/a/b"), Catch::Contains("only /DATABASE"));
  CHECK_THAT(refusal("clickhouse://:8123/traces"), Catch::Contains("the host \":8123\" is not HOST:PORT"));
  CHECK_THAT(refusal("clickhouse://127.0.0.1:0/traces"), Catch::Contains("a port from 1 to 65535"));
  CHECK_THAT(refusal("clickhouse://127.0.0.1:65536/traces"), Catch::Contains("a port from 1 to 65535"));
  CHECK_THAT(refusal("clickhouse://127.0.0.1:80a/traces"), Catch::Contains("a port from 1 to 65535"));
  CHECK_THAT(refusal("clickhouse:///traces"), Catch::Contains("the host is empty"));
  CHECK_THAT(refusal("clickhouse://h:1/traces?table"), Catch::Contains("parameter \"table\" has no value"));
  CHECK_THAT(refusal("clickhouse://h:1/traces?table="), Catch::Contains("parameter \"table\" is empty"));
  CHECK_THAT(refusal("clickhouse://h:1/traces?tabel=x"), Catch::Contains("unknown parameter \"tabel\""));
  CHECK_THAT(refusal("clickhouse://h:1/traces?password=%4"), Catch::Contains("malformed percent-escape in parameter \"password\""));
  CHECK_THAT(refusal("clickhouse://h:1/traces?cluster=c"), Catch::Contains("cluster \"c\" needs shards="));
  CHECK_THAT(refusal("clickhouse://h:1/traces?cluster=c&shards=h:1"), Catch::Contains("two or more"));
  CHECK_THAT(refusal("clickhouse://h:1/traces?shards=h:1,h:2"), Catch::Contains("shards are given without the cluster"));
  CHECK_THAT(refusal("clickhouse://h:1/traces?cluster=c&shards=h:1,,h:2"), Catch::Contains("a shard is empty"));
}
