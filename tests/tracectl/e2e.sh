#!/usr/bin/env bash
# End-to-end tests of the tracectl binary: every subcommand, its --help, JSON output, exit
# statuses and the error paths, on the shipped sample (examples/tracectl/sample) and the bad
# files beside this script.
#
#   e2e.sh TRACECTL SAMPLE_DIR BAD_DATA_DIR
set -u
tracectl=$(realpath "$1")
sample=$(realpath "$2/shop.otlp.json")
data=$(realpath "$3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
unset NO_COLOR  # the colour checks below set it themselves

failures=0
out='' err='' rc=0
run() {  # run ARGS...: captures stdout, stderr and the exit status
  "$tracectl" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
}
fail() {
  echo "FAILED: $1"
  echo "  command status $rc"
  echo "  stdout: ${out:0:2000}"
  echo "  stderr: ${err:0:2000}"
  failures=$((failures + 1))
}
expect_rc() { [ "$rc" = "$1" ] || fail "$2: exit status $rc, expected $1"; }
expect_out() { [[ "$out" == *"$1"* ]] || fail "$2: stdout lacks [$1]"; }
expect_err() { [[ "$err" == *"$1"* ]] || fail "$2: stderr lacks [$1]"; }
expect_no_out() { [[ "$out" != *"$1"* ]] || fail "$2: stdout has [$1]"; }
json_get() { python3 -c "import json,sys; d=json.load(open('$work/out')); print($1)"; }

slow=005a000000000000000000000000003d  # in the last 15 minutes: payments slow and failing
calm=005a0000000000000000000000000001  # the first trace of the baseline

# ---- usage ----
run
expect_rc 2 "no command"; expect_err "usage: tracectl COMMAND" "no command"
run --help
expect_rc 0 "--help"; expect_out "anomalies" "--help lists commands"
for command in import trace spans search metrics services operations stats anomalies export html check retention tier snapshot compact repair; do
  run "$command" --help
  expect_rc 0 "$command --help"; expect_out "usage: tracectl $command" "$command --help"
done
run frobnicate
expect_rc 2 "unknown command"; expect_err 'unknown command "frobnicate"' "unknown command"
run spans --store s --colour
expect_rc 2 "unknown option"; expect_err "unknown option --colour" "unknown option"
run spans
expect_rc 2 "missing --store"; expect_err "--store is required" "missing --store"
run spans --store nowhere
expect_rc 2 "missing store dir"; expect_err "--store nowhere: no such store directory" "missing store dir"
run import --store s
expect_rc 2 "import without files"; expect_err "import needs at least one FILE" "import without files"
run import "$sample" --store s --format yaml
expect_rc 2 "bad --format"; expect_err "--format yaml: expected auto, otlp, otlp-proto, jaeger, zipkin or parquet" "bad --format"
run import missing.json --store s
expect_rc 3 "missing file"; expect_err "cannot open missing.json: No such file or directory" "missing file"

# ---- import ----
run import "$sample" --store s
expect_rc 0 "import"; expect_out "shop.otlp.json: 248 spans (otlp)" "import"; expect_out "imported 248 spans from 1 files" "import"
[[ "$err" != *"spans/s"* ]] || fail "import draws no progress line when stderr is not a terminal"

# A progress line on a terminal (script gives the command a pseudo-terminal).
if command -v script >/dev/null; then
  script -qc "'$tracectl' import '$sample' --store tty" /dev/null >"$work/out" 2>&1; rc=$?
  out=$(cat "$work/out"); err=''
  expect_rc 0 "import on a terminal"; expect_out "spans/s" "import on a terminal shows the rate"
  expect_out "ETA" "import on a terminal shows the time left"; expect_out "248 spans" "import on a terminal counts"
fi

# Bad files: named by file, line and column; nothing of the file kept without --keep-going.
run import "$data/truncated.otlp.json" --store bad
expect_rc 3 "bad file"
expect_err "truncated.otlp.json: line 5, column 88: expected ',' or '}' in object" "bad file position"
expect_err "nothing of $data/truncated.otlp.json was imported" "bad file"
run spans --store bad
expect_rc 1 "bad file left nothing"; expect_err "no matching spans" "bad file left nothing"
run import "$data/backwards.otlp.json" --store bad
expect_rc 3 "invalid span"; expect_err "backwards.otlp.json: line 3, column 1: OTLP span: ends (1714564800010000000) before it starts" "invalid span"
run import "$data/unknown.json" --store bad
expect_rc 3 "unknown format"; expect_err "unknown.json: cannot tell the format" "unknown format"
run import "$data/truncated.otlp.json" "$data/backwards.otlp.json" "$data/unknown.json" --store bad --keep-going
expect_rc 3 "--keep-going still fails"; expect_out "imported 2 spans from 3 files, 3 with errors" "--keep-going keeps readable spans"
run spans --store bad --json
expect_rc 0 "--keep-going kept"; [ "$(json_get 'len(d)')" = 2 ] || fail "--keep-going kept the two spans before the error"
# An error late in a streamed file: the batches stored before it stay, and the message says how many.
python3 - >late.otlp.jsonl <<'PY'
import json
for line in range(10):
    spans = [{"traceId": "%032x" % (line + 1), "spanId": "%016x" % (line * 1000 + i + 1), "name": "op",
              "startTimeUnixNano": "1714564800000000000", "endTimeUnixNano": "1714564800000001000"} for i in range(1000)]
    print(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}))
