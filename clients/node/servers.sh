# shellcheck shell=bash
# Sourced by test.sh and mutate.sh: starts and stops the throwaway servers the
# Node client's tests run against, a PostgreSQL cluster with jobtrack preloaded
# (unix socket only, in the cluster's own directory) and a Redis without
# persistence on 127.0.0.1. Run as root; PostgreSQL runs as postgres.
#
#   start_postgres DIR PORT   initdb in DIR/data, start, CREATE EXTENSION jobtrack
#   start_redis DIR PORT      start redis-server with its files in DIR
#   stop_servers              stop what the two above started, by pid
#
# Each prints what went wrong and returns non-zero on failure.

# the cluster's start and stop are the extension's own
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
SERVERS_PGDIR=
SERVERS_REDIS_PID=

start_postgres() {
	local dir=$1 port=$2
	SERVERS_PGDIR=$dir
	start_cluster "$dir" "$port" "fsync = off" \
		|| { echo "PostgreSQL did not start" >&2; cat "$dir/server.log" >&2 2>/dev/null; return 1; }
	as_pg "$PGBIN/psql" -h "$dir" -p "$port" -d postgres -X -q -c 'CREATE EXTENSION jobtrack' \
		|| { echo "CREATE EXTENSION jobtrack failed" >&2; return 1; }
}

start_redis() {
	local dir=$1 port=$2
	if redis-cli -p "$port" ping >/dev/null 2>&1; then
		echo "something already answers on 127.0.0.1:$port" >&2
		return 1
	fi
	mkdir -p "$dir" || return 1
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
		--daemonize no --logfile "$dir/redis.log" &
	SERVERS_REDIS_PID=$!
	for _ in $(seq 50); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "Redis did not start" >&2
	return 1
}

stop_servers() {
	[ -n "$SERVERS_PGDIR" ] && stop_cluster "$SERVERS_PGDIR"
	SERVERS_PGDIR=
	if [ -n "$SERVERS_REDIS_PID" ]; then
		kill "$SERVERS_REDIS_PID" 2>/dev/null
		wait "$SERVERS_REDIS_PID" 2>/dev/null
	fi
	SERVERS_REDIS_PID=
}
