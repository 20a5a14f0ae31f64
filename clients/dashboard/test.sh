#!/bin/bash
# Runs the dashboard's tests in Debian's headless Chromium against a cluster
# of its own (port 5498, 127.0.0.1). As root on Debian 12, with jobtrack
# installed; installs chromium and the npm packages itself.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PORT=${JT_PGPORT:-5498}
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then echo "test.sh: run as root" >&2; exit 1; fi
echo "== dashboard: installing chromium"
apt-get update -qq >/dev/null || { echo "apt-get update failed" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core postgresql-client-15 >/dev/null \
	|| { echo "apt-get install chromium failed" >&2; exit 1; }
echo "== dashboard: npm install"
(cd "$HERE" && npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null) \
	|| { echo "npm install failed" >&2; exit 1; }

# shellcheck source=../../scripts/lib.sh
source "$REPO/scripts/lib.sh"
TMP=$(mktemp -d /tmp/jobtrack-dashboard.XXXXXX)
chmod 755 "$TMP"
cleanup() { stop_cluster "$TMP/pg"; rm -rf "$TMP"; }
trap cleanup EXIT

echo "== dashboard: starting PostgreSQL on 127.0.0.1:$PORT"
start_cluster "$TMP/pg" "$PORT" "listen_addresses = '127.0.0.1'" \
	"jobtrack.database = 'dash_test'" "jobtrack.check_interval = '1s'" \
	|| { echo "could not start the cluster" >&2; cat "$TMP/pg/server.log" >&2; exit 1; }

echo "== dashboard: node --test"
cd "$HERE" || exit 1
JT_PGHOST=127.0.0.1 JT_PGPORT=$PORT node --test --test-concurrency=1 --test-reporter=tap test/*.test.js
rc=$?
[ $rc = 0 ] || { echo "== server log tail:"; tail -20 "$TMP/pg/server.log"; }
exit $rc