print('{"resourceSpans":[{"scopeSpans":[{"spans":[{]}]}]}')
PY
run import late.otlp.jsonl --store late
expect_rc 3 "error late in a file"
expect_err "late.otlp.jsonl: line 11, column 45: expected a string as object key (10000 spans were handed over before it)" "error late in a file"
expect_err "8192 new spans of late.otlp.jsonl, read before the error, were kept" "error late in a file keeps the stored batches"
run check --store late --json
[ "$(json_get "d['spans']")" = 8192 ] || fail "the two batches stored before a late error are in the store"

# ---- trace ----
run trace "$slow" --store s
expect_rc 0 "trace"; expect_out "POST /checkout (api)" "trace tree"; expect_out "└─ charge (payments)" "trace tree"
expect_out "SELECT accounts (db)" "trace tree"; expect_out "ERROR card declined" "trace status"
expect_out "|########################################| POST /checkout" "trace time bar of the root"
expect_no_out $'\033[' "no colour when stdout is not a terminal"
run trace "$slow" --store s --json
expect_rc 0 "trace --json"
[ "$(json_get "[s['name'] for s in d['spans']]")" = "['POST /checkout', 'authorize', 'charge', 'SELECT accounts']" ] || fail "trace --json order"
[ "$(json_get "d['spans'][2]['events'][0]['name']")" = "declined" ] || fail "trace --json events"
run trace "$slow" --store s --bar-width 0
expect_no_out "|" "trace --bar-width 0"
run trace 0000000000000000000000000000beef --store s
expect_rc 1 "unknown trace"; expect_err "no trace 0000000000000000000000000000beef" "unknown trace"
run trace xyz --store s
expect_rc 2 "bad trace id"; expect_err 'trace id "xyz" is not 32 hex digits' "bad trace id"
if command -v script >/dev/null; then
  script -qc "'$tracectl' trace $slow --store s" /dev/null >"$work/out" 2>&1; out=$(cat "$work/out")
  expect_out $'\033[31m' "errors in red on a terminal"
  NO_COLOR=1 script -qc "'$tracectl' trace $slow --store s" /dev/null >"$work/out" 2>&1; out=$(cat "$work/out")
  expect_no_out $'\033[' "NO_COLOR turns colour off"
fi

# ---- spans ----
run spans --store s --service payments --status error
expect_rc 0 "spans"; expect_out "charge" "spans"; [ "$(grep -c charge "$work/out")" = 5 ] || fail "five failed charges"
run spans --store s --where 'service = db && span.db.rows >= 39' --json
expect_rc 0 "spans --where"
[ "$(json_get "all(s['service'] == 'db' and s['attributes']['db.rows'] >= 39 for s in d) and len(d) > 0")" = True ] || fail "spans --where filters"
run spans --store s --order slowest --limit 1 --json
[ "$(json_get "d[0]['name']")" = "POST /checkout" ] || fail "spans --order slowest"
run spans --store s --trace "$calm" --json
[ "$(json_get 'len(d)')" = 4 ] || fail "spans --trace"
run spans --store s --where 'duration > 1h'
expect_rc 1 "no spans"; expect_err "no matching spans" "no spans"
run spans --store s --where 'service = api && duration > 100'
expect_rc 2 "query error"
expect_err "--where: parse error: query column 29: a duration needs a unit" "query error message"
expect_err $'  service = api && duration > 100\n                              ^' "query error caret"
run spans --store s --status maybe
expect_rc 2 "bad --status"; expect_err "--status maybe: expected ok, error or unset" "bad --status"
run spans --store s --limit many
expect_rc 2 "bad --limit"; expect_err "--limit many: expected a whole number" "bad --limit"

# ---- search ----
run search --store s --where 'status = error' --json
expect_rc 0 "search"
[ "$(json_get "len(d)")" = 5 ] || fail "search finds the five failed traces"
[ "$(json_get "d[0]['trace_id']")" = "$slow" ] || fail "search newest first"
[ "$(json_get "(d[0]['root_name'], d[0]['spans'], d[0]['errors'])")" = "('POST /checkout', 4, 2)" ] || fail "search row"
run search --store s --where 'span.user.tier = "platinum"'
expect_rc 1 "search nothing"; expect_err "no matching traces" "search nothing"

# ---- search with TraceQL, metrics ----
run search --store s --where '{ status = error }' --json
expect_rc 0 "traceql search"
[ "$(json_get "len(d)")" = 5 ] || fail "traceql search finds the five failed traces"
[ "$(json_get "(d[0]['trace_id'], d[0]['root_name'], d[0]['spansets'][0]['matched'])")" = "('$slow', 'POST /checkout', 2)" ] || fail "traceql search row"
run search --store s --where '{ kind = server } >> { status = error }' --json --limit 0
expect_rc 0 "traceql structural"
[ "$(json_get "sum(ss['matched'] for t in d for ss in t['spansets'])")" = 5 ] || fail "five error spans under a server span"
run search --store s --where '{ kind = server } >> { status = error }'
expect_out "MATCHED" "traceql table"
run search --store s --where '{ status = error } | count() > 5'
expect_rc 1 "traceql pipeline finds nothing"
run search --store s --where '{ rootServiceName = 1 }'
expect_rc 2 "traceql type error"; expect_err "query column 21: cannot compare a string with an integer" "traceql caret message"
run search --store s --where '{ } | rate()'
expect_rc 2 "metrics in search"; expect_err "tracectl metrics" "metrics in search"
run search --store s --service api --where '{ }'
expect_rc 2 "traceql with --service"
run metrics '{ status = error } | count_over_time() by (resource.service.name)' --store s --since 24h --step 24h --now 2024-05-01T12:00:00Z --json
expect_rc 0 "metrics"
[ "$(json_get "sorted(x['labels']['resource.service.name'] for x in d)")" = "['api', 'payments']" ] || fail "metrics labels"
[ "$(json_get "sum(p[1] for x in d for p in x['points'])")" = "10.0" ] || fail "metrics count the ten errors"
run metrics '{ } | quantile_over_time(duration, .5) by (resource.service.name)' --store s --since 24h --now 2024-05-01T12:00:00Z
expect_rc 0 "metrics text"; expect_out 'p="0.5"' "quantile label"
run metrics '{ }' --store s
expect_rc 2 "metrics without a function"; expect_err "no metrics function" "metrics without a function"
run metrics --store s
expect_rc 2 "metrics without a query"

