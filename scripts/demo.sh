#!/usr/bin/env bash
#
# Brings up a local PostgreSQL with jobtrack preloaded and created, and shows
# it working: a group of jobs runs and finishes while a second session
# LISTENs, and the group events arrive without anyone calling a check.
#
# On a fresh Debian 12 machine, as root.  The cluster lives in ./tmp_demo,
# listens on the unix socket /tmp, port 5499, and keeps running afterwards.
#
set -u
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

DIR=$PWD/tmp_demo
PORT=${JOBTRACK_DEMO_PORT:-5499}

need_root
install_deps
build_and_install

if [ -f "$DIR/data/postmaster.pid" ]; then
	echo "== restarting the demo cluster in $DIR"
	as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w restart >/dev/null
else
	echo "== starting a demo cluster in $DIR (port $PORT)"
	rm -rf "$DIR"
	start_cluster "$DIR" "$PORT" "jobtrack.check_interval = '5s'" \
		|| { cat "$DIR/server.log"; exit 1; }
	# the socket goes to /tmp so that plain psql -p finds it
	sed -i "s|^unix_socket_directories = .*|unix_socket_directories = '/tmp'|" "$DIR/data/postgresql.conf"
	as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w restart >/dev/null
fi

psql_demo() { as_pg psql -X -q -h /tmp -p "$PORT" -d postgres "$@"; }

psql_demo -c "CREATE EXTENSION IF NOT EXISTS jobtrack"

echo "== a listener: LISTEN jobtrack_events (it prints what arrives within 3 seconds)"
as_pg psql -X -h /tmp -p "$PORT" -d postgres \
	-c "LISTEN jobtrack_events" -c "SELECT pg_sleep(3)" -c "SELECT 'listener done' AS listener" \
	> "$DIR/listener.out" 2>&1 &
LISTENER=$!
sleep 0.5

echo "== an application records a group of three jobs and runs them"
psql_demo -v ON_ERROR_STOP=1 <<'SQL'
\set QUIET off
SELECT jobtrack.group_id('demo import ' || now()::text) AS g \gset
SELECT jobtrack.create_job('ImportCsv', tags => jsonb_build_object('file', f), group_id => :g) AS id
  FROM unnest(ARRAY['a.csv', 'b.csv', 'c.csv']) AS f;
SELECT jobtrack.start_job(id) FROM jobtrack.in_group(:g);
SELECT jobtrack.set_progress(id, 50) FROM jobtrack.in_group(:g);
SELECT jobtrack.succeed_job(id) FROM jobtrack.where_tag('file', '!=', 'c.csv') WHERE group_id = :g;
SELECT jobtrack.fail_job(id, 'bad row 7') FROM jobtrack.where_tag('file', 'c.csv') WHERE group_id = :g;
SELECT id, job_type, tags->>'file' AS file, status, percentage, failed_reason FROM jobtrack.in_group(:g) ORDER BY id;
SELECT jobtrack.count_finished(status) AS finished, jobtrack.count_failed(status) AS failed FROM jobtrack.in_group(:g);
SQL

wait "$LISTENER"
echo "== what the listener received (no one called check_groups):"
grep -E 'Asynchronous notification' "$DIR/listener.out" || echo "(nothing: see $DIR/server.log)"

echo "== the same events, replayable with jobtrack.group_events()"
psql_demo -c "SELECT id, group_id, run, event, payload->'counts'->>'failed' AS failed FROM jobtrack.group_events() ORDER BY id DESC LIMIT 4"
psql_demo -c "SELECT worker_pid, worker_state, checks, wakeups, events, latency_p50_ms FROM jobtrack.stats"

cat <<DONE
== jobtrack is running. Connect with:
   runuser -u postgres -- psql -h /tmp -p $PORT -d postgres
   (then try: SELECT * FROM jobtrack.for_job('ImportCsv');)
== stop it with:
   runuser -u postgres -- $PGBIN/pg_ctl -D $DIR/data stop
DONE
