// The TraceQL parser: a list of valid queries (every construct, nested, odd spacing and
// quoting) and one of invalid ones (syntax and type errors), each with the column its caret
// must point at and the start of its message; then the limits that keep it safe.
#include <catch2/catch.hpp>
#include <trace/query/traceql.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace {

const std::vector<std::string_view> valid_queries = {
    R"q({})q",
    R"q({ })q",
    R"q({  })q",
    R"q({true})q",
    R"q({ false })q",
    R"q({ name = "GET /orders" })q",
    R"q({ span:name = "x" })q",
    R"q({ name != "x" })q",
    R"q({ name =~ "GET.*" })q",
    R"q({ name !~ "GET.*" })q",
    R"q({ name > "a" })q",
    R"q({ name <= "z" })q",
    R"q({ status = error })q",
    R"q({ status = ok })q",
    R"q({ status = unset })q",
    R"q({ status != error })q",
    R"q({ span:status = error })q",
    R"q({ statusMessage = "boom" })q",
    R"q({ span:statusMessage =~ ".*timeout.*" })q",
    R"q({ kind = server })q",
    R"q({ kind = client })q",
    R"q({ kind = producer })q",
    R"q({ kind = consumer })q",
    R"q({ kind = internal })q",
    R"q({ kind = unspecified })q",
    R"q({ span:kind != internal })q",
    R"q({ duration > 100ms })q",
    R"q({ duration >= 1s })q",
    R"q({ duration < 1.5s })q",
    R"q({ duration <= 250us })q",
    R"q({ duration = 10ns })q",
    R"q({ duration != 1m })q",
    R"q({ duration > 1h })q",
    R"q({ duration > 1h30m })q",
    R"q({ duration > 2m30s })q",
    R"q({ span:duration > 0.5ms })q",
    R"q({ duration > 1µs })q",
    R"q({ childCount > 2 })q",
    R"q({ span:childCount = 0 })q",
    R"q({ span:id = "000000000000000d" })q",
    R"q({ span:parentID = "0000000000000005" })q",
    R"q({ service = "api" })q",
    R"q({ start > 1714564800000000000 })q",
    R"q({ span:start >= 0 })q",
    R"q({ trace:duration > 2s })q",
    R"q({ traceDuration > 2s })q",
    R"q({ trace:rootName = "GET /" })q",
    R"q({ rootName = "GET /" })q",
    R"q({ trace:rootService = "frontend" })q",
    R"q({ rootServiceName = "frontend" })q",
    R"q({ trace:id = "0000000000000abc0000000000000003" })q",
    R"q({ event:name = "exception" })q",
    R"q({ event:timeSinceStart > 10ms })q",
    R"q({ link:traceID = "0000000000000abc0000000000000003" })q",
    R"q({ link:spanID = "0000000000000001" })q",
    R"q({ instrumentation:name = "io.opentelemetry.http" })q",
    R"q({ instrumentation:version = "1.2.0" })q",
    R"q({ .http.status_code = 200 })q",
    R"q({ span.http.status_code >= 500 })q",
    R"q({ resource.service.name = "api" })q",
    R"q({ resource.deployment.environment = "prod" })q",
    R"q({ event.exception.message =~ ".*null.*" })q",
    R"q({ link.opentracing.ref_type = "follows_from" })q",
    R"q({ instrumentation.library = "otel" })q",
    R"q({ span."a b" = 1 })q",
    R"q({ ."quoted name" = "v" })q",
    R"q({ resource."service.name" = "api" })q",
    R"q({ span."with \"escape\"" = true })q",
    R"q({ .a-b = 1 })q",
    R"q({ .url/path = "x" })q",
    R"q({ .a = nil })q",
    R"q({ .a != nil })q",
    R"q({ span.a = nil })q",
    R"q({ nil = .a })q",
    R"q({ nil != resource.b })q",
    R"q({ .flag })q",
    R"q({ span.flag = true })q",
    R"q({ .flag != false })q",
    R"q({ .x = 1.5 })q",
    R"q({ .x = -1 })q",
    R"q({ .x = -1.5 })q",
    R"q({ .x > .99 })q",
    R"q({ .x = 1e3 })q",
    R"q({ .x = 2.5e-3 })q",
    R"q({ .x < 9223372036854775807 })q",
    R"q({ .x = "" })q",
    R"q({ .x = "tab\there" })q",
    R"q({ .x = "line\nbreak" })q",
    R"q({ .x = "back\\slash" })q",
    R"q({ .x = "quote\"d" })q",
    R"q({ .x = "ünïcödé" })q",
    R"q({ .x = .y })q",
    R"q({ span.a = resource.a })q",
    R"q({ .x == 1 })q",
    R"q({ .x + 1 > 2 })q",
    R"q({ .x - 1 > 2 })q",
    R"q({ .x * 2 > 2 })q",
    R"q({ .x / 2 > 2 })q",
    R"q({ .x % 2 = 1 })q",
    R"q({ .x ^ 2 > 4 })q",
    R"q({ 2 ^ 3 ^ 2 = 512 })q",
    R"q({ .a + .b * .c > 10 })q",
    R"q({ (.a + .b) * .c > 10 })q",
    R"q({ duration * 2 > 1s })q",
    R"q({ duration / 2 < 100ms })q",
    R"q({ duration - 10ms > 0ns })q",
    R"q({ duration + 1s > trace:duration })q",
    R"q({ -duration < -1s })q",
    R"q({ - .x > 1 })q",
    R"q({ --.x > 1 })q",
    R"q({ .x > -(-1) })q",
    R"q({ childCount * 2 >= 4 })q",
    R"q({ .a = 1 && .b = 2 })q",
    R"q({ .a = 1 || .b = 2 })q",
    R"q({ .a = 1 && .b = 2 || .c = 3 })q",
    R"q({ .a = 1 || .b = 2 && .c = 3 })q",
    R"q({ (.a = 1 || .b = 2) && .c = 3 })q",
    R"q({ !(.a = 1) })q",
    R"q({ !.a = 1 })q",
    R"q({ !!(.a = 1) })q",
    R"q({ !(.a = 1 && !(.b = 2)) })q",
    R"q({ !.flag })q",
    R"q({ ((((.a = 1)))) })q",
    R"q({ status = error && kind = server && duration > 1s && name =~ "GET.*" })q",
    R"q({ name="a"&&status=error })q",
    R"q({	name = "tab"	})q",
    R"q({
  name = "multi"
  && status = error
})q",
    R"q({ .a = 1 }    )q",
    R"q(   { .a = 1 })q",
    R"q({ true && .a = 1 })q",
    R"q({ false || status = error })q",
    R"q({ .a = true })q",
    R"q({ "x" = name })q",
    R"q({ 1 = 1 })q",
    R"q({ 1 < 2 })q",
    R"q({ error = status })q",
    R"q({ server = kind })q",
    R"q({ 100ms < duration })q",
    R"q({ .a = 1 } && { .b = 2 })q",
    R"q({ .a = 1 } || { .b = 2 })q",
    R"q({ .a = 1 } && { .b = 2 } || { .c = 3 })q",
    R"q({ .a = 1 } || { .b = 2 } && { .c = 3 })q",
    R"q({ kind = server } > { kind = client })q",
    R"q({ kind = server } >> { status = error })q",
    R"q({ status = error } < { kind = server })q",
    R"q({ status = error } << { })q",
    R"q({ .a = 1 } ~ { .b = 2 })q",
    R"q({ .a = 1 } &> { .b = 2 })q",
    R"q({ .a = 1 } &>> { .b = 2 })q",
    R"q({ .a = 1 } &< { .b = 2 })q",
    R"q({ .a = 1 } &<< { .b = 2 })q",
    R"q({ .a = 1 } &~ { .b = 2 })q",
    R"q({ .a = 1 } !> { .b = 2 })q",
    R"q({ .a = 1 } !>> { .b = 2 })q",
    R"q({ .a = 1 } !< { .b = 2 })q",
    R"q({ .a = 1 } !<< { .b = 2 })q",
    R"q({ .a = 1 } !~ { .b = 2 })q",
    R"q({.a=1}>{.b=2})q",
    R"q({.a=1}>>{.b=2})q",
    R"q({.a=1}!~{.b=2})q",
    R"q({.a=1}&>>{.b=2})q",
    R"q({ } > { } > { })q",
    R"q({ } >> { } << { } ~ { })q",
    R"q(({ .a = 1 } > { .b = 2 }) && { .c = 3 })q",
    R"q({ .a = 1 } > ({ .b = 2 } && { .c = 3 }))q",
    R"q((({ .a = 1 })))q",
    R"q(({ .a = 1 } || { .b = 2 }) >> { .c = 3 })q",
    R"q(({ .a = 1 } | count() > 1) && { .b = 2 })q",
    R"q(({ .a = 1 } | by(.x)) > { })q",
    R"q({ } | count() > 3)q",
    R"q({ } | count() >= 3)q",
    R"q({ } | count() = 3)q",
    R"q({ } | count() != 3)q",
    R"q({ } | count() < 3)q",
    R"q({ } | count() <= 3)q",
    R"q({ } | avg(duration) > 1s)q",
    R"q({ } | min(duration) > 1s)q",
    R"q({ } | max(duration) > 1s)q",
    R"q({ } | sum(duration) > 1s)q",
    R"q({ } | avg(.x) > 2)q",
    R"q({ } | sum(.x) = 10.5)q",
    R"q({ } | avg(duration * 2) > 1s)q",
    R"q({ } | count() + 1 > 3)q",
    R"q({ } | count() * 2 > avg(.x))q",
    R"q({ } | 3 < count())q",
    R"q({ } | 1s < max(duration))q",
    R"q({ } | count()>3)q",
    R"q({ } | count ( ) > 3)q",
    R"q({ } | by(.x))q",
    R"q({ } | by(resource.service.name))q",
    R"q({ } | by(name, kind))q",
    R"q({ } | by(status))q",
    R"q({ } | by(.x + 1))q",
    R"q({ } | by(.x) | count() > 1)q",
    R"q({ } | by(.x) | coalesce())q",
    R"q({ } | coalesce())q",
    R"q({ } | select(.x))q",
    R"q({ } | select(span.a, resource.b, name, duration))q",
    R"q({ } | { .a = 1 })q",
    R"q({ } | { .a = 1 } | { .b = 2 })q",
    R"q({ } | { .a = 1 } > { .b = 2 })q",
    R"q({ } | ({ .a = 1 } && { .b = 2 }))q",
    R"q({ .a = 1 } | by(.b) | count() > 2 | select(.c))q",
    R"q({ } | rate())q",
    R"q({ } | rate() by (resource.service.name))q",
    R"q({ } | rate() by(.a, .b))q",
    R"q({ } | count_over_time())q",
    R"q({ } | count_over_time() by (name))q",
    R"q({ } | sum_over_time(duration))q",
    R"q({ } | min_over_time(duration))q",
    R"q({ } | max_over_time(duration))q",
    R"q({ } | avg_over_time(duration))q",
    R"q({ } | avg_over_time(.x) by (.y))q",
    R"q({ } | sum_over_time(.bytes))q",
    R"q({ } | quantile_over_time(duration, .99))q",
    R"q({ } | quantile_over_time(duration, .99, .9, .5))q",
    R"q({ } | quantile_over_time(duration, 0, 1))q",
    R"q({ } | quantile_over_time(duration, 0.5) by (resource.service.name))q",
    R"q({ } | histogram_over_time(duration))q",
    R"q({ } | histogram_over_time(duration) by (kind))q",
    R"q({ } | rate() | topk(5))q",
    R"q({ } | rate() by (name) | topk(1))q",
    R"q({ } | count_over_time() by (name) | bottomk(3))q",
    R"q({ status = error } | rate() by (resource.service.name) | topk(10))q",
    R"q({ kind = server } >> { status = error } | rate())q",
    R"q({ } | by(.x) | rate())q",
    R"q({ } | count() > 2 | rate())q",
    R"q({ } | rate() with(sample=true))q",
    R"q({ } | rate() with (sample=0.1))q",
    R"q({ } with(most_recent=true))q",
    R"q({ } with (most_recent = false))q",
    R"q({ } | count() > 1 with(most_recent=true))q",
    R"q({ } with(span_sample=0.5, trace_sample=0.1))q",
    R"q({ } with(x="y"))q",
    R"q({ .a = 1 } > { } with(most_recent=true))q",
    R"q(service = api)q",
    R"q(service = "api" && duration > 100ms)q",
    R"q(status = error)q",
    R"q((service = db || service = cache) && start >= 2024-05-01T12:00:00Z)q",
    R"q(!status = ok)q",
    R"q(span.http.status_code >= 500)q",
    R"q(http.method)q",
    R"q(!cached)q",
    R"q()q",
    R"q(( { .a = 1 } ))q",
    R"q((((({ .a = 1 })))))q",
    R"q({ name = "}" })q",
    R"q({ name = "{ }" })q",
    R"q({ name = "|" })q",
    R"q({ .a = "&&" })q",
    R"q({ name =~ "(a|b)+" })q",
    R"q({ name =~ "^\\d+$" })q",
    R"q({ name =~ "" })q",
    R"q({ .x = 0 })q",
    R"q({ .x = 007 })q",
    R"q({ .x != 0.0 })q",
    R"q({ childCount = 1 + 1 })q",
    R"q({ duration > 1000000ns })q",
    R"q({ duration > 1.5h })q",
    R"q({ trace:duration >= duration * 10 })q",
    R"q({ .a = 1 } && { .b = 2 } && { .c = 3 } && { .d = 4 })q",
    R"q({ .a = 1 } || { .b = 2 } || { .c = 3 })q",
    R"q({ .a = 1 } > { .b = 2 } >> { .c = 3 } < { .d = 4 })q",
    R"q({ kind = server } !>> { status = error } | count() > 0)q",
    R"q({ .a = 1 && (.b = 2 || (.c = 3 && (.d = 4 || .e = 5))) })q",
    R"q({ .a + .b + .c + .d + .e > 0 })q",
    R"q({ .a * .b / .c % .d - .e + .f > 0 })q",
    R"q({ instrumentation:name = "x" && instrumentation:version = "1" })q",
    R"q({ event:name = "a" || link:spanID = "0000000000000001" })q",
    R"q({ span:id != span:parentID })q",
    R"q({ trace:rootService = resource.service.name })q",
    R"q({ name = trace:rootName })q",
    R"q({ status = error } | select(statusMessage, event:name))q",
};