# ---- services, operations ----
run services --store s --json
expect_rc 0 "services"
[ "$(json_get "sorted(s['service'] for s in d)")" = "['api', 'auth', 'db', 'payments']" ] || fail "services"
run operations --store s --service payments
expect_rc 0 "operations"; expect_out "payments  charge" "operations"; expect_no_out "authorize" "operations --service"

# ---- stats ----
run stats --store s --json
[ "$(json_get "(d[0]['count'], d[0]['errors'])")" = "(248, 10)" ] || fail "stats totals"
run stats --store s --by service --last 15m --now 2024-05-01T12:00:00Z --json
[ "$(json_get "[(r['key'][0], r['count'], r['errors']) for r in d]")" = "[('api', 15, 5), ('auth', 15, 0), ('db', 15, 0), ('payments', 15, 5)]" ] || fail "stats --by service --last"
run stats --store s --by status --bucket 12h --now 2024-05-01T12:00:00Z
expect_rc 0 "stats --bucket"; expect_out "2024-04-30T12:00:00.000Z" "stats buckets"; expect_out "P95" "stats header"
run stats --store s --last 15m --now 2023-01-01T00:00:00Z
expect_rc 1 "stats nothing"
run stats --store s --by colour
expect_rc 2 "bad --by"; expect_err "--by colour: expected service, operation or status" "bad --by"
run stats --store s --last soon
expect_rc 2 "bad --last"; expect_err "--last soon: expected a whole number and a unit" "bad --last"

# ---- anomalies ----
run anomalies --store s --current 15m --baseline 24h --now 2024-05-01T12:00:00Z
expect_rc 0 "anomalies"; expect_out "high  payments p95 latency increased" "anomalies latency"
expect_out "payments error rate increased from 0.0% to 33.3%" "anomalies errors"
run anomalies --store s --now 2024-05-01T11:00:00Z --json
expect_rc 0 "no anomalies"; [ "$(json_get 'len(d)')" = 0 ] || fail "no anomalies in the calm hours"
run anomalies --store s --now yesterday
expect_rc 2 "bad --now"; expect_err "--now: parse error" "bad --now"

# ---- export, and import of each exported format ----
for format in otlp jaeger zipkin; do
  run export --store s --to "$format" --where "trace:id = \"$slow\"" -o "slow.$format.json"
  expect_rc 0 "export $format"; expect_err "wrote 4 spans" "export $format"
  run import "slow.$format.json" --store "again-$format"
  expect_rc 0 "re-import $format"; expect_out "4 spans ($format)" "re-import $format"
done
# OTLP protobuf: exported, imported (by extension, by content, by --format), the same spans back
run export --store s --to otlp-proto --where "trace:id = \"$slow\"" -o slow.pb
expect_rc 0 "export otlp-proto"; expect_err "wrote 4 spans" "export otlp-proto"
[ "$(head -c1 slow.pb | od -An -tx1 | tr -d ' ')" = 0a ] || fail "export otlp-proto: a protobuf request starts with field 1"
run import slow.pb --store again-pb
expect_rc 0 "import .pb"; expect_out "4 spans (otlp-proto)" "import .pb"
run export --store again-pb --to otlp
[ "$out" = "$(cat slow.otlp.json)" ] || fail "otlp-proto round trip: the spans read back differ from the OTLP JSON export"
cp slow.pb slow-request.bin
run import slow-request.bin --store again-pb-content
expect_rc 0 "import protobuf by content"; expect_out "4 spans (otlp-proto)" "import protobuf by content"
"$tracectl" export --store s --to otlp-proto --trace "$slow" > stdout.pb 2>/dev/null
cmp -s stdout.pb slow.pb || fail "export otlp-proto to stdout: not the bytes written with -o"
head -c 100 slow.pb > cut.bin
run import cut.bin --store cut --format otlp-proto
expect_rc 3 "truncated protobuf"; expect_err "cut.bin: " "truncated protobuf"; expect_err "at byte" "truncated protobuf names the offset"
run import slow.pb --store again-pb
expect_rc 0 "import .pb again"; expect_out "0 spans (otlp-proto), 4 already present" "import .pb again"
run export --store s --to csv --service db
expect_rc 0 "export csv"; [ "$(printf '%s\n' "$out" | wc -l)" = 63 ] || fail "export csv: header and 62 rows"
run export --store s --to chrome --trace "$calm"
expect_rc 0 "export chrome"; expect_out '"ph":"X"' "export chrome"
run export --store s --to yaml
expect_rc 2 "bad --to"; expect_err "--to yaml: expected otlp, otlp-proto, jaeger, zipkin, chrome, csv or parquet" "bad --to"
run export --store s --to otlp --where 'service = nobody'
expect_rc 1 "export nothing"; expect_err "no matching spans; nothing written" "export nothing"

