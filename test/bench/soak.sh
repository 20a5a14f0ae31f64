#!/usr/bin/env bash
#
# Soak: the lifecycle workload for a long time with retention on, to show
# that storage and the worker's memory stay flat and throughput holds.
#
# 8 clients run lifecycles (create, start, progress x3, succeed), each
# statement its own transaction; every client moves to a new group every 10
# jobs, and each of its jobs completes and reopens the group, so about two
# group events are raised per lifecycle and groups keep being created.  With
# jobtrack.retention and jobtrack.event_retention set to SOAK_RETENTION,
# finished jobs (with their messages), events and emptied groups are
# deleted as they age.  Every SOAK_SAMPLE seconds it prints the size of each
# table with its indexes, the worker's private memory, the lifecycles per
# second of that interval and the commit-to-event p99 of recent events.
#
# At the end it compares the last sample with the first one taken after the
# retention had two full periods to act, and fails if storage or the
# worker's memory grew by more than SOAK_TOLERANCE percent (memory with 1 MB
# of slack; storage beyond the growth of the throughput, since retention
# keeps its period's worth of jobs and events), or, with SOAK_CHECK_THROUGHPUT=1, if throughput fell by more
# (a timing is no pass criterion on a shared machine by default).  The
# worker's memory fails only if it also rose at every sample since that
# one: housekeeping runs every second, so a leak grows between any two
# samples, while the memory of the largest round so far, which the worker
# keeps for reuse, is one step that may come after the baseline.  Run as
# root with the extension installed:
#
#   bash test/bench/soak.sh                       # 30 minutes, samples every 10
#   SOAK_SECONDS=150 SOAK_SAMPLE=30 SOAK_RETENTION=30 bash test/bench/soak.sh
#
set -u -o pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

need_root
SECONDS_TOTAL=${SOAK_SECONDS:-1800}
SAMPLE=${SOAK_SAMPLE:-600}
RETENTION=${SOAK_RETENTION:-60}
TOLERANCE=${SOAK_TOLERANCE:-10}
CLIENTS=${SOAK_CLIENTS:-8}
PORT=${SOAK_PORT:-5604}
WORK=$(mktemp -d /tmp/jobtrack-soak.XXXXXX)
chown postgres "$WORK"

