#!/usr/bin/env bash
# Tests of the Node.js client and the BullMQ bridge, self-contained: run as root
# on Debian 12 with jobtrack installed (make install). Installs redis-server,
# the npm dependencies, starts a PostgreSQL cluster with jobtrack preloaded
# (port 5494, unix socket in a temporary directory) and Redis (127.0.0.1:6390,
# no persistence), runs `node --test`, stops both, and exits non-zero on failure.
# `./test.sh --bench` runs the benchmark (bench/bridge-bench.js) instead.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGPORT=${JT_PGPORT:-5494}
REDIS_PORT=${JT_REDIS_PORT:-6390}

if [ "$(id -u)" != 0 ]; then
	echo "run this as root (it installs packages and runs PostgreSQL as postgres)" >&2
	exit 1
fi

echo "== installing Debian packages (redis-server)"
export DEBIAN_FRONTEND=noninteractive
if ! command -v redis-server >/dev/null || ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null || { echo "apt-get update failed" >&2; exit 1; }
	pkgs="redis-server"
	command -v node >/dev/null || pkgs="$pkgs nodejs"
	command -v npm >/dev/null || pkgs="$pkgs npm"
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $pkgs >/dev/null \
		|| { echo "apt-get install failed" >&2; exit 1; }
fi
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL 15 is not installed in $PGBIN" >&2; exit 1; }

echo "== installing npm dependencies"
cd "$HERE" || exit 1
if [ -f package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error >/dev/null || { echo "npm ci failed" >&2; exit 1; }
else
	npm install --no-audit --no-fund --loglevel=error >/dev/null || { echo "npm install failed" >&2; exit 1; }
fi

WORK=$(mktemp -d /tmp/jobtrack-node.XXXXXX)
chmod 755 "$WORK"
PGDIR=$WORK/pg
# shellcheck source=servers.sh
. "$HERE/servers.sh"
cleanup() {
	stop_servers
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting PostgreSQL on port $PGPORT (socket in $PGDIR)"
start_postgres "$PGDIR" "$PGPORT" || exit 1

echo "== starting Redis on 127.0.0.1:$REDIS_PORT"
start_redis "$WORK/redis" "$REDIS_PORT" || exit 1

export JT_PGHOST=$PGDIR JT_PGPORT=$PGPORT JT_PGDATA=$PGDIR/data JT_REDIS_PORT=$REDIS_PORT JT_LOGDIR=$WORK
if [ "${1:-}" = "--bench" ]; then
	echo "== node bench/bridge-bench.js"
	node bench/bridge-bench.js < /dev/null
	exit $?
fi
echo "== node --test"
# Piped through cat, node's default reporter is TAP and ends with "# pass N" and "# fail N".
node --test --test-concurrency=1 --test-timeout=300000 test/*.test.js < /dev/null | cat
status=${PIPESTATUS[0]}
if [ "$status" != 0 ]; then
	# Keep the server and bridge logs (the work directory is removed on exit).
	mkdir -p "$HERE/.test-logs"
	cp "$PGDIR/server.log" "$WORK"/bridge-chaos-*.log "$HERE/.test-logs/" 2>/dev/null
	echo "== failed: PostgreSQL and bridge logs kept in $HERE/.test-logs"
fi
exit "$status"