# ---- html ----
run html "$slow" --store s -o slow.html
expect_rc 0 "html"
[ "$(grep -c 'class="bar' slow.html)" = 4 ] || fail "html has one bar per span"
grep -q 'class="bar error"' slow.html || fail "html marks error spans"
if grep -Eq '(src|href)="(https?:)?//' slow.html; then fail "html loads nothing from the network"; fi
run html 0000000000000000000000000000beef --store s
expect_rc 1 "html unknown trace"

# ---- check, compact, snapshot, retention ----
run check --store s --json
expect_rc 0 "check"; [ "$(json_get "(d['ok'], d['spans'], d['traces'])")" = "(True, 248, 62)" ] || fail "check"
run compact --store s
expect_rc 0 "compact"; expect_out "compacted: 1 segments before, 1 sealed now (0 merged away), 248 spans" "compact"
run check --store s
expect_rc 0 "check after compact"; expect_out "sealed  248 spans" "check after compact"

# ---- full-text search, through the sealed segment's text index ----
run search --store s --text '"card declined"' --json
expect_rc 0 "search --text"; [ "$(json_get "len(d)")" = 5 ] || fail "search --text finds the five declined traces"
run search --store s --where 'text ~ "declin* AND NOT failed" && status = error' --json
expect_rc 0 "text ~ in --where"; [ "$(json_get "len(d)")" = 5 ] || fail "text ~ in --where"
run spans --store s --text 'CARD declined' --json
expect_rc 0 "spans --text"; [ "$(json_get "len(d)")" = 5 ] || fail "spans --text lists the five declined spans"
run search --store s --text '(card'
expect_rc 2 "bad --text"; expect_err "at offset 0: a '(' without its ')'" "bad --text"
run search --store s --text card --where '{ status = error }'
expect_rc 2 "--text beside TraceQL"; expect_err "--text does not combine with a TraceQL --where" "--text beside TraceQL"
# A flipped byte in the text index: check reports it, search still answers (by scanning), compact rewrites it.
cp -r s textflip
python3 - "$(ls textflip/*.seg | head -1)" <<'EOF'
import sys
path = sys.argv[1]
data = bytearray(open(path, 'rb').read())
data[-3] ^= 0x10  # the last bytes of a sealed segment are its text index
open(path, 'wb').write(bytes(data))
EOF
run check --store textflip
expect_rc 3 "check finds a damaged text index"; expect_out "text index: checksum mismatch" "check names the text index"
run search --store textflip --text '"card declined"' --json
expect_rc 0 "search around a damaged text index"; [ "$(json_get "len(d)")" = 5 ] || fail "search around a damaged text index"
run compact --store textflip
run check --store textflip
expect_rc 0 "compact rewrites the text index"; expect_out "(text index " "compact rewrites the text index"

# ---- comments ----
run comment add "$slow" --store s --author ana --text 'card declined at the issuer, INC-42'
expect_rc 0 "comment add"; expect_out "comment 1 added to trace $slow" "comment add"
run comment add "$slow" --store s --author bo --text 'retry storm' --span 0000000000000001
expect_rc 0 "comment add on a span"
run comment edit 1 --store s --text 'card declined at the issuer (INC-42)'
expect_rc 0 "comment edit"
run comment rm 2 --store s --author ana
expect_rc 0 "comment rm"; expect_out "removed (kept as a tombstone)" "comment rm"
run comment list "$slow" --store s
expect_rc 0 "comment list"; expect_out "#1 ana" "comment list"; expect_out "(INC-42)" "comment list shows the edit"
expect_no_out "retry storm" "comment list hides removed comments"
run comment list "$slow" --store s --all --json
expect_rc 0 "comment list --all"; [ "$(json_get "(len(d), d[1]['removed_by'])")" = "(2, 'ana')" ] || fail "comment list --all keeps the tombstone"
run trace "$slow" --store s
expect_rc 0 "trace with comments"; expect_out "comments:" "trace shows comments"; expect_out "(INC-42)" "trace shows the comment"
run trace "$slow" --store s --json
[ "$(json_get "d['comments'][0]['text']")" = "card declined at the issuer (INC-42)" ] || fail "trace --json exports the comments"
run comment add 00000000000000000000000000000bad --store s --text x
expect_rc 1 "comment on an unknown trace"
run comment rm 7 --store s
expect_rc 1 "comment rm unknown"

# ---- logs and correlate ----
samples=$(dirname "$sample")
run logs import "$samples/shop.logs.jsonl" "$samples/shop.logs.otlp.json" --store s
expect_rc 0 "logs import"; expect_out "shop.logs.jsonl: 6 logs (jsonl)" "logs import jsonl"
expect_out "shop.logs.otlp.json: 1 logs (otlp)" "logs import otlp"
run logs --store s --text '"card declined"'
expect_rc 0 "logs --text"; expect_out "#4 2024-05-01T11:58:05.249Z ERROR payments" "logs --text finds the body"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "logs --text: one log"
run logs --store s --severity error --json
[ "$(json_get "[l['number'] for l in d]")" = "[4, 5]" ] || fail "logs --severity error"
run correlate --store s --trace "$slow" --json
expect_rc 0 "correlate --trace"
[ "$(json_get "[(l['number'], l['linked_by']) for l in d]")" = "[(7, 'trace id'), (1, 'trace id'), (2, 'service and time window'), (3, 'service and time window'), (4, 'trace id'), (5, 'trace id')]" ] || fail "correlate --trace links by id and by window"
run correlate --store s --trace "$slow" --slack 0
expect_no_out "retrying charge" "correlate --slack 0 leaves the log after the payments span out"
run correlate --store s --log 4
expect_rc 0 "correlate --log"; expect_out "span 00000000000003d2 charge (payments)" "correlate --log names the span"
run correlate --store s --log 2
expect_rc 1 "correlate --log without ids"; expect_out "no trace id" "correlate --log says there is no id"
run correlate --store s --log 99
expect_rc 2 "correlate --log out of range"
run correlate --store s --service payments --from 2024-05-01T11:58:00Z --to 2024-05-01T11:59:00Z
expect_rc 0 "correlate --service"; expect_out "trace 2024-05-01T11:58:05.000Z $slow POST /checkout (4 spans, 4 logs)" "correlate --service shows the trace"
expect_out "log   #3 " "correlate --service shows the logs without ids"
run html "$slow" --store s -o slow-logs.html
grep -q 'card declined by issuer' slow-logs.html || fail "html shows a span's logs in its details"
grep -q '(2 logs)' slow-logs.html || fail "html marks the span with two logs"
run comment add "$slow" --store s --author cy --text 'charge retried <twice>' --span 00000000000003d2
expect_rc 0 "comment add on the charge span"
run html "$slow" --store s -o slow-comments.html
grep -q 'card declined at the issuer (INC-42)' slow-comments.html || fail "html shows the trace's comments"
grep -q 'charge retried &lt;twice&gt;' slow-comments.html || fail "html shows a span's comment, escaped, in its details"
grep -q '(1 comment)' slow-comments.html || fail "html marks the span with a comment"
if grep -q 'retry storm' slow-comments.html; then fail "html leaves removed comments out"; fi
run logs import "$data/truncated.otlp.json" --store s --format jsonl
expect_rc 3 "logs import of a bad file"; expect_err "nothing of it was imported" "logs import refuses a bad file whole"
run snapshot --store s
expect_rc 0 "snapshot"; [ -d "$out" ] && [ -n "$(ls "$out")" ] || fail "snapshot folder holds the segments"
run retention --store s --ttl 36500d
expect_rc 0 "retention keeps"; expect_out "dropped 0 segments (0 spans)" "retention keeps young spans"
run retention --store s --ttl 1d --now 2024-05-01T00:00:00Z  # a day after the sample: nothing is old yet
expect_rc 0 "retention at --now"; expect_out "dropped 0 segments (0 spans) whose spans all started before 2024-04-30T00:00:00.000Z" "retention at --now"
run retention --store s --ttl 1d --now 2024-06-30T00:00:00Z --dry-run
expect_rc 0 "retention dry run"; expect_out "would drop 1 segments (248 spans) holding spans from 2024-04-30T12:00:00.000Z to before 2024-06-29T00:00:00.000Z" "retention dry run"
run check --store s --json
[ "$(json_get "d['spans']")" = "248" ] || fail "a dry run drops nothing"
run retention --store s --ttl 1d --now yesterday
expect_rc 2 "bad --now"; expect_err '--now: parse error: RFC 3339 time "yesterday"' "bad --now"
run retention --store s --ttl 1d  # the sample is from May 2024: older than a day
expect_rc 0 "retention drops"; expect_out "dropped 1 segments (248 spans)" "retention drops old segments"
run retention --store s --ttl forever
expect_rc 2 "bad --ttl"; expect_err "--ttl forever: expected a whole number and a unit" "bad --ttl"
# The cold tier: the sealed segment moves into a Parquet file that the store keeps serving.
run import "$sample" --store cold; run compact --store cold
run tier --store cold --older-than 1d --now 2024-05-01T00:00:00Z  # a day after the sample: nothing is old yet
expect_rc 0 "tier keeps"; expect_out "moved 0 segments (0 spans)" "tier keeps young segments"
run tier --store cold --older-than 7d
expect_rc 0 "tier"; expect_out "moved 1 segments (248 spans)" "tier moves"
[ -z "$(ls cold/*.seg 2>/dev/null)" ] && [ -n "$(ls cold/cold/*.parquet)" ] || fail "tier leaves a Parquet file, no segment"
run check --store cold --json
[ "$(json_get "(d['ok'], d['spans'], d['traces'], len(d['segments']), d['cold'][0]['spans'])")" = "(True, 248, 62, 0, 248)" ] ||
  fail "check reads the cold tier"
run spans --store cold --service payments --status error
expect_rc 0 "spans from the cold tier"; [ "$(grep -c charge "$work/out")" = 5 ] || fail "five failed charges in the cold tier"
run trace "$slow" --store cold
expect_rc 0 "trace from the cold tier"; expect_out "└─ charge (payments)" "trace from the cold tier"
run tier --store cold --older-than never
expect_rc 2 "bad --older-than"; expect_err "--older-than never: expected a whole number and a unit" "bad --older-than"
run retention --store cold --ttl 1d
expect_rc 0 "retention of cold files"; expect_out "dropped 1 segments (248 spans)" "retention reaches the cold tier"
[ -z "$(ls cold/cold/*.parquet 2>/dev/null)" ] || fail "retention removes the cold file"
# Two small sealed segments merge into one, every span kept.
run import "$sample" --store twice; run compact --store twice
run import "$data/truncated.otlp.json" --store twice --keep-going; run compact --store twice
expect_rc 0 "compact merges"; expect_out "compacted: 2 segments before, 1 sealed now (1 merged away), 250 spans" "compact merges"
run check --store twice --json
[ "$(json_get "(d['ok'], d['spans'], len(d['segments']))")" = "(True, 250, 1)" ] || fail "check after merging"
# A damaged segment: one byte changed in the middle of the sealed file.
run import "$sample" --store broken; run compact --store broken
segment=$(ls broken/*.seg | head -1)
python3 - "$segment" <<'EOF'
import sys
path = sys.argv[1]
data = bytearray(open(path, 'rb').read())
data[len(data) // 2] ^= 0xFF
open(path, 'wb').write(bytes(data))
EOF
run check --store broken
expect_rc 3 "check finds damage"; expect_out "problem: corrupt data" "check names the damage"; expect_out "checksum mismatch" "check says what failed"

# ---- input edge cases: unreadable inputs, byte-order marks, empty files, far times, NaN ----
mkfifo pipe
for input in missing.json . pipe /dev/zero; do
  "$tracectl" import "$input" --store unread >"$work/out" 2>"$work/err" & pid=$!
  for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done  # at most 10 s
  if kill -0 $pid 2>/dev/null; then kill $pid; rc=hung; else wait $pid; rc=$?; fi
  out=$(cat "$work/out"); err=$(cat "$work/err")
  expect_rc 3 "unreadable input $input"; expect_err "cannot open $input: " "unreadable input $input"
  expect_err "nothing was imported" "unreadable input $input"
done
expect_err "not a regular file (pipes and devices are refused)" "/dev/zero is refused, not read"
[ ! -e unread ] || fail "an unreadable input creates no store"
run import missing.json "$sample" --store unread --keep-going
expect_rc 3 "--keep-going past an unreadable input"
expect_out "imported 248 spans from 2 files, 1 with errors" "--keep-going past an unreadable input"

printf '\xef\xbb\xbf' >bom.otlp.json; cat "$sample" >>bom.otlp.json
run import bom.otlp.json --store bom
expect_rc 0 "byte-order mark"; expect_out "bom.otlp.json: 248 spans (otlp)" "byte-order mark skipped"
for format in jaeger zipkin; do
  { printf '\xef\xbb\xbf'; cat "slow.$format.json"; } >"bom.$format.json"
  run import "bom.$format.json" --store "bom-$format"
  expect_rc 0 "byte-order mark ($format)"; expect_out "4 spans ($format)" "byte-order mark ($format)"
done

: >empty.json; printf '\xef\xbb\xbf\n  \n' >blank.json
for format in auto otlp jaeger zipkin; do
  run import empty.json blank.json --store empty --format "$format"
  expect_rc 0 "empty file ($format)"; expect_out "empty.json: 0 spans (empty file)" "empty file ($format)"
  expect_out "blank.json: 0 spans (empty file)" "blank file ($format)"
done

cat >far.otlp.json <<'JSON'
{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"x",
"startTimeUnixNano":"9223372036854775808","endTimeUnixNano":"9223372036854775809"}]}]}]}
JSON
run import far.otlp.json --store far
expect_rc 3 "a time past 2262"
expect_err "far.otlp.json: line 2, column 21: OTLP span startTimeUnixNano: 9223372036854775808 ns is past the latest time accepted" "a time past 2262"
printf '[{"traceId":"5b8efff798038103d269b633813fc60c","id":"eee19b7ec3c1b174","timestamp":18446744073709551}]' >far.zipkin.json
run import far.zipkin.json --store far
expect_rc 3 "microseconds past 2262"; expect_err "Zipkin timestamp: 18446744073709551 us is past" "microseconds past 2262"

cat >nan.otlp.json <<'JSON'
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"probe"}}]},"scopeSpans":[{"spans":[
{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"measure","startTimeUnixNano":"1714564800000000000",
"endTimeUnixNano":"1714564800000001000","attributes":[{"key":"ratio","value":{"doubleValue":"NaN"}},
{"key":"peak","value":{"doubleValue":"Infinity"}},{"key":"floor","value":{"doubleValue":"-Infinity"}}]}]}]}]}
JSON
run import nan.otlp.json --store nan
expect_rc 0 "NaN attribute import"
for format in otlp jaeger zipkin chrome csv; do
  run export --store nan --to "$format" -o "nan.$format.out"
  expect_rc 0 "export $format of a NaN attribute"
done
grep -q '"doubleValue":"NaN"' nan.otlp.out || fail "OTLP writes NaN as the string \"NaN\""
grep -q '{"key":"ratio","type":"float64","value":"NaN"}' nan.jaeger.out || fail "Jaeger writes NaN as a float64 tag \"NaN\""
for format in otlp jaeger zipkin; do
  run import "nan.$format.out" --store "nan-$format" --format "$format"
  expect_rc 0 "re-import $format of a NaN attribute"
done
run spans --store nan-jaeger --json
[ "$(json_get "(d[0]['attributes']['ratio'], d[0]['attributes']['peak'], d[0]['attributes']['floor'])")" = "('nan', 'inf', '-inf')" ] ||
  fail "NaN and infinities survive Jaeger as doubles"
run import nan.otlp.json --store nan
expect_rc 0 "NaN re-import"; expect_out "nan.otlp.json: 0 spans (otlp), 1 already present" "a NaN span is present once"

# ---- importing again: spans already present are skipped; every command counts the same ----
run import "$sample" --store again; run import "$sample" --store again
expect_rc 0 "import twice"; expect_out "shop.otlp.json: 0 spans (otlp), 248 already present" "import twice"
expect_out "imported 0 spans from 1 files, 248 already present" "import twice"
run trace "$slow" --store again --json
[ "$(json_get "len(d['spans'])")" = 4 ] || fail "trace after importing twice"
run search --store again --where "trace:id = \"$slow\"" --json
[ "$(json_get "d[0]['spans']")" = 4 ] || fail "search after importing twice"
run stats --store again --json
[ "$(json_get "d[0]['count']")" = 248 ] || fail "stats after importing twice"
# Stopped partway by the disk budget: the message says how much was kept; importing again completes it.
python3 - >many.otlp.json <<'PY'
import json
spans = [{"traceId": "%032x" % (i // 4 + 1), "spanId": "%016x" % (i + 1), "name": "op-%d" % (i % 7),
          "startTimeUnixNano": str(1714564800000000000 + i * 1000000), "endTimeUnixNano": str(1714564800000005000 + i * 1000000),
          "attributes": [{"key": "n", "value": {"intValue": str(i)}}]} for i in range(10000)]
print(json.dumps({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "gen"}}]},
                                      "scopeSpans": [{"spans": spans}]}]}))
PY
run import many.otlp.json --store budget --max-disk-bytes 600000
expect_rc 3 "over the disk budget"; expect_err "many.otlp.json: stopped after " "over the disk budget"
expect_err "is over its disk budget" "over the disk budget"
kept=$(sed -n 's/.*: \([0-9]*\) new spans of many.otlp.json were kept.*/\1/p' "$work/err")
{ [ -n "$kept" ] && [ "$kept" -gt 0 ] && [ "$kept" -lt 10000 ]; } || fail "the disk budget stops the import partway and says how many spans were kept"
run import many.otlp.json --store budget
expect_rc 0 "import again after the disk budget"
expect_out "many.otlp.json: $((10000 - ${kept:-0})) spans (otlp), ${kept:-0} already present" "import again after the disk budget"
run check --store budget --json
[ "$(json_get "(d['ok'], d['spans'])")" = "(True, 10000)" ] || fail "every span once after importing again"
run import many.otlp.json --store budget --max-disk-bytes lots
expect_rc 2 "bad --max-disk-bytes"; expect_err "--max-disk-bytes lots: expected a whole number of bytes" "bad --max-disk-bytes"
# Zipkin's shared spans: two distinct spans with one id are both kept, and every command shows both.
cat >shared.zipkin.json <<'JSON'
[{"traceId":"00000000000000000000000000000abc","id":"0000000000000001","name":"get /","kind":"SERVER","timestamp":1714564800000000,"duration":1000,"localEndpoint":{"serviceName":"web"}},
 {"traceId":"00000000000000000000000000000abc","parentId":"0000000000000001","id":"0000000000000002","name":"get /api","kind":"CLIENT","timestamp":1714564800000100,"duration":500,"localEndpoint":{"serviceName":"web"}},
 {"traceId":"00000000000000000000000000000abc","parentId":"0000000000000001","id":"0000000000000002","name":"get /api","kind":"SERVER","shared":true,"timestamp":1714564800000150,"duration":400,"localEndpoint":{"serviceName":"api"}}]
JSON
run import shared.zipkin.json --store shared; run import shared.zipkin.json --store shared
expect_out "shared.zipkin.json: 0 spans (zipkin), 3 already present" "shared spans imported twice"
run trace 00000000000000000000000000000abc --store shared
expect_out "+ get /api (api) 400us server, sharing span id 0000000000000002 with a span above" "trace names a shared span"
run trace 00000000000000000000000000000abc --store shared --json
[ "$(json_get "len(d['spans'])")" = 3 ] || fail "trace --json lists shared spans"
run search --store shared --json
[ "$(json_get "d[0]['spans']")" = 3 ] || fail "search counts shared spans"
run stats --store shared --json
[ "$(json_get "d[0]['count']")" = 3 ] || fail "stats counts shared spans"
# Byte surgery with the checksums recomputed (CRC-32C, masked), so only the structure checks
# stand between the edit and a reader.
cat >"$work/surgery.py" <<'PY'
import struct, sys
def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xffffffff
def masked(data):
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xffffffff) + 0xa282ead8) & 0xffffffff
def align8(n):
    return (n + 7) & ~7
