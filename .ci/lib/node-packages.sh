# Sourced by the steps that run Node: `node_packages` makes sure node and npm are present and
# that tests/interop/node_modules holds the packages its package-lock.json pins (the
# OpenTelemetry JS SDK, hyparquet, DuckDB). bench-smoke (trace-bench --duckdb) and interop use
# this one copy: `npm ci` runs only when node_modules is missing or older than the lock file.
node_packages() {
  source .ci/lib/apt.sh
  # Node 20 with its own npm comes from NodeSource on these machines; Debian's npm would conflict.
  command -v npm >/dev/null || apt_install nodejs npm
  local installed=tests/interop/node_modules/.package-lock.json  # written by npm ci
  if [ ! -f "$installed" ] || [ tests/interop/package-lock.json -nt "$installed" ]; then
    (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