struct refused {
  std::string_view query;
  std::size_t column;        // 1-based: where the caret goes
  std::string_view problem;  // how the message starts
};

// The comment after each says what the caret points at.
const std::vector<refused> invalid_queries = {
    {R"q({ rootServiceName = 1 })q", 21, "cannot compare a string with an integer"},  // '1'
    {R"q({ traceDuration > "x" })q", 19, "cannot compare a duration with a string"},  // '"x"'
    {R"q({ status })q", 3, "a spanset filter must be a condition, no"},  // 'status'
    {R"q({ 1h })q", 3, "a spanset filter must be a condition, no"},  // '1h'
    {R"q({ .a = nil && nil })q", 15, "expected a condition (a comparison or bo"},  // 'nil'
    {R"q({ name = nil })q", 3, "only an attribute can be nil, not a stri"},  // 'name'
    {R"q({ nil = name })q", 9, "only an attribute can be nil, not a stri"},  // 'name'
    {R"q({ .a > nil })q", 6, "nil compares only with '=' (absent) and "},  // '>'
    {R"q({ .a = nil = 1 })q", 12, "comparisons do not chain; join them with"},  // '= 1'
    {R"q({ nil })q", 3, "a spanset filter must be a condition, no"},  // 'nil'
    {R"q({ "x" })q", 3, "a spanset filter must be a condition, no"},  // '"x"'
    {R"q({ 1 })q", 3, "a spanset filter must be a condition, no"},  // '1'
    {R"q({ 1.5 })q", 3, "a spanset filter must be a condition, no"},  // '1.5'
    {R"q({ kind })q", 3, "a spanset filter must be a condition, no"},  // 'kind'
    {R"q({ server })q", 3, "a spanset filter must be a condition, no"},  // 'server'
    {R"q({ error })q", 3, "a spanset filter must be a condition, no"},  // 'error'
    {R"q({ duration })q", 3, "a spanset filter must be a condition, no"},  // 'duration'
    {R"q({ name })q", 3, "a spanset filter must be a condition, no"},  // 'name'
    {R"q({ childCount })q", 3, "a spanset filter must be a condition, no"},  // 'childCount'
    {R"q({ status = 1 })q", 12, "cannot compare a status with an integer"},  // '1'
    {R"q({ status = "error" })q", 12, "cannot compare a status with a string"},  // '"error"'
    {R"q({ status = server })q", 12, "cannot compare a status with a kind"},  // 'server'
    {R"q({ kind = error })q", 10, "cannot compare a kind with a status"},  // 'error'
    {R"q({ kind = "server" })q", 10, "cannot compare a kind with a string"},  // '"server"'
    {R"q({ status > error })q", 10, "a status compares only with '=' and '!='"},  // '>'
    {R"q({ kind < server })q", 8, "a kind compares only with '=' and '!='"},  // '<'
    {R"q({ .a > true })q", 6, "a boolean compares only with '=' and '!="},  // '>'
    {R"q({ true < false })q", 8, "a boolean compares only with '=' and '!="},  // '<'
    {R"q({ duration > "1s" })q", 14, "cannot compare a duration with a string"},  // '"1s"'
    {R"q({ duration = true })q", 14, "cannot compare a duration with a boolean"},  // 'true'
    {R"q({ duration > error })q", 14, "cannot compare a duration with a status"},  // 'error'
    {R"q({ name = 1 })q", 10, "cannot compare a string with an integer"},  // '1'
    {R"q({ name = 1s })q", 10, "cannot compare a string with a duration"},  // '1s'
    {R"q({ name = true })q", 10, "cannot compare a string with a boolean"},  // 'true'
    {R"q({ childCount = "2" })q", 16, "cannot compare an integer with a string"},  // '"2"'
    {R"q({ trace:duration = "x" })q", 20, "cannot compare a duration with a string"},  // '"x"'
    {R"q({ trace:rootName = 1 })q", 20, "cannot compare a string with an integer"},  // '1'
    {R"q({ span:id = 1 })q", 13, "cannot compare a string with an integer"},  // '1'
    {R"q({ event:timeSinceStart > "x" })q", 26, "cannot compare a duration with a string"},  // '"x"'
    {R"q({ duration =~ "1.*" })q", 3, "'=~' and '!~' match text; the left side "},  // 'duration'
    {R"q({ status =~ "err.*" })q", 3, "'=~' and '!~' match text; the left side "},  // 'status'
    {R"q({ childCount =~ "1" })q", 3, "'=~' and '!~' match text; the left side "},  // 'childCount'
    {R"q({ name =~ 1 })q", 11, "'=~' and '!~' take a quoted regular expr"},  // '1'
    {R"q({ name =~ name })q", 11, "'=~' and '!~' take a quoted regular expr"},  // 'name'
    {R"q({ .a =~ .b })q", 9, "'=~' and '!~' take a quoted regular expr"},  // '.b'
    {R"q({ name !~ 1s })q", 11, "'=~' and '!~' take a quoted regular expr"},  // '1s'
    {R"q({ name =~ "(" })q", 12, "regular expression \"(\" at character 1: m"},  // '('
    {R"q({ name =~ "a)" })q", 13, "regular expression \"a)\" at character 2: "},  // ')'
    {R"q({ name =~ "\\1" })q", 12, "regular expression \"\\1\" at character 1: "},  // '\\\\1'
    {R"q({ name =~ "(?=x)" })q", 12, "regular expression \"(?=x)\" at character "},  // '(?='
    {R"q({ name =~ "a**" })q", 14, "regular expression \"a**\" at character 3:"},  // '*'
    {R"q({ name + 1 > 2 })q", 3, "arithmetic takes numbers, durations or a"},  // 'name'
    {R"q({ 1 + name > 2 })q", 7, "arithmetic takes numbers, durations or a"},  // 'name'
    {R"q({ status * 2 = 1 })q", 3, "arithmetic takes numbers, durations or a"},  // 'status'
    {R"q({ "a" + "b" = "ab" })q", 3, "arithmetic takes numbers, durations or a"},  // '"a"'
    {R"q({ true + 1 = 2 })q", 3, "arithmetic takes numbers, durations or a"},  // 'true'
    {R"q({ -name = "x" })q", 4, "'-' negates numbers and durations, not a"},  // 'name'
    {R"q({ -true })q", 4, "'-' negates numbers and durations, not a"},  // 'true'
    {R"q({ -"x" = 1 })q", 4, "'-' negates numbers and durations, not a"},  // '"x"'
    {R"q({ !1 })q", 4, "expected a condition (a comparison or bo"},  // '1'
    {R"q({ !duration })q", 4, "expected a condition (a comparison or bo"},  // 'duration'
    {R"q({ !"x" })q", 4, "expected a condition (a comparison or bo"},  // '"x"'
    {R"q({ 1 && .a = 1 })q", 3, "expected a condition (a comparison or bo"},  // '1'
    {R"q({ .a = 1 && 2 })q", 13, "expected a condition (a comparison or bo"},  // '2'
    {R"q({ .a = 1 || "x" })q", 13, "expected a condition (a comparison or bo"},  // '"x"'
    {R"q({ name && .a })q", 3, "expected a condition (a comparison or bo"},  // 'name'
    {R"q({ .a = 1 && duration })q", 13, "expected a condition (a comparison or bo"},  // 'duration'
    {R"q({ .a = 1 = 2 })q", 10, "comparisons do not chain; join them with"},  // '= 2'
    {R"q({ .a < .b < .c })q", 11, "comparisons do not chain; join them with"},  // '< .c'
    {R"q({ .a = })q", 8, "expected a value after '=', found '}'"},  // '}'
    {R"q({ .a = && .b = 1 })q", 8, "expected a value after '=', found '&&'"},  // '&&'
    {R"q({ .a == })q", 9, "expected a value after '==', found '}'"},  // '}'
    {R"q({ = 1 })q", 3, "expected a value, a field or '(', found "},  // '='
    {R"q({ && .a = 1 })q", 3, "expected a value, a field or '(', found "},  // '&&'
    {R"q({ .a = 1 && })q", 13, "expected a value, a field or '(', found "},  // '}'
    {R"q({ .a = 1 || })q", 13, "expected a value, a field or '(', found "},  // '}'
    {R"q({ .a = 1)q", 9, "expected '}' to close the '{' at column "},  // the end
    {R"q({ .a = 1 )q", 10, "expected '}' to close the '{' at column "},  // the end
    {R"q({)q", 2, "expected a value, a field or '(', found "},  // the end
    {R"q({ .a = 1 }})q", 11, "unexpected '}' after a complete query"},  // '}'
    {R"q({ .a = 1 } })q", 12, "unexpected '}' after a complete query"},  // '}'
    {R"q(})q", 1, "expected a field, '!' or '(', found '}'"},  // '}'
    {R"q({ (.a = 1 })q", 11, "expected ')' to close the '(' at column "},  // '}'
    {R"q({ .a = 1) })q", 9, "expected '}' to close the '{' at column "},  // ')'
    {R"q({ () })q", 4, "expected a value, a field or '(', found "},  // ')'
    {R"q({ .a = (1 })q", 11, "expected ')' to close the '(' at column "},  // '}'
    {R"q({ foo = 1 })q", 3, "unknown word 'foo': write an attribute a"},  // 'foo'
    {R"q({ http.status = 1 })q", 3, "unknown word 'http': write an attribute "},  // 'http.status'
    {R"q({ span:foo = 1 })q", 3, "unknown intrinsic 'span:foo' (known: spa"},  // 'span:foo'
    {R"q({ trace:foo = 1 })q", 3, "unknown intrinsic 'trace:foo' (known: sp"},  // 'trace:foo'
    {R"q({ resource. = 1 })q", 3, "'resource.' names no attribute"},  // 'resource.'
    {R"q({ . = 1 })q", 3, "'.' names no attribute"},  // '.'
    {R"q({ span. = 1 })q", 3, "'span.' names no attribute"},  // 'span.'
    {R"q({ .a = "unterminated })q", 8, "string is not closed (missing '\"')"},  // '"'
    {R"q({ .a = "bad \q escape" })q", 13, "unknown escape '\\q' (known: \\\" \\\\ \\n \\t)"},  // '\\q'
    {R"q({ .a = 1 } &&)q", 14, "expected a spanset '{ ... }' or '(', fou"},  // the end
    {R"q({ .a = 1 } ||)q", 14, "expected a spanset '{ ... }' or '(', fou"},  // the end
    {R"q({ .a = 1 } >)q", 13, "expected a spanset '{ ... }' or '(', fou"},  // the end
    {R"q({ .a = 1 } > .b)q", 14, "expected a spanset '{ ... }' or '(', fou"},  // '.b'
    {R"q({ .a = 1 } >> 1)q", 15, "expected a spanset '{ ... }' or '(', fou"},  // '1'
    {R"q({ .a = 1 } > > { })q", 14, "expected a spanset '{ ... }' or '(', fou"},  // '>'
    {R"q({ .a = 1 } & { })q", 12, "a single '&'; write '&&' for \"and\", or a"},  // '&'
    {R"q({ .a = 1 } !! { })q", 12, "unexpected '!' after a complete query"},  // '!'
    {R"q({ .a = 1 } { .b = 2 })q", 12, "unexpected '{' after a complete query"},  // '{'
    {R"q({ .a = 1 } .b)q", 12, "unexpected '.b' after a complete query"},  // '.b'
    {R"q(({ .a = 1 })q", 12, "expected ')' to close the '(' at column "},  // the end
    {R"q(({ .a = 1 })))q", 13, "unexpected ')' after a complete query"},  // ')'
    {R"q(( ))q", 3, "expected a field, '!' or '(', found ')'"},  // ')'
    {R"q({ .a = 1 } |)q", 13, "expected a spanset, a scalar filter (cou"},  // the end
    {R"q({ .a = 1 } | | { })q", 14, "expected a spanset, a scalar filter (cou"},  // '|'
    {R"q({ } | count())q", 7, "a scalar filter compares an aggregate wi"},  // 'count'
    {R"q({ } | count() > "x")q", 17, "cannot compare an integer with a string"},  // '"x"'
    {R"q({ } | count(1) > 1)q", 13, "expected ')': count() takes no arguments"},  // '1'
    {R"q({ } | avg() > 1)q", 11, "expected a value, a field or '(', found "},  // ')'
    {R"q({ } | avg(name) > 1)q", 11, "expected a number, duration or attribute"},  // 'name'
    {R"q({ } | avg(status) > 1)q", 11, "expected a number, duration or attribute"},  // 'status'
    {R"q({ } | sum(duration) > "x")q", 23, "cannot compare a duration with a string"},  // '"x"'
    {R"q({ } | avg(duration) > true)q", 23, "cannot compare a duration with a boolean"},  // 'true'
    {R"q({ } | count() > .a)q", 17, "a scalar filter reads spans through an a"},  // '.a'
    {R"q({ } | count() > duration)q", 17, "a scalar filter reads spans through an a"},  // 'duration'
    {R"q({ } | count() > 1 && count() < 5)q", 19, "unexpected '&&' after a complete query"},  // '&&'
    {R"q({ } | median(duration) > 1)q", 7, "expected a spanset, a scalar filter (cou"},  // 'median'
    {R"q({ } | count > 1)q", 7, "expected a spanset, a scalar filter (cou"},  // 'count'
    {R"q({ } | 3)q", 7, "a scalar filter compares an aggregate wi"},  // '3'
    {R"q({ } | by())q", 10, "expected a value, a field or '(', found "},  // ')'
    {R"q({ } | by(.a)q", 12, "expected ',' or ')', found the end of th"},  // the end
    {R"q({ } | by .a)q", 10, "expected '(', found '.a'"},  // '.a'
    {R"q({ } | by(nil))q", 10, "nil is not a field"},  // 'nil'
    {R"q({ } | coalesce(.a))q", 16, "expected ')': coalesce() takes no argume"},  // '.a'
    {R"q({ } | coalesce)q", 15, "expected '(' after coalesce, found the e"},  // the end
    {R"q({ } | select())q", 14, "expected a value, a field or '(', found "},  // ')'
    {R"q({ } | select(1))q", 14, "expected an attribute or an intrinsic he"},  // '1'
    {R"q({ } | select(.a + 1))q", 14, "expected an attribute or an intrinsic he"},  // '.a'
    {R"q({ } | foo())q", 7, "expected a spanset, a scalar filter (cou"},  // 'foo'
    {R"q({ } | .a = 1)q", 7, "expected a spanset, a scalar filter (cou"},  // '.a'
    {R"q({ } | rate(duration))q", 12, "expected ')': rate() takes no arguments,"},  // 'duration'
    {R"q({ } | rate)q", 11, "expected '(' after rate, found the end o"},  // the end
    {R"q({ } | count_over_time(1))q", 23, "expected ')': count_over_time() takes no"},  // '1'
    {R"q({ } | sum_over_time())q", 21, "expected a value, a field or '(', found "},  // ')'
    {R"q({ } | avg_over_time(name))q", 21, "expected a number, duration or attribute"},  // 'name'
    {R"q({ } | min_over_time(status))q", 21, "expected a number, duration or attribute"},  // 'status'
    {R"q({ } | quantile_over_time(duration))q", 34, "expected ',' and at least one quantile s"},  // ')'
    {R"q({ } | quantile_over_time(duration, 2))q", 36, "expected a quantile between 0 and 1 (suc"},  // '2'
    {R"q({ } | quantile_over_time(duration, "x"))q", 36, "expected a quantile between 0 and 1 (suc"},  // '"x"'
    {R"q({ } | quantile_over_time(duration, -1))q", 36, "expected a quantile between 0 and 1 (suc"},  // '-'
    {R"q({ } | histogram_over_time())q", 27, "expected a value, a field or '(', found "},  // ')'
    {R"q({ } | rate() by ())q", 18, "expected a value, a field or '(', found "},  // ')'
    {R"q({ } | rate() by .a)q", 17, "expected '(', found '.a'"},  // '.a'
    {R"q({ } | rate() | topk())q", 21, "expected a positive whole number of seri"},  // ')'
    {R"q({ } | rate() | topk(0))q", 21, "expected a positive whole number of seri"},  // '0'
    {R"q({ } | rate() | topk(1.5))q", 21, "expected a positive whole number of seri"},  // '1.5'
    {R"q({ } | rate() | bottomk(-1))q", 24, "expected a positive whole number of seri"},  // '-'
    {R"q({ } | rate() | count() > 1)q", 16, "expected topk(n) or bottomk(n) after a m"},  // 'count'
    {R"q({ } | rate() | topk(1) | topk(1))q", 24, "unexpected '|' after a complete query"},  // '|'
    {R"q({ } | rate() { })q", 14, "unexpected '{' after a complete query"},  // '{'
    {R"q(({ } | rate()))q", 8, "a metrics function ends the whole query;"},  // 'rate'
    {R"q({ } | rate() > 1)q", 14, "unexpected '>' after a complete query"},  // '>'
    {R"q({ } with)q", 9, "expected '(' after with, found the end o"},  // the end
    {R"q({ } with())q", 10, "expected a hint name such as most_recent"},  // ')'
    {R"q({ } with(most_recent))q", 21, "expected '=' after the hint's name, foun"},  // ')'
    {R"q({ } with(most_recent=))q", 22, "expected a value (true, false, a number "},  // ')'
    {R"q({ } with(most_recent=.a))q", 22, "expected a value (true, false, a number "},  // '.a'
    {R"q({ } with(1=true))q", 10, "expected a hint name such as most_recent"},  // '1'
    {R"q({ } with(a=true)q", 16, "expected ',' or ')', found the end of th"},  // the end
    {R"q({ } with(a=true) { })q", 18, "unexpected '{' after a complete query"},  // '{'
    {R"q({ .a = 1x })q", 9, "unknown duration unit 'x' (ns, us, ms, s"},  // 'x'
    {R"q({ duration > 1y })q", 15, "unknown duration unit 'y' (ns, us, ms, s"},  // 'y'
    {R"q({ duration > 1ms2 })q", 18, "a duration part needs a unit (ns, us, ms"},  // ' }'
    {R"q({ .a = 99999999999999999999 })q", 8, "number '99999999999999999999' does not f"},  // '9'
    {R"q({ .a = 1 } # comment)q", 12, "unexpected character '#'"},  // '#'
    {R"q({ .a = @ })q", 8, "unexpected character '@'"},  // '@'
    {R"q({ .a = `x` })q", 8, "unexpected character '`'"},  // '`'
    {R"q({ .a = 'x' })q", 8, "unexpected character '''"},  // "'"
    {R"q({ .a = 1 } ;)q", 12, "unexpected character ';'"},  // ';'
    {R"q({ .a ? 1 })q", 6, "unexpected character '?'"},  // '?'
    {R"q(service = )q", 11, "expected a value after '=', found the en"},  // the end
    {R"q(duration > 100)q", 12, "a duration needs a unit (ns, us, ms, s, "},  // '100'
    {R"q(status = maybe)q", 10, "expected a status (ok, error, unset), fo"},  // 'maybe'
    {R"q({ name = "a" } | by(.x) | rate() by (.y) | topk(2) with(x=1) zz)q", 62, "unexpected 'zz' after a complete query"},  // 'zz'
};

}  // namespace