path, what = sys.argv[1], sys.argv[2]
data = bytearray(open(path, 'rb').read())
if what == 'swap-index':  # a sealed segment: swap the first two trace ids, fix the CRCs
    n, traces, base, count, strings, extras, services = struct.unpack_from('<7I', data, 128)
    index = 128 + align8(64 + 4 * services + 8) + strings  # version 7: parent width, foreign parents
    first, second = data[index:index + 16], data[index + 24:index + 40]
    data[index:index + 16], data[index + 24:index + 40] = second, first
    struct.pack_into('<I', data, 48, masked(data[index:index + 24 * traces]))
    struct.pack_into('<I', data, 124, masked(data[:124]))  # a sealed header, version 6 on
elif what == 'flip-first-record':  # a log: one byte inside the first record's payload
    data[128 + 16 + 40] ^= 0x5a
elif what == 'zero-second-record':  # a log: cut at the boundary after the first record
    second = align8(128 + 16 + struct.unpack_from('<I', data, 132)[0])
    length = struct.unpack_from('<I', data, second + 4)[0]
    data[second:second + 16 + length] = bytes(16 + length)
open(path, 'wb').write(bytes(data))
PY
two_records() {  # a store whose log holds two records: the sample, then two more spans
  run import "$sample" --store "$1"; run import "$data/truncated.otlp.json" --store "$1" --keep-going
}