cleanup() {
	[ -n "${PGBENCH_PID:-}" ] && kill "$PGBENCH_PID" 2>/dev/null
	stop_cluster "$WORK"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

start_cluster "$WORK" "$PORT" "fsync = on" "jobtrack.check_interval = '1s'" \
	"jobtrack.retention = '${RETENTION}s'" "jobtrack.event_retention = '${RETENTION}s'" \
	"autovacuum_naptime = '5s'" "max_connections = 50" || { cat "$WORK/server.log"; exit 1; }
psql_q() { runuser -u postgres -- "$PGBIN/psql" -h "$WORK" -p "$PORT" -d postgres -XAtq "$@"; }
psql_q -c "CREATE EXTENSION jobtrack" || exit 1

cat >"$WORK/soak.sql" <<'EOF'
\set n :n + 1
SELECT jobtrack.create_job('Soak', group_id => jobtrack.group_id('soak ' || :client_id || ' ' || :round || ' ' || (:n / 10))) AS id \gset
SELECT jobtrack.start_job(:id::bigint);
SELECT jobtrack.set_progress(:id::bigint, 25);
SELECT jobtrack.set_progress(:id::bigint, 50);
SELECT jobtrack.add_message(:id::bigint, 'three quarters');
SELECT jobtrack.succeed_job(:id::bigint);
EOF
chown postgres "$WORK/soak.sql"

runuser -u postgres -- "$PGBIN/pgbench" -h "$WORK" -p "$PORT" -n -c "$CLIENTS" -j 2 \
	-T "$SECONDS_TOTAL" -P "$SAMPLE" -D n=0 -D round="$(date +%s)" -f "$WORK/soak.sql" postgres \
	>"$WORK/pgbench.out" 2>"$WORK/pgbench.err" &
PGBENCH_PID=$!

TABLES="job_status job_message job_signal job_group group_count group_change group_event job_external_id"
# The worker's private memory at rest: the least of ten reads over two
# seconds.  A pass holds its working memory (a sort or hash may take up to
# work_mem) only while it runs, so one read can land on a pass under way; a
# leak shows in every read.
worker_memory() {
	local pid=$1 i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		awk '/^RssAnon/ { print $2 }' "/proc/$pid/status" 2>/dev/null
		sleep 0.2
	done | sort -n | head -1
}

sample() {
	local elapsed=$1 sizes pid mem tps p99
	sizes=$(for t in $TABLES; do
		psql_q -c "SELECT pg_total_relation_size('jobtrack.$t')"
	done | awk '{ printf "%s ", int($1 / 1024) }')
	pid=$(psql_q -c "SELECT worker_pid FROM jobtrack.stats")
	mem=$(worker_memory "$pid")
	p99=$(psql_q -c "SELECT round(latency_p99_ms::numeric, 1) FROM jobtrack.stats")
	tps=$(grep -o 'progress: [0-9.]* s, [0-9.]* tps' "$WORK/pgbench.err" | tail -1 | awk '{ print $4 }')
	printf '%6s  %s %8s %8s %8s\n' "$elapsed" "$sizes" "${mem:-?}" "${tps:-?}" "${p99:-?}"
}

printf '# sizes in kB (table with its indexes), worker RssAnon in kB (least of 10 reads), lifecycles/s over the last %ss, p99 ms\n' "$SAMPLE"
printf '%6s  %s %8s %8s %8s\n' "s" "$TABLES" "worker" "lc/s" "p99"
elapsed=0
while [ "$elapsed" -lt "$SECONDS_TOTAL" ]; do
	sleep "$SAMPLE"
	elapsed=$((elapsed + SAMPLE))
	sample "$elapsed" | tee -a "$WORK/samples"
done
wait "$PGBENCH_PID"
rc=$?
PGBENCH_PID=
[ "$rc" = 0 ] || { echo "pgbench failed:"; tail -5 "$WORK/pgbench.err"; exit 1; }

events=$(psql_q -c "SELECT last_value FROM jobtrack.group_event_id_seq")
kept=$(psql_q -c "SELECT count(*) FROM jobtrack.group_event")
echo "# events raised: $events, kept at the end: $kept; set aside: $(psql_q -c 'SELECT groups_set_aside FROM jobtrack.stats')"

# the first sample at least two retention periods in is the baseline
awk -v retention="$RETENTION" -v tol="$TOLERANCE" -v check_tps="${SOAK_CHECK_THROUGHPUT:-0}" -v ntables="$(echo "$TABLES" | wc -w)" '
	{ total = 0; for (i = 2; i <= ntables + 1; i++) total += $i
	  if (base && $(ntables + 2) <= lm) flat_once = 1
	  if (!base && $1 >= 2 * retention + 10) { base = 1; bt = total; bm = $(ntables + 2); bl = $(ntables + 3) }
	  if (base && $(ntables + 3) > peak) peak = $(ntables + 3)
	  lt = total; lm = $(ntables + 2); ll = $(ntables + 3) }
	END {
		if (!base) { print "soak: too short to compare (no sample after two retention periods)"; exit 1 }
		printf "# storage %d -> %d kB, worker memory %d -> %d kB, throughput %.0f -> %.0f lifecycles/s\n", bt, lt, bm, lm, bl, ll
		bad = 0
		# retention keeps about its period times the throughput, and freed space is
		# reused rather than given back: storage may follow the fastest interval
		scale = (bl > 0 && peak > bl) ? peak / bl : 1
		if (scale > 1) printf "# storage allowed to follow the fastest interval since the baseline: %.2fx its throughput\n", scale
		if (lt > bt * (1 + tol / 100) * scale) { print "soak: storage grew by more than " tol "% beyond the throughput"; bad = 1 }
		if (lm > bm * (1 + tol / 100) + 1024) {
			if (flat_once) print "# worker memory grew in one step after the baseline, and then held: not a leak"
			else { print "soak: worker memory grew by more than " tol "%, at every sample"; bad = 1 }
		}
		if (check_tps && ll < bl * (1 - tol / 100)) { print "soak: throughput fell by more than " tol "%"; bad = 1 }
		if (!bad) print "soak: flat"
		exit bad
	}' "$WORK/samples"