TEST_CASE("the parser list has at least 250 valid and 150 invalid queries") {
  CHECK(valid_queries.size() >= 250);
  CHECK(invalid_queries.size() >= 150);
}

TEST_CASE("every valid query parses") {
  for (std::string_view q : valid_queries) {
    INFO("query: " << q);
    CHECK_NOTHROW(trace::parse_traceql_query(q));
  }
}

TEST_CASE("every invalid query is refused with the caret on the fault") {
  for (const refused& r : invalid_queries) {
    INFO("query: " << r.query);
    try {
      trace::parse_traceql_query(r.query);
      FAIL("parsed without error");
    } catch (const trace::query_syntax_error& e) {
      CHECK(e.column() == r.column);
      CHECK(std::string_view(e.problem()).substr(0, r.problem.size()) == r.problem);
      CHECK(e.query() == r.query);
    }
  }
}


namespace {

std::size_t refusal_column(std::string_view query) {
  try {
    trace::parse_traceql_query(query);
  } catch (const trace::query_syntax_error& e) {
    return e.column();
  }
  return 0;
}

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("parentheses nest 128 deep, in a filter and between spansets, and no deeper") {
  const std::size_t limit = trace::max_query_nesting;
  CHECK_NOTHROW(trace::parse_traceql_query("{ " + repeat("(", limit) + ".a = 1" + repeat(")", limit) + " }"));
  CHECK(refusal_column("{ " + repeat("(", limit + 1) + ".a = 1" + repeat(")", limit + 1) + " }") == 3 + limit);
  CHECK_NOTHROW(trace::parse_traceql_query(repeat("(", limit) + "{ }" + repeat(")", limit)));
  CHECK(refusal_column(repeat("(", limit + 1) + "{ }" + repeat(")", limit + 1)) == limit + 1);
  CHECK(refusal_column("{ " + repeat("-(", limit + 1) + "1" + repeat(")", limit + 1) + " = 1 }") == 3 + 2 * limit + 1);
}

TEST_CASE("runs of ! and -, and long chains, do not nest") {
  CHECK_NOTHROW(trace::parse_traceql_query("{ " + repeat("!", 100000) + "(.a = 1) }"));
  CHECK_NOTHROW(trace::parse_traceql_query("{ " + repeat("-", 100000) + "1 = 1 }"));
  auto q = trace::parse_traceql_query("{ .a = 1" + repeat(" && .a = 1", 50000) + " }");
  REQUIRE(q.spans.stages.front().spans.where);
  CHECK(q.spans.stages.front().spans.where->operands.size() == 50001);  // one flat node
  auto spansets = trace::parse_traceql_query("{ }" + repeat(" > { }", 50000));
  CHECK(spansets.spans.stages.front().spans.operands.size() == 50001);
  CHECK_NOTHROW(trace::parse_traceql_query("{ }" + repeat(" | { }", 50000)));
}

TEST_CASE("a query over 1 MiB is refused") {
  const std::string big = "{ .a = \"" + std::string(trace::max_query_size, 'x') + "\" }";
  CHECK(refusal_column(big) == trace::max_query_size + 1);
}

TEST_CASE("the caret is drawn under the column") {
  try {
    trace::parse_traceql_query("{ rootServiceName = 1 }");
    FAIL("parsed");
  } catch (const trace::query_syntax_error& e) {
    CHECK(e.caret() == "{ rootServiceName = 1 }\n                    ^");
    CHECK(std::string(e.what()) == "parse error: query column 21: cannot compare a string with an integer");
  }
}

TEST_CASE("precedence: || is loosest, then &&, then the structural operators") {
  using trace::traceql::spanset_op;
  auto q = trace::parse_traceql_query("{ .a = 1 } || { .b = 1 } && { .c = 1 } > { .d = 1 }");
  const auto& top = q.spans.stages.front().spans;
  REQUIRE(top.ops == std::vector<spanset_op>{spanset_op::or_});
  REQUIRE(top.operands[1].ops == std::vector<spanset_op>{spanset_op::and_});
  CHECK(top.operands[1].operands[1].ops == std::vector<spanset_op>{spanset_op::child});

  using trace::traceql::field_op;
  auto f = trace::parse_traceql_query("{ .a = 1 || .b = 2 && .c + 2 * 3 > 1 }");
  const auto& where = *f.spans.stages.front().spans.where;
  REQUIRE(where.ops == std::vector<field_op>{field_op::or_});
  const auto& conjunction = where.operands[1];
  REQUIRE(conjunction.ops == std::vector<field_op>{field_op::and_});
  const auto& sum = conjunction.operands[1].operands[0];
  REQUIRE(sum.ops == std::vector<field_op>{field_op::add});
  CHECK(sum.operands[1].ops == std::vector<field_op>{field_op::mul});
}

TEST_CASE("metrics, second stages and hints are kept") {
  auto q = trace::parse_traceql_query(
      "{ status = error } | quantile_over_time(duration, .99, .5) by (resource.service.name, name) | topk(3) with(most_recent=true)");
  REQUIRE(q.metrics);
  CHECK(q.metrics->fn == trace::traceql::metrics_fn::quantile_over_time);
  CHECK(q.metrics->quantiles == std::vector<double>{0.99, 0.5});
  CHECK(q.metrics->by_names == std::vector<std::string>{"resource.service.name", "name"});
  CHECK(q.second.shape == trace::traceql::second_stage::form::topk);
  CHECK(q.second.k == 3);
  CHECK(q.most_recent());
}

TEST_CASE("a bare query is the single-span form, with its own errors") {
  auto q = trace::parse_traceql_query("service = api && duration > 100ms");
  REQUIRE(q.spans.stages.size() == 1);
  CHECK(q.spans.stages.front().spans.where->shape == trace::traceql::field_expr::form::legacy);
  CHECK(refusal_column("duration > 100") == 12);
}