# A sealed trace index out of order but with valid checksums: refused, never a crash.
run import "$sample" --store unsorted; run compact --store unsorted
python3 "$work/surgery.py" "$(ls unsorted/*.seg | head -1)" swap-index
run search --store unsorted
expect_rc 3 "search on an unsorted index"; expect_err "trace index is not sorted" "search names the damaged region"
run check --store unsorted
expect_rc 3 "check on an unsorted index"; expect_out "trace index is not sorted" "check names the damaged region"

# A damaged record with a committed one after it: readers warn and exit 4, writers refuse,
# repair drops it and says what.
two_records damaged
python3 "$work/surgery.py" "$(ls damaged/*.log | head -1)" flip-first-record
run stats --store damaged --json
expect_rc 4 "stats on a damaged log"; expect_err "warning: the store is damaged" "stats warns"
expect_err "tracectl repair --store damaged" "stats says what to do"
[ "$(json_get "(len(d['damage']), d['result'])")" = "(1, [])" ] || fail "stats --json carries the damage"
run trace "$slow" --store damaged
expect_rc 4 "trace on a damaged log"; expect_err "no trace $slow" "trace on a damaged log"
run import "$sample" --store damaged
expect_rc 3 "import refuses a damaged log"; expect_err "fails its checksum" "import names the damage"
expect_err "repair" "import points to repair"
run check --store damaged
expect_rc 3 "check on a damaged log"; expect_out "damage: " "check calls it damage"
run repair --store damaged --json
expect_rc 0 "repair"
[ "$(json_get "[(x['offset'], len(x['records_after']), x['spans_after'], x['spans'], x['damage']) for x in d['dropped']]")" = "[(128, 1, 2, 250, True)]" ] || fail "repair reports offsets and spans"
run check --store damaged --json
expect_rc 0 "check after repair"; [ "$(json_get "(d['ok'], d['spans'])")" = "(True, 0)" ] || fail "check after repair"
run repair --store damaged
expect_rc 0 "repair again"; expect_out "nothing to repair" "repair again"
run import "$sample" --store damaged
expect_rc 0 "import after repair"

