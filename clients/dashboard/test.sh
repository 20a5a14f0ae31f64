#!/bin/bash
# Runs the dashboard's tests in Debian's headless Chromium against a cluster
# of its own (port 5498, 127.0.0.1). As root on Debian 12, with jobtrack
# installed; installs chromium and the npm packages itself.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=${JT_PGPORT:-5498}
# shellcheck source=testlib.sh
source "$HERE/testlib.sh"

if [ "$(id -u)" != 0 ]; then echo "test.sh: run as root" >&2; exit 1; fi
echo "== dashboard: does every mutation of mutate.sh still apply"
bash "$HERE/mutate.sh" --check || exit 1
echo "== dashboard: installing chromium"
install_test_packages || exit 1
echo "== dashboard: npm install"
install_node_modules "$HERE" || exit 1

TMP=$(mktemp -d /tmp/jobtrack-dashboard.XXXXXX)
chmod 755 "$TMP"
cleanup() { stop_cluster "$TMP/pg"; rm -rf "$TMP"; }
trap cleanup EXIT

echo "== dashboard: starting PostgreSQL on 127.0.0.1:$PORT"
start_test_cluster "$TMP/pg" "$PORT" || exit 1

echo "== dashboard: node --test"
cd "$HERE" || exit 1
JT_PGHOST=127.0.0.1 JT_PGPORT=$PORT node --test --test-concurrency=1 --test-reporter=tap test/*.test.js
rc=$?
[ $rc = 0 ] || { echo "== server log tail:"; tail -20 "$TMP/pg/server.log"; }
exit $rc