# A log cut at a record boundary: the commit watermark tells.
two_records cut
python3 "$work/surgery.py" "$(ls cut/*.log | head -1)" zero-second-record
run check --store cut
expect_rc 3 "check on a cut log"; expect_out "cut short" "check sees the cut"; expect_out "2 committed spans in all" "check counts the cut spans"
run spans --store cut --limit 0 --json
expect_rc 4 "spans on a cut log"; [ "$(json_get "len(d['result'])")" = 248 ] || fail "spans serves the records before the cut"

# ---- a database of groups (trace::database): group list, schema get, index-rules get, removal ----
# Its catalog written as trace::database writes it (docs/DATABASE.md), checksum included.
mkdir -p db/groups
python3 - db/CATALOG <<'PY'
import sys
body = """trace-database-catalog 2
group audit 0 67108864 86400000000000 0
group orders 3600000000000 1048576 86400000000000 1073741824
schema orders request trace_id start
tag orders request trace_id bytes required trace_id
tag orders request start timestamp required start
tag orders request http.status_code int64 optional attribute
tag orders request service string required service
rule orders request by_status http.status_code sorted
rule orders request by_service service inverted
""".encode()
crc = 0xffffffff
for byte in body:
    crc ^= byte
    for _ in range(8):
        crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
crc ^= 0xffffffff
masked = (((crc >> 15) | (crc << 17)) + 0xa282ead8) & 0xffffffff
open(sys.argv[1], "wb").write(body + b"crc32c %08x\n" % masked)
PY
for command in group schema index-rules removal logs correlate; do
  run "$command" --help
  expect_rc 0 "$command --help"; expect_out "usage: tracectl $command" "$command --help"
done
run group list --db db
expect_rc 0 "group list"; expect_out "orders" "group list"; expect_out "audit" "group list"; expect_out "forever" "group list shows no TTL"
run group list --db db --json
expect_rc 0 "group list --json"
[ "$(json_get "[(g['name'], g['ttl_ns'], g['schemas']) for g in d]")" = "[('audit', 0, []), ('orders', 3600000000000, ['request'])]" ] || fail "group list --json"
run schema get --db db --group orders --name request --json
expect_rc 0 "schema get"
[ "$(json_get "(d['trace_id_tag_name'], d['timestamp_tag_name'], [(t['name'], t['type'], t['required'], t['source']) for t in d['tags']][2])")" = "('trace_id', 'start', ('http.status_code', 'int64', False, 'attribute'))" ] || fail "schema get --json"
run schema get --db db --group orders --name request
expect_rc 0 "schema get text"; expect_out "timestamp in tag start" "schema get text"
run schema get --db db --group orders --name nope
expect_rc 3 "schema get of an unknown schema"; expect_err 'no trace schema "nope"' "schema get of an unknown schema"
run index-rules get --db db --group orders --name request --json
expect_rc 0 "index-rules get"
[ "$(json_get "[(r['name'], r['tag'], r['kind'], r['source']) for r in d]")" = "[('by_status', 'http.status_code', 'sorted', 'attribute'), ('by_service', 'service', 'inverted', 'service')]" ] || fail "index-rules get --json"
run index-rules get --db db --group orders --name request
expect_rc 0 "index-rules get text"; expect_out "by_status" "index-rules get text"; expect_out "by_service" "index-rules get text shows a rule on the service"
run schema list --db db
expect_rc 2 "schema with another verb"
run removal --db db --group orders
expect_rc 1 "removal of an empty group"; expect_out "nothing to remove" "removal of an empty group"
run group list --db nowhere
expect_rc 2 "group list without a database"; expect_err "no database catalog" "group list without a database"
printf 'x' >> db/CATALOG
run group list --db db
expect_rc 3 "group list on a damaged catalog"; expect_err "CATALOG" "group list names the damaged catalog"

if [ "$failures" -ne 0 ]; then
  echo "$failures failures"
  exit 1
fi
echo "all tracectl end-to-end checks passed"
