#!/bin/bash
#
# test/bench/run.sh: the jobtrack benchmark.
#
# Starts a throwaway cluster of its own, runs the workloads against jobtrack
# and against a plain-SQL baseline measured in the same run on the same
# cluster, prints the results table and writes it as Markdown to
# test/bench/results/latest.md.  Targets are reported, not asserted: the
# script exits 0 when every workload ran, and non-zero only when one could
# not run.  See test/bench/README.md.
#
# Run as root from the repository root (make bench, make bench-smoke).
#
# Environment:
#   BENCH_SMOKE=1      tiny sizes, under two minutes: checks that every workload runs
#   BENCH_PORT         port of the throwaway cluster (5603)
#   BENCH_DURATION     seconds per timed pgbench round (10; smoke 2)
#   BENCH_ROUNDS       rounds of workloads 1 and 2, alternating the sides (3; smoke 1)
#   BENCH_PROTOCOLS    pgbench protocols of workload 1 ("simple extended prepared")
#   BENCH_JOBS         jobs loaded for workloads 4 and 5 (1000000; smoke 10000)
#   BENCH_LATENCY_GROUPS  groups timed by workload 3 (1000; smoke 10)
#   BENCH_SAMPLES      samples of the set_progress timing and the reader
#                      visibility probe (1000; smoke 50)
#   BENCH_PGSS=1       also preload pg_stat_statements and write per-statement
#                      totals of workload 1 to results/pg_stat_statements.md
#                      (diagnosis only: it slows every side)
#   BENCH_PERF=1       also record perf record -g of the server processes in
#                      one extra round of jobtrack (live progress off) and one
#                      of the plain baseline (-M prepared), and write the top
#                      functions to results/perf-*.txt (diagnosis only)
#   BENCH_PRELOAD      further shared_preload_libraries, comma-separated
#   BENCH_KEEP=1       keep the temporary directory (cluster data and logs)
#   PG_CONFIG          pg_config of the PostgreSQL to use

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
RESULTS_DIR=$BENCH_DIR/results
PG_CONFIG=${PG_CONFIG:-pg_config}
PGBIN=$("$PG_CONFIG" --bindir)
PORT=${BENCH_PORT:-5603}
SMOKE=${BENCH_SMOKE:-0}

if [ "$SMOKE" = 1 ]; then
	DURATION=${BENCH_DURATION:-2}
	ROUNDS=${BENCH_ROUNDS:-1}
	JOBS=${BENCH_JOBS:-10000}
	LATENCY_GROUPS=${BENCH_LATENCY_GROUPS:-10}
	SAMPLES=${BENCH_SAMPLES:-50}
	PASS_GAP=0.2
	READ_RUNS=3
	CHECK_RUNS=3
	COUNT_RUNS=3
	LATENCY_LIMIT=20
else
	DURATION=${BENCH_DURATION:-10}
	ROUNDS=${BENCH_ROUNDS:-3}
	JOBS=${BENCH_JOBS:-1000000}
	LATENCY_GROUPS=${BENCH_LATENCY_GROUPS:-1000}
	SAMPLES=${BENCH_SAMPLES:-1000}
	PASS_GAP=1
	READ_RUNS=50
	CHECK_RUNS=20
	COUNT_RUNS=7
	LATENCY_LIMIT=240
fi
PROTOCOLS=${BENCH_PROTOCOLS:-simple extended prepared}
# the most groups one of the worker's passes checks on schedule (WORKER_DUE_GROUPS in
# src/evaluator.h); check_groups() called from SQL checks every due group
DUE_CAP=200
CLIENTS=8					# workload 1
LIVE_SLOTS_TEST=100000		# jobtrack.live_slots of the shared-memory measurement
HOT_CLIENTS=32				# workload 2
# 32 clients need a moment to connect: never less than 2 s
HOT_DURATION=$(( DURATION / 2 > 2 ? DURATION / 2 : 2 ))
MX_DURATION=$(( DURATION / 4 > 2 ? DURATION / 4 : 2 ))
GROUP_SIZE=100
# room for 1,500 lifecycles/s per client: a client that runs out of groups
# goes back to its first ones, completed by then, and each of its jobs then
# reopens and completes a group (two events), which the plain sides never pay
GROUPS_PER_CLIENT=$(( DURATION * 15 + 2 ))
SCALE_GROUPS=$(( JOBS / GROUP_SIZE ))

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: run as root (server programs run through runuser -u postgres)" >&2
	exit 2
fi
if [ "$SCALE_GROUPS" -lt 100 ]; then
	echo "run.sh: BENCH_JOBS must be at least 10000" >&2
	exit 2
fi

TMP=$(mktemp -d /tmp/jobtrack-bench.XXXXXX)
chown postgres:postgres "$TMP"
DATA=$TMP/data
SOCK=$TMP/sock
LOG=$TMP/log
mkdir -p "$SOCK" "$LOG" "$RESULTS_DIR"
rm -rf "$RESULTS_DIR/logs" "$RESULTS_DIR/pg_stat_statements.md" "$RESULTS_DIR"/perf-*.txt
chown postgres:postgres "$SOCK" "$LOG"
RESULTS=$TMP/results.tsv
DETAILS=$TMP/details.md
: > "$RESULTS"
: > "$DETAILS"
FAILED=0
BG_PID=
PERF_PID=
PERF_TAG=
LIVE=0
STARTED_AT=$(date +%s)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)

export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres
unset PGDATABASE PGSERVICE PGOPTIONS PGPASSWORD

# ---------------------------------------------------------------- helpers

log() { echo "[bench $(( $(date +%s) - STARTED_AT ))s] $*"; }

# cleanup stops what this script started: the background pgbench (by its
# pid) and the cluster (by pg_ctl on its data directory).
cleanup()
{
	if [ -n "$PERF_PID" ] && kill -0 "$PERF_PID" 2>/dev/null; then
		kill -INT "$PERF_PID" 2>/dev/null
		wait "$PERF_PID" 2>/dev/null
	fi
	if [ -n "$BG_PID" ] && kill -0 "$BG_PID" 2>/dev/null; then
		kill "$BG_PID" 2>/dev/null
		wait "$BG_PID" 2>/dev/null
	fi
	if [ -f "$DATA/postmaster.pid" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop > /dev/null 2>&1
	fi
	mkdir -p "$RESULTS_DIR/logs"
	cp "$LOG"/* "$RESULTS_DIR/logs/" 2>/dev/null
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "run.sh: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# q DB SQL: runs SQL, prints unaligned tuples-only output
q() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# qf DB FILE: runs a psql script quietly
qf() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$2"; }

# calc EXPR: floating-point arithmetic with awk
calc() { awk "BEGIN { print $1 }"; }

# fmt DECIMALS VALUE
fmt() { [ -n "$2" ] && awk -v d="$1" -v v="$2" 'BEGIN { printf "%.*f", d, v }'; }

# ratio A B: A / B to two decimals ("0.93x"), "-" when either is missing
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2fx", a / b }'; }

# verdict EXPR: "met" when the awk expression holds, "not met" otherwise
verdict() { awk "BEGIN { exit !($1) }" && echo "met" || echo "not met"; }

# row WORKLOAD JOBTRACK BASELINE RATIO TARGET RESULT: one line of the results table
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RESULTS"; }

# failed WORKLOAD TARGET WHY: a workload that could not run
failed()
{
	row "$1" "-" "-" "-" "$2" "FAILED"
	detail "- **$1 failed**: $3"
	echo "run.sh: $1 failed: $3" >&2
	FAILED=1
}

# detail TEXT: a line for the details section of the report
detail() { echo "$*" >> "$DETAILS"; }

# pgbench_run NAME DB SCRIPT CLIENTS SECONDS PROTOCOL PGOPTIONS [pgbench options]:
# runs pgbench with -M PROTOCOL (and PGOPTIONS for its sessions, when not
# empty); prints "tps transactions"
pgbench_run()
{
	local name=$1 db=$2 script=$3 clients=$4 seconds=$5 protocol=$6 options=$7
	shift 7
	if ! env ${options:+PGOPTIONS="$options"} "$PGBIN/pgbench" -n -M "$protocol" -c "$clients" -j 2 \
		-T "$seconds" -f "$BENCH_DIR/$script" "$@" "$db" > "$LOG/pgbench-$name.log" 2>&1; then
		echo "run.sh: pgbench $name failed, see $RESULTS_DIR/logs/pgbench-$name.log" >&2
		tail -5 "$LOG/pgbench-$name.log" >&2
		return 1
	fi
	# a run in which no transaction completed did not measure anything
	if ! awk '/^number of transactions actually processed: / { n = $NF }
			  /^tps = / && $3 > 0 { tps = $3 }
			  END { if (tps == "" || n == "") exit 1; print tps, n }' "$LOG/pgbench-$name.log"; then
		echo "run.sh: pgbench $name completed no transaction, see $RESULTS_DIR/logs/pgbench-$name.log" >&2
		return 1
	fi
}

# pgbench_tps NAME DB SCRIPT CLIENTS SECONDS [pgbench options]: -M prepared; prints the tps
pgbench_tps()
{
	local out
	out=$(pgbench_run "$1" "$2" "$3" "$4" "$5" prepared "" "${@:6}") || return 1
	echo "${out% *}"
}

# wait_for DB SQL SECONDS: polls until SQL returns t
wait_for()
{
	local i
	for (( i = 0; i < $3 * 10; i++ )); do
		[ "$(q "$1" "$2" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	return 1
}

# make_groups DB COUNT TAG: creates COUNT consecutive groups, prints the first id
make_groups()
{
	q "$1" "SELECT CASE WHEN max(id) - min(id) + 1 = $2 THEN min(id) END
			  FROM (SELECT jobtrack.create_group('bench-$3-' || i, time_to_check => '1 hour') AS id
					  FROM generate_series(1, $2) i) g"
}

# make_batches KIND COUNT TAG: prepares COUNT groups for the lifecycle
# scripts, each with its queued batch job (see lifecycle_jobtrack.sql), and
# prints "gbase sbase": the first group id and the first batch job id.  KIND
# is jobtrack, or the baseline table: job_plain or job_status of bench_base,
# where groups are only numbers and batch jobs rows of that table.
make_batches()
{
	local kind=$1 count=$2 tag=$3 gbase sbase
	if [ "$kind" = jobtrack ]; then
		gbase=$(make_groups bench "$count" "$tag") || return 1
		[ -n "$gbase" ] || return 1
		sbase=$(q bench "SELECT CASE WHEN bool_and(j - first = g - $gbase) THEN min(first) END
			FROM (SELECT g, j, min(j) OVER () AS first
					FROM (SELECT g, jobtrack.create_job('BenchBatch', group_id => g) AS j
							FROM generate_series($gbase, $gbase + $count - 1) g) x) y") || return 1
	else
		gbase=$(q bench "SELECT coalesce(max(group_id), 0) + 1 FROM bench_base.$kind") || return 1
		sbase=$(q bench "WITH ins AS (INSERT INTO bench_base.$kind (job_type, group_id)
				SELECT 'BenchBatch', g FROM generate_series($gbase, $gbase + $count - 1) g RETURNING id, group_id)
			SELECT CASE WHEN bool_and(id - (SELECT min(id) FROM ins) = group_id - $gbase) THEN min(id) END FROM ins") || return 1
	fi
	[ -n "$sbase" ] || return 1
	echo "$gbase $sbase"
}

# wait_clients DB: waits until no pgbench session is left (their stats are flushed at exit)
wait_clients() { wait_for "$1" "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'pgbench'" 30; }

# drain_backlog: waits until the worker has evaluated every recorded change;
# prints how many changes were waiting and how long draining took (ms)
drain_backlog()
{
	local backlog start
	backlog=$(q bench "SELECT count(*) FROM jobtrack.group_change")
	start=$(date +%s%N)
	wait_for bench "SELECT NOT EXISTS (SELECT FROM jobtrack.group_change)" 120 || return 1
	echo "$backlog $(( ($(date +%s%N) - start) / 1000000 ))"
}

# next_multixact: CHECKPOINT, then the next MultiXact id it recorded
next_multixact() { q bench "CHECKPOINT" && q bench "SELECT next_multixact_id FROM pg_control_checkpoint()"; }

# worker_cpu: CPU time used so far by the jobtrack worker, in clock ticks
worker_cpu()
{
	local pid
	pid=$(q bench "SELECT worker_pid FROM jobtrack.stats")
	[ -n "$pid" ] && awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null
}

# worker_sched: "cpu_ns runqueue_wait_ns passes" of the jobtrack worker so far
worker_sched()
{
	local pid checks
	read -r pid checks <<< "$(q bench "SELECT worker_pid, checks FROM jobtrack.stats" | tr '|' ' ')"
	[ -n "$pid" ] && [ -r "/proc/$pid/schedstat" ] && echo "$(cut -d' ' -f1,2 "/proc/$pid/schedstat") $checks"
}

# table_stats TABLE: "ins upd" of bench's pg_stat_user_tables
table_stats() { q bench "SELECT n_tup_ins || ' ' || n_tup_upd FROM pg_stat_user_tables WHERE relid = '$1'::regclass"; }

# ---------------------------------------------------------------- cluster

start_cluster()
{
	local preload=jobtrack
	[ "${BENCH_PGSS:-0}" = 1 ] && preload=jobtrack,pg_stat_statements
	[ -n "${BENCH_PRELOAD:-}" ] && preload=$BENCH_PRELOAD,$preload
	runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 \
		--locale=C --no-sync > "$LOG/initdb.log" 2>&1 || return 1
	cat >> "$DATA/postgresql.conf" <<-EOF
		# jobtrack benchmark (test/bench/run.sh)
		listen_addresses = ''
		port = $PORT
		unix_socket_directories = '$SOCK'
		fsync = on
		synchronous_commit = on
		shared_preload_libraries = '$preload'
		jobtrack.databases = 'bench'
		max_connections = 100
		shared_buffers = 256MB
		max_wal_size = 4GB
		checkpoint_timeout = 30min
		log_checkpoints = on
		log_autovacuum_min_duration = 1000
		pg_stat_statements.track = all
	EOF
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG/server.log" -w -t 60 start \
		> "$LOG/pg_ctl.log" 2>&1 || return 1
	q postgres "CREATE DATABASE bench" || return 1
	q bench "CREATE EXTENSION jobtrack" || return 1
	[ "${BENCH_PGSS:-0}" = 1 ] && { q bench "CREATE EXTENSION pg_stat_statements" || return 1; }
	qf bench "$BENCH_DIR/baseline.sql" > /dev/null || return 1
	check_baseline_shape || return 1
	# the live progress path (version 2.0) exists when its setting does
	LIVE=$(q bench "SELECT count(*) FROM pg_settings WHERE name = 'jobtrack.live_progress'") || return 1
	# the launcher looks for database bench again when signalled, instead of
	# at its next poll; then the worker starts there
	q postgres "SELECT pg_reload_conf()" > /dev/null || return 1
	wait_for bench "SELECT EXISTS (SELECT FROM pg_stat_activity
			WHERE backend_type = 'jobtrack worker' AND datname = 'bench')" 60 || {
		echo "run.sh: the jobtrack worker did not start in database bench" >&2
		return 1
	}
}

# check_baseline_shape: bench_base.job_status has jobtrack.job_status' columns
# (status apart), indexes and fillfactor
check_baseline_shape()
{
	local diff
	diff=$(q bench "
		WITH c AS (SELECT attrelid::regclass::text AS t, attname,
						  CASE WHEN atttypid = 'jobtrack.status'::regtype
								 OR atttypid = 'bench_base.status'::regtype THEN 'status'
							   ELSE format_type(atttypid, atttypmod) END AS type, attnotnull
					 FROM pg_attribute
					WHERE attrelid IN ('jobtrack.job_status'::regclass, 'bench_base.job_status'::regclass)
					  AND attnum > 0 AND NOT attisdropped),
			 i AS (SELECT indrelid::regclass::text AS t,
						  regexp_replace(pg_get_indexdef(indexrelid), '^.* USING ', '') AS def
					 FROM pg_index
					WHERE indrelid IN ('jobtrack.job_status'::regclass, 'bench_base.job_status'::regclass)),
			 o AS (SELECT oid::regclass::text AS t, reloptions::text AS opt FROM pg_class
					WHERE oid IN ('jobtrack.job_status'::regclass, 'bench_base.job_status'::regclass))
		SELECT (SELECT count(*) FROM (SELECT attname, type, attnotnull FROM c WHERE t = 'jobtrack.job_status'
				EXCEPT SELECT attname, type, attnotnull FROM c WHERE t = 'bench_base.job_status') x)
			 + (SELECT count(*) FROM (SELECT attname, type, attnotnull FROM c WHERE t = 'bench_base.job_status'
				EXCEPT SELECT attname, type, attnotnull FROM c WHERE t = 'jobtrack.job_status') x)
			 + (SELECT count(*) FROM (SELECT def FROM i WHERE t = 'jobtrack.job_status'
				EXCEPT SELECT def FROM i WHERE t = 'bench_base.job_status') x)
			 + (SELECT count(*) FROM (SELECT def FROM i WHERE t = 'bench_base.job_status'
				EXCEPT SELECT def FROM i WHERE t = 'jobtrack.job_status') x)
			 + (SELECT count(DISTINCT opt) - 1 FROM o)")
	if [ "$diff" != 0 ]; then
		echo "run.sh: bench_base.job_status differs from jobtrack.job_status ($diff differences)" >&2
		return 1
	fi
}

# ---------------------------------------------------------------- workload 1

# The sides of workload 1:
#   plain  the baseline: lifecycle_plain.sql on bench_base.job_plain, the
#          job table a user writes by hand (default fillfactor)
#   live   jobtrack as installed: live progress on (its default)
#   off    jobtrack with jobtrack.live_progress = off for its sessions
#          (every write durable); the only jobtrack side when this build
#          has no live path
#   shape  the kept, heavier baseline, -M prepared only: lifecycle_shape.sql
#          on bench_base.job_status, jobtrack.job_status' own shape
#   ceiling  the plain baseline with its three progress updates replaced
#          by trivial reads (lifecycle_ceiling.sql): the most a live path
#          can reach, in throughput and in WAL, while writing the same rows
#          and indexes as the baseline for the rest; with a live path only
side_kind() { case $1 in live|off) echo jobtrack ;; plain|ceiling) echo job_plain ;; shape) echo job_status ;; esac; }
side_script() { case $1 in live|off) echo lifecycle_jobtrack.sql ;; plain) echo lifecycle_plain.sql ;; shape) echo lifecycle_shape.sql ;; ceiling) echo lifecycle_ceiling.sql ;; esac; }
side_options() { [ "$1" = off ] && [ "$LIVE" = 1 ] && echo "-c jobtrack.live_progress=off"; true; }
side_name()
{
	case $1 in
		live) echo "jobtrack, live progress" ;;
		off) [ "$LIVE" = 1 ] && echo "jobtrack, live_progress off" || echo "jobtrack (no live path)" ;;
		plain) echo "plain SQL baseline" ;;
		shape) echo "same-shape baseline" ;;
		ceiling) echo "plain SQL without its progress writes (the ceiling)" ;;
	esac
}

# wal_now: "insert_lsn wal_bytes": the WAL insert position and pg_stat_wal's total
wal_now() { q bench "SELECT pg_current_wal_insert_lsn() || ' ' || wal_bytes FROM pg_stat_wal"; }

# wal_delta BEFORE AFTER: "lsn_bytes stat_bytes" between two wal_now readings
wal_delta()
{
	local a=$1 b=$2
	q bench "SELECT pg_wal_lsn_diff('${b% *}', '${a% *}')::bigint || ' ' || (${b#* } - ${a#* })::bigint"
}

# wal_records BEFORE AFTER LIFECYCLES: the WAL records written between two
# wal_now readings, per lifecycle, from pg_waldump --stats=record: prints
# the total, then each kind of record with at least 0.05 per lifecycle as
# "Rmgr/TYPE:n", most frequent first.  It tells which writes a side adds,
# which the byte counts alone do not.
wal_records()
{
	local a=$1 b=$2 n=$3
	runuser -u postgres -- "$PGBIN/pg_waldump" -p "$DATA/pg_wal" -s "${a% *}" -e "${b% *}" \
		--stats=record 2> /dev/null |
		awk -v n="$n" '$1 ~ /^[A-Za-z0-9]+\/[A-Za-z0-9_+]+$/ && $2 ~ /^[0-9]+$/ { print $2, $1 }' |
		sort -rn | awk -v n="$n" '{ total += $1; if ($1 / n >= 0.05) kinds = kinds sprintf(" %s:%.1f", $2, $1 / n) }
			END { if (NR) printf "%.1f%s\n", total / n, kinds }'
}

# lifecycle_round SIDE PROTOCOL ROUND [PERF_TAG]: one timed round of
# workload 1; prints "tps lifecycles wal_lsn_bytes wal_stat_bytes
# wal_records_per_lifecycle".  The WAL
# window runs from just before pgbench to the end of the worker's drain,
# so a jobtrack side pays for its worker.  With PERF_TAG the server
# processes are recorded with perf record -g (an extra, untimed round).
lifecycle_round()
{
	local side=$1 proto=$2 r=$3 perf=${4:-} kind batches out backlog cpu0 cpu1 w0 w1 wal records perf_pid=
	kind=$(side_kind "$side")
	batches=$(make_batches "$kind" $(( CLIENTS * GROUPS_PER_CLIENT )) "w1-$proto-$r-$side${perf:+-perf}") || return 1
	drain_backlog > /dev/null || return 1
	q bench "CHECKPOINT" || return 1
	cpu0=$(worker_cpu)
	if [ -n "$perf" ]; then
		perf_start "$perf"
		perf_pid=$PERF_PID
	fi
	w0=$(wal_now) || return 1
	out=$(pgbench_run "w1-$proto-$side-$r${perf:+-perf}" bench "$(side_script "$side")" "$CLIENTS" "$DURATION" \
		"$proto" "$(side_options "$side")" \
		-D n=0 -D gbase="${batches% *}" -D sbase="${batches#* }" -D gslots="$CLIENTS" \
		-D gpc="$GROUPS_PER_CLIENT" -D per="$GROUP_SIZE") || { [ -n "$perf_pid" ] && kill -INT "$perf_pid" 2>/dev/null && perf_stop; return 1; }
	cpu1=$(worker_cpu)
	# pgbench spreads lifecycles over its clients, not quite evenly
	[ "${out#* }" -gt $(( CLIENTS * GROUPS_PER_CLIENT * GROUP_SIZE * 3 / 4 )) ] &&
		detail "- workload 1, round $r, -M $proto, $(side_name "$side"): ${out#* } lifecycles came near the $(( CLIENTS * GROUPS_PER_CLIENT * GROUP_SIZE )) the round's groups hold; raise GROUPS_PER_CLIENT"
	wait_clients bench
	# evaluate every change before the next round, so no side pays for another
	backlog=$(drain_backlog) || return 1
	w1=$(wal_now) || return 1
	[ -n "$perf_pid" ] && perf_stop
	wal=$(wal_delta "$w0" "$w1") || return 1
	records=$(wal_records "$w0" "$w1" "${out#* }")
	detail "- workload 1, round $r, -M $proto, $(side_name "$side"): WAL records per lifecycle ${records:-n/a (pg_waldump failed)}"
	if [ "$kind" = jobtrack ]; then
		detail "- workload 1, round $r, -M $proto, $(side_name "$side"): $(fmt 1 "${out% *}") lifecycles/s, WAL $(( ${wal% *} / ${out#* } )) B/lifecycle (pg_stat_wal $(( ${wal#* } / ${out#* } ))); the worker used $(fmt 0 "$(calc "100 * (${cpu1:-0} - ${cpu0:-0}) / $(getconf CLK_TCK) / $DURATION")") % of one core; its backlog at the end: ${backlog% *} changes, drained in ${backlog#* } ms"
	else
		detail "- workload 1, round $r, -M $proto, $(side_name "$side"): $(fmt 1 "${out% *}") lifecycles/s, WAL $(( ${wal% *} / ${out#* } )) B/lifecycle (pg_stat_wal $(( ${wal#* } / ${out#* } )))"
	fi
	echo "$out $wal ${records%% *}"
}

# perf_start TAG: in the background, waits until pgbench's sessions are
# connected, then records the cluster's processes (the postmaster's
# children: pgbench's backends, the jobtrack worker, the WAL writer, ...)
# with perf record -g until the round is nearly over.  perf record -p does
# not follow processes forked later, hence the wait.
perf_start()
{
	(
		for (( i = 0; i < 100; i++ )); do
			[ "$(q bench "SELECT count(*) >= $CLIENTS FROM pg_stat_activity WHERE application_name = 'pgbench'")" = t ] && break
			sleep 0.1
		done
		pm=$(head -1 "$DATA/postmaster.pid")
		exec perf record -g -F 499 -o "$TMP/perf-$1.data" -p "$(pgrep -P "$pm" | tr '\n' ',' | sed 's/,$//')" \
			-- sleep $(( DURATION > 3 ? DURATION - 2 : 1 ))
	) > "$LOG/perf-$1.log" 2>&1 &
	PERF_PID=$!
	PERF_TAG=$1
}

# perf_stop: waits for the recording to end and writes its summary
perf_stop()
{
	wait "$PERF_PID" 2>/dev/null
	PERF_PID=
	{
		echo "# perf record -g -F 499 of the server processes (the postmaster's children: sessions, worker, WAL writer...),"
		echo "# workload 1, -M prepared, $CLIENTS clients, ${DURATION}s round: $( [ "$PERF_TAG" = baseline ] && side_name plain || side_name off)"
		echo "# perf report --no-children --sort symbol, top 25"
		perf report -i "$TMP/perf-$PERF_TAG.data" --no-children --sort symbol -g none --stdio 2>> "$LOG/perf-$PERF_TAG.log" |
			grep -v '^#' | grep -v '^[[:space:]]*$' | head -25
		echo
		echo "# by process name (--sort comm)"
		perf report -i "$TMP/perf-$PERF_TAG.data" --no-children --sort comm -g none --stdio 2>> "$LOG/perf-$PERF_TAG.log" |
			grep -v '^#' | grep -v '^[[:space:]]*$' | head -10
		echo
		echo "# by shared object (--sort dso), top 10"
		perf report -i "$TMP/perf-$PERF_TAG.data" --no-children --sort dso -g none --stdio 2>> "$LOG/perf-$PERF_TAG.log" |
			grep -v '^#' | grep -v '^[[:space:]]*$' | head -10
	} > "$RESULTS_DIR/perf-$PERF_TAG.txt"
}

# perf_rounds: BENCH_PERF=1: one extra round each of jobtrack with live
# progress off and of the plain baseline, under perf record
perf_rounds()
{
	[ "${BENCH_PERF:-0}" = 1 ] || return 0
	if ! command -v perf > /dev/null; then
		log "perf is missing: apt-get install linux-perf"
		apt-get install -y -q linux-perf > "$LOG/apt-perf.log" 2>&1 || true
	fi
	if ! command -v perf > /dev/null || ! perf record -o "$TMP/perf-test.data" -- true > "$LOG/perf-test.log" 2>&1; then
		failed "perf profile (BENCH_PERF=1)" "report" "perf is not available or cannot record (see logs/perf-test.log)"
		return 1
	fi
	log "BENCH_PERF: perf record of one round each of jobtrack (live progress off) and the plain baseline"
	lifecycle_round off prepared perf jobtrack-off > /dev/null || { failed "perf profile" "report" "the jobtrack round under perf did not run"; return 1; }
	lifecycle_round plain prepared perf baseline > /dev/null || { failed "perf profile" "report" "the baseline round under perf did not run"; return 1; }
	detail "- BENCH_PERF: top functions in results/perf-jobtrack-off.txt and results/perf-baseline.txt (perf record -g of the server processes; these rounds are not in the medians)"
}

workload_lifecycle()
{
	local target_live=">= 1.5x (aim 1.8x)" target_off=">= 0.8x"
	local r proto side out tps n_tx wl_lsn wl_stat wl_rec sides n i order base stats0 stats1
	local -A TPS WAL RATIO
	log "workload 1: lifecycle throughput, -M ${PROTOCOLS// /, -M }, $ROUNDS round(s) of ${DURATION}s per side$( [ "$LIVE" = 1 ] || echo ", no live path in this build")"
	stats0=$(q bench "SELECT checks || ' ' || wakeups || ' ' || events FROM jobtrack.stats")
	for (( r = 1; r <= ROUNDS; r++ )); do
		for proto in $PROTOCOLS; do
			sides=(plain off)
			[ "$LIVE" = 1 ] && sides=(plain live off ceiling)
			[ "$proto" = prepared ] && sides+=(shape)
			# each round starts one side later, so over the rounds every side
			# takes every place in the order and drift cancels
			n=${#sides[@]}
			order=
			for (( i = 0; i < n; i++ )); do
				order+=" ${sides[$(( (i + r - 1) % n ))]}"
			done
			for side in $order; do
				out=$(lifecycle_round "$side" "$proto" "$r") || {
					failed "1. Lifecycle throughput, -M $proto" "$target_off" "round $r of side $side did not run"
					return 1
				}
				read -r tps n_tx wl_lsn wl_stat wl_rec <<< "$out"
				log "  round $r -M $proto $side: $tps lifecycles/s, $(( wl_lsn / n_tx )) WAL bytes/lifecycle"
				TPS[$proto,$side]+=" $tps"
				TPS[$proto,$side,$r]=$tps
				WAL[$side]+=" $(calc "$wl_lsn / $n_tx")"
				WAL[$side,stat]+=" $(calc "$wl_stat / $n_tx")"
				[ -n "$wl_rec" ] && WAL[$side,rec]+=" $wl_rec"
			done
			for side in live off shape ceiling; do
				[ -n "${TPS[$proto,$side,$r]:-}" ] || continue
				base=${TPS[$proto,plain,$r]}
				[ "$side" = off ] && [ "$proto" = prepared ] && RATIO[$proto,offshape]+=" $(calc "${TPS[$proto,off,$r]} / ${TPS[$proto,shape,$r]}")"
				[ "$side" = shape ] && continue
				RATIO[$proto,$side]+=" $(fmt 3 "$(calc "${TPS[$proto,$side,$r]} / $base")")"
			done
		done
	done
	local mp ml mo ms mc rl ro rs rc
	for proto in $PROTOCOLS; do
		mp=$(perl "$BENCH_DIR/stats.pl" median ${TPS[$proto,plain]})
		mo=$(perl "$BENCH_DIR/stats.pl" median ${TPS[$proto,off]})
		ro=$(perl "$BENCH_DIR/stats.pl" median ${RATIO[$proto,off]})
		if [ "$LIVE" = 1 ]; then
			ml=$(perl "$BENCH_DIR/stats.pl" median ${TPS[$proto,live]})
			rl=$(perl "$BENCH_DIR/stats.pl" median ${RATIO[$proto,live]})
			row "1. Lifecycle throughput, -M $proto, live progress (lifecycles/s)" "$(fmt 1 "$ml")" "$(fmt 1 "$mp")" \
				"$(fmt 2 "$rl")x" "$target_live" "$(verdict "$rl >= 1.5")"
		else
			row "1. Lifecycle throughput, -M $proto, live progress (lifecycles/s)" "n/a (no live path in this build)" \
				"$(fmt 1 "$mp")" "-" "$target_live" "n/a"
		fi
		row "1. Lifecycle throughput, -M $proto, $( [ "$LIVE" = 1 ] && echo "live_progress off" || echo "jobtrack as built") (lifecycles/s)" \
			"$(fmt 1 "$mo")" "$(fmt 1 "$mp")" "$(fmt 2 "$ro")x" "$target_off" "$(verdict "$ro >= 0.8")"
		if [ -n "${TPS[$proto,ceiling]:-}" ]; then
			mc=$(perl "$BENCH_DIR/stats.pl" median ${TPS[$proto,ceiling]})
			rc=$(perl "$BENCH_DIR/stats.pl" median ${RATIO[$proto,ceiling]})
			row "1. (reference) -M $proto, the ceiling: plain SQL with its progress updates replaced by trivial reads" \
				"$(fmt 1 "$mc")" "$(fmt 1 "$mp")" "$(fmt 2 "$rc")x" "info: the most live progress can reach" "info"
		fi
		if [ -n "${TPS[$proto,shape]:-}" ]; then
			ms=$(perl "$BENCH_DIR/stats.pl" median ${TPS[$proto,shape]})
			rs=$(perl "$BENCH_DIR/stats.pl" median ${RATIO[$proto,offshape]})
			row "1. (kept for scale) -M $proto, $( [ "$LIVE" = 1 ] && echo "live_progress off" || echo "jobtrack") vs the same-shape baseline (jobtrack's columns, fillfactor 85, by hand)" \
				"$(fmt 1 "$mo")" "$(fmt 1 "$ms")" "$(fmt 2 "$rs")x" "info: extension code vs table shape" "info"
		fi
		detail "- workload 1, -M $proto: per-round ratios, live/plain:${RATIO[$proto,live]:- n/a}; ceiling/plain:${RATIO[$proto,ceiling]:- n/a}; off/plain:${RATIO[$proto,off]}${RATIO[$proto,offshape]:+; off/same-shape:${RATIO[$proto,offshape]}}"
	done
	# WAL per lifecycle: median over every round of every protocol
	local wp wlv wo wsh wc wal_side=off
	[ "$LIVE" = 1 ] && wal_side=live
	wp=$(perl "$BENCH_DIR/stats.pl" median ${WAL[plain]})
	wo=$(perl "$BENCH_DIR/stats.pl" median ${WAL[off]})
	if [ "$LIVE" = 1 ]; then
		wlv=$(perl "$BENCH_DIR/stats.pl" median ${WAL[live]})
		row "1b. WAL bytes per lifecycle, live progress" "$(fmt 0 "$wlv")" "$(fmt 0 "$wp")" "$(ratio "$wlv" "$wp")" "<= 0.6x" "$(verdict "$wlv <= 0.6 * $wp")"
	else
		row "1b. WAL bytes per lifecycle, live progress" "n/a (no live path in this build)" "$(fmt 0 "$wp")" "-" "<= 0.6x" "n/a"
	fi
	row "1b. WAL bytes per lifecycle, $( [ "$LIVE" = 1 ] && echo "live_progress off" || echo "jobtrack as built")" "$(fmt 0 "$wo")" "$(fmt 0 "$wp")" "$(ratio "$wo" "$wp")" "report" "info"
	if [ -n "${WAL[ceiling]:-}" ]; then
		wc=$(perl "$BENCH_DIR/stats.pl" median ${WAL[ceiling]})
		row "1b. (reference) WAL bytes per lifecycle of the ceiling: no progress writes, the same rows and indexes otherwise" \
			"$(fmt 0 "$wc")" "$(fmt 0 "$wp")" "$(ratio "$wc" "$wp")" "info: the least live progress can write" "info"
	fi
	if [ -n "${WAL[plain,rec]:-}" ] && [ -n "${WAL[$wal_side,rec]:-}" ]; then
		local rp rj
		rp=$(perl "$BENCH_DIR/stats.pl" median ${WAL[plain,rec]})
		rj=$(perl "$BENCH_DIR/stats.pl" median ${WAL[$wal_side,rec]})
		row "1b. (reference) WAL records per lifecycle (pg_waldump), $(side_name "$wal_side")$( [ -n "${WAL[ceiling,rec]:-}" ] && echo "; the ceiling $(fmt 1 "$(perl "$BENCH_DIR/stats.pl" median ${WAL[ceiling,rec]})")")" \
			"$(fmt 1 "$rj")" "$(fmt 1 "$rp")" "$(ratio "$rj" "$rp")" "info: what each side writes, by kind in the details" "info"
	fi
	wsh=$(perl "$BENCH_DIR/stats.pl" median ${WAL[shape]:-})
	detail "- workload 1b: WAL bytes per lifecycle = WAL insert position advanced (pg_current_wal_insert_lsn) from just before pgbench to the end of the worker's drain, over the lifecycles pgbench completed; median over all rounds and protocols. Same-shape baseline: $(fmt 0 "$wsh") B. pg_stat_wal.wal_bytes over the same windows (it lags by the worker's unflushed statistics, reported at most once a second after a pass): plain $(fmt 0 "$(perl "$BENCH_DIR/stats.pl" median ${WAL[plain,stat]})"), $( [ "$LIVE" = 1 ] && echo "live $(fmt 0 "$(perl "$BENCH_DIR/stats.pl" median ${WAL[live,stat]})"), ")off $(fmt 0 "$(perl "$BENCH_DIR/stats.pl" median ${WAL[off,stat]})")"
	stats1=$(q bench "SELECT checks || ' ' || wakeups || ' ' || events FROM jobtrack.stats")
	detail "- workload 1: median of $ROUNDS rounds per side and protocol; ratio = median of the per-round ratios (each against the plain baseline of the same round and protocol)"
	detail "- worker during workload 1: $(( $(echo "$stats1" | cut -d' ' -f1) - $(echo "$stats0" | cut -d' ' -f1) )) passes, $(( $(echo "$stats1" | cut -d' ' -f2) - $(echo "$stats0" | cut -d' ' -f2) )) wake-ups, $(( $(echo "$stats1" | cut -d' ' -f3) - $(echo "$stats0" | cut -d' ' -f3) )) events"
}

# ---------------------------------------------------------------- workload 2 and hot-group writes

# hot_round MODE ROUND: one timed round of workload 2; prints the tps
hot_round()
{
	local mode=$1 r=$2 slots batches tps
	slots=1
	[ "$mode" = separate ] && slots=$HOT_CLIENTS
	batches=$(make_batches jobtrack "$slots" "w2-$mode-$r") || return 1
	drain_backlog > /dev/null || return 1
	q bench "CHECKPOINT" || return 1
	# per is never reached: each group stays open for the whole run
	tps=$(pgbench_tps "w2-$mode-$r" bench lifecycle_jobtrack.sql "$HOT_CLIENTS" "$HOT_DURATION" \
		-D n=0 -D gbase="${batches% *}" -D sbase="${batches#* }" -D gslots="$slots" -D gpc=1 \
		-D per=1000000000) || return 1
	wait_clients bench
	drain_backlog > /dev/null || return 1
	echo "$tps"
}

workload_hot_group()
{
	local name="2. Hot group, $HOT_CLIENTS clients (lifecycles/s): one group vs one group each"
	local target=">= 0.7x"
	local r mode tps hot=() sep=() mh ms order
	local mx0 mx1 mx_hot=0 checks0 checks1 passes=0 grp0 grp1 grp_upd=0 job0 job1 job_writes=0
	log "workload 2: hot group, $ROUNDS round(s) of ${HOT_DURATION}s per mode"
	for (( r = 1; r <= ROUNDS; r++ )); do
		order="hot separate"
		[ $(( r % 2 )) = 0 ] && order="separate hot"
		for mode in $order; do
			if [ "$mode" = hot ]; then
				mx0=$(next_multixact) || return 1
				checks0=$(q bench "SELECT checks FROM jobtrack.stats")
				grp0=$(table_stats jobtrack.job_group)
				job0=$(table_stats jobtrack.job_status)
			fi
			tps=$(hot_round "$mode" "$r") || { failed "$name" "$target" "round $r ($mode) did not run"; return 1; }
			log "  round $r $mode: $tps lifecycles/s"
			detail "- workload 2, round $r, $mode: $(fmt 1 "$tps") lifecycles/s"
			if [ "$mode" = hot ]; then
				hot+=("$tps")
				mx1=$(next_multixact) || return 1
				checks1=$(q bench "SELECT checks FROM jobtrack.stats")
				grp1=$(table_stats jobtrack.job_group)
				job1=$(table_stats jobtrack.job_status)
				mx_hot=$(( mx_hot + mx1 - mx0 ))
				passes=$(( passes + checks1 - checks0 ))
				grp_upd=$(( grp_upd + ${grp1#* } - ${grp0#* } ))
				job_writes=$(( job_writes + ${job1% *} - ${job0% *} + ${job1#* } - ${job0#* } ))
			else
				sep+=("$tps")
			fi
		done
	done
	mh=$(perl "$BENCH_DIR/stats.pl" median "${hot[@]}")
	ms=$(perl "$BENCH_DIR/stats.pl" median "${sep[@]}")
	row "$name" "$(fmt 1 "$mh")" "$(fmt 1 "$ms")" "$(ratio "$mh" "$ms")" "$target" \
		"$(verdict "$mh >= 0.7 * $ms")"

	# the group row is written per evaluator pass, never per job write
	row "2b. job_group updates in the hot-group runs (per job write)" \
		"$grp_upd updates / $job_writes job writes" "-" \
		"$(awk -v a="$grp_upd" -v b="$job_writes" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "-" }')" \
		"not per job write (<= evaluator passes: $passes)" \
		"$(verdict "$job_writes > 0 && $grp_upd <= $passes && $grp_upd * 10 < $job_writes")"
	detail "- hot group: during the hot-group lifecycle runs, $mx_hot MultiXact ids were consumed (next_multixact_id after CHECKPOINT), $grp_upd job_group updates for $job_writes job_status writes over $passes evaluator passes"
	hot_creation_multixacts
}

# hot_creation_multixacts: MultiXacts of the hot-group creation phase,
# jobtrack against a plain table with a declared foreign key to its group
hot_creation_multixacts()
{
	local name="2c. MultiXacts, hot-group creation, $HOT_CLIENTS clients, ${MX_DURATION}s (FK table as baseline)"
	local target="report"
	local gbase mx0 mx1 mx2 mx3 tj tf jobs0 jobs1 fk0 fk1
	log "workload 2c: MultiXact growth of the hot-group creation phase"
	gbase=$(make_groups bench 1 "mx") || { failed "$name" "$target" "no group"; return 1; }
	jobs0=$(q bench "SELECT count(*) FROM jobtrack.job_status WHERE group_id = $gbase")
	mx0=$(next_multixact) || return 1
	tj=$(pgbench_tps mx-jobtrack bench create_jobtrack.sql "$HOT_CLIENTS" "$MX_DURATION" -D gbase="$gbase") \
		|| { failed "$name" "$target" "the jobtrack creation phase did not run"; return 1; }
	mx1=$(next_multixact) || return 1
	jobs1=$(q bench "SELECT count(*) FROM jobtrack.job_status WHERE group_id = $gbase")
	wait_clients bench
	drain_backlog > /dev/null
	fk0=$(q bench "SELECT count(*) FROM bench_base.fk_job")
	mx2=$(next_multixact) || return 1
	tf=$(pgbench_tps mx-fk bench create_fk.sql "$HOT_CLIENTS" "$MX_DURATION") \
		|| { failed "$name" "$target" "the foreign-key creation phase did not run"; return 1; }
	mx3=$(next_multixact) || return 1
	fk1=$(q bench "SELECT count(*) FROM bench_base.fk_job")
	row "$name" "$(( mx1 - mx0 )) for $(( jobs1 - jobs0 )) jobs" "$(( mx3 - mx2 )) for $(( fk1 - fk0 )) jobs" \
		"-" "$target" "info"
	detail "- hot-group creation phase: jobtrack.create_job $(fmt 0 "$tj") jobs/s, foreign-key table $(fmt 0 "$tf") inserts/s"
}

# ---------------------------------------------------------------- 1c-1e: the live progress path

# workload_progress_time: server time of the progress writes (1c),
# progress_time.sql's procedure, live and durable
workload_progress_time()
{
	local name="1c. set_progress(job, pct) server time, each call its own transaction, p50 / p99 (us)"
	local target="< 50 us p50 (live)"
	local mode fn commit opts out
	local -A T
	log "workload 1c: server time of set_progress and heartbeat, $SAMPLES calls each"
	qf bench "$BENCH_DIR/progress_time.sql" > /dev/null || { failed "$name" "$target" "progress_time.sql did not load"; return 1; }
	for mode in live durable; do
		[ "$mode" = live ] && [ "$LIVE" != 1 ] && continue
		opts=
		[ "$mode" = durable ] && [ "$LIVE" = 1 ] && opts="-c jobtrack.live_progress=off"
		for fn in pct count heartbeat; do
			for commit in true false; do
				out=$(env ${opts:+PGOPTIONS="$opts"} "$PGBIN/psql" -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 -d bench \
					-c "CALL bench_base.time_progress('$fn', $SAMPLES, $commit)" 2>> "$LOG/progress_time.err") || {
					failed "$name" "$target" "time_progress($fn, $mode) failed (see logs/progress_time.err)"
					return 1
				}
				T[$mode,$fn,$commit]=$out
			done
		done
	done
	# p50 / p99 of "p50 p99"
	pp() { [ -n "${1:-}" ] && echo "$(fmt 1 "${1% *}") / $(fmt 1 "${1#* }")"; }
	if [ "$LIVE" = 1 ]; then
		row "$name" "$(pp "${T[live,pct,true]}")" "$(pp "${T[durable,pct,true]}") (durable)" \
			"$(ratio "${T[live,pct,true]% *}" "${T[durable,pct,true]% *}")" "$target" \
			"$(verdict "${T[live,pct,true]% *} < 50")"
	else
		row "$name" "n/a (no live path in this build)" "$(pp "${T[durable,pct,true]}") (durable)" "-" "$target" "n/a"
	fi
	for mode in live durable; do
		[ -n "${T[$mode,pct,true]:-}" ] || continue
		detail "- workload 1c, $mode: p50 / p99 us, each call its own transaction (COMMIT timed): set_progress(pct) $(pp "${T[$mode,pct,true]}"), set_progress(current, total) $(pp "${T[$mode,count,true]}"), heartbeat $(pp "${T[$mode,heartbeat,true]}"); all calls in one transaction (the function alone): $(pp "${T[$mode,pct,false]}"), $(pp "${T[$mode,count,false]}"), $(pp "${T[$mode,heartbeat,false]}")"
	done
	detail "- workload 1c: PL/pgSQL procedure (progress_time.sql), $SAMPLES calls per figure, clock_timestamp() around PERFORM (and COMMIT); no client round trip, parse or plan; durable = jobtrack.live_progress off$( [ "$LIVE" = 1 ] || echo " (this build has no live path: every write is durable)")"
}

# workload_visibility: reader visibility delay (1d), latency.c's visibility mode
workload_visibility()
{
	local name="1d. Reader visibility delay, set_progress -> jobtrack.percentage() in another session, p50 / p99 (ms)"
	local target="< 1 ms p50"
	local mode info
	local -A V E
	log "workload 1d: reader visibility delay, $SAMPLES samples"
	build_latency || { failed "$name" "$target" "latency.c did not compile (see logs/gcc.log)"; return 1; }
	for mode in live durable; do
		[ "$mode" = live ] && [ "$LIVE" != 1 ] && continue
		info="dbname=bench application_name=visibility"
		[ "$mode" = durable ] && [ "$LIVE" = 1 ] && info="$info options='-c jobtrack.live_progress=off'"
		timeout "$LATENCY_LIMIT" "$TMP/latency" visibility "dbname=bench application_name=visibility" "$info" "$SAMPLES" \
			> "$TMP/visibility-$mode.out" 2>> "$LOG/visibility.err" || {
			failed "$name" "$target" "the $mode probe failed (see logs/visibility.err)"
			return 1
		}
		V[$mode]=$(grep -E '^(visible|write|poll) ' "$TMP/visibility-$mode.out" | perl "$BENCH_DIR/stats.pl" summary)
		E[$mode]="$(awk '$1 == "early" { print $2 }' "$TMP/visibility-$mode.out") early, $(awk '$1 == "missed" { print $2 }' "$TMP/visibility-$mode.out") missed"
		[ -n "$(echo "${V[$mode]}" | perl "$BENCH_DIR/stats.pl" pick visible p50)" ] || {
			failed "$name" "$target" "the $mode probe measured nothing (see logs/visibility.err)"
			return 1
		}
	done
	vp() { echo "$(fmt 3 "$(echo "$1" | perl "$BENCH_DIR/stats.pl" pick "$2" p50)") / $(fmt 3 "$(echo "$1" | perl "$BENCH_DIR/stats.pl" pick "$2" p99)")"; }
	if [ "$LIVE" = 1 ]; then
		row "$name" "$(vp "${V[live]}" visible)" "$(vp "${V[durable]}" visible) (durable)" "-" "$target" \
			"$(verdict "$(echo "${V[live]}" | perl "$BENCH_DIR/stats.pl" pick visible p50) < 1")"
	else
		row "$name" "n/a (no live path in this build)" "$(vp "${V[durable]}" visible) (durable)" "-" "$target" "n/a"
	fi
	for mode in live durable; do
		[ -n "${V[$mode]:-}" ] || continue
		detail "- workload 1d, $mode: visible p50 / p99 $(vp "${V[$mode]}" visible) ms over $(echo "${V[$mode]}" | perl "$BENCH_DIR/stats.pl" pick visible n) samples (${E[$mode]}); the writer's round trip $(vp "${V[$mode]}" write) ms; one poll of the reader $(vp "${V[$mode]}" poll) ms (the resolution)"
	done
	detail "- workload 1d: written = the writer's set_progress result arrived; seen = the first poll result of jobtrack.percentage() in a second session showing the value; delay = max(0, seen - written); a sample seen before the writer's result counts 0 (\"early\")"
}

# workload_shmem: shared memory per live slot (1e); restarts the cluster
# with jobtrack.live_slots = LIVE_SLOTS_TEST and compares with the default
workload_shmem()
{
	local name="1e. Shared memory per live slot, jobtrack.live_slots = $LIVE_SLOTS_TEST (bytes)"
	local target="<= 128 B per slot, < 13 MB"
	local slots0 a0 t0 a1 t1 per delta total
	if [ "$LIVE" != 1 ]; then
		row "$name" "n/a (no live path in this build)" "-" "-" "$target" "n/a"
		return 0
	fi
	log "workload 1e: shared memory of jobtrack.live_slots = $LIVE_SLOTS_TEST (restarts the cluster)"
	# "size of the named allocation" and "the whole segment's allocated size"
	local sizes="SELECT coalesce((SELECT sum(size) FROM pg_shmem_allocations WHERE name = 'jobtrack live progress'), -1)
		|| ' ' || (SELECT sum(allocated_size) FROM pg_shmem_allocations WHERE name IS NOT NULL)"
	slots0=$(q bench "SELECT setting FROM pg_settings WHERE name = 'jobtrack.live_slots'") || { failed "$name" "$target" "no jobtrack.live_slots"; return 1; }
	read -r a0 t0 <<< "$(q bench "$sizes")"
	q bench "ALTER SYSTEM SET jobtrack.live_slots = $LIVE_SLOTS_TEST" || { failed "$name" "$target" "ALTER SYSTEM failed"; return 1; }
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG/server.log" -m fast -w -t 60 restart > "$LOG/pg_ctl-restart.log" 2>&1 ||
		{ failed "$name" "$target" "the cluster did not restart with live_slots = $LIVE_SLOTS_TEST"; return 1; }
	read -r a1 t1 <<< "$(q bench "$sizes")"
	q bench "ALTER SYSTEM RESET jobtrack.live_slots" > /dev/null
	if [ "$(q bench "SELECT setting FROM pg_settings WHERE name = 'jobtrack.live_slots'")" != "$LIVE_SLOTS_TEST" ]; then
		failed "$name" "$target" "after the restart jobtrack.live_slots is not $LIVE_SLOTS_TEST (see logs/server.log)"
		return 1
	fi
	if [ "${a1:--1}" -lt 0 ]; then
		failed "$name" "$target" "no allocation named 'jobtrack live progress' in pg_shmem_allocations"
		return 1
	fi
	# the hash table's entries are allocated apart from its named header, so
	# the segment's growth per added slot is the figure
	per=$(calc "$a1 / $LIVE_SLOTS_TEST")
	delta=$(calc "($t1 - $t0) / ($LIVE_SLOTS_TEST - $slots0)")
	total=$(calc "$delta * $LIVE_SLOTS_TEST / 1048576")
	row "$name" "$(fmt 1 "$delta") B/slot, $(fmt 2 "$total") MB" "-" "-" "$target" \
		"$(verdict "$delta <= 128 && $total < 13")"
	detail "- workload 1e: pg_shmem_allocations 'jobtrack live progress': $a0 bytes at $slots0 slots, $a1 at $LIVE_SLOTS_TEST ($(fmt 1 "$per") B/slot); the whole segment (every named allocation, <anonymous> included) grew by $(fmt 1 "$delta") B per added slot (a hash table's entries allocated apart would show there); the verdict takes both"
}

# ---------------------------------------------------------------- workload 3

# build_latency: compiles latency.c once
build_latency()
{
	[ -x "$TMP/latency" ] && return 0
	gcc -O2 -Wall -I"$("$PG_CONFIG" --includedir)" -o "$TMP/latency" "$BENCH_DIR/latency.c" \
		-L"$("$PG_CONFIG" --libdir)" -lpq > "$LOG/gcc.log" 2>&1
}

workload_latency()
{
	local BESIDE
	BESIDE=$( [ "$LIVE" = 1 ] && echo "jobtrack, live progress" || echo "jobtrack, no live path in this build")
	local name50="3. Event latency p50 (ms), commit -> LISTEN, workload 1 ($BESIDE) beside"
	local name99="3. Event latency p99 (ms), commit -> LISTEN, workload 1 ($BESIDE) beside"
	local batches gpc seconds out summary sched0 sched1 jp50 jp99 bp50 bp99 jn missed early stats
	log "workload 3: event latency over $LATENCY_GROUPS groups, workload 1 ($BESIDE) beside"
	if ! build_latency; then
		failed "$name50" "<= 2 ms" "latency.c did not compile (see logs/gcc.log)"
		failed "$name99" "<= 10 ms" "latency.c did not compile"
		return 1
	fi
	# for scale: the same probe with nothing else running
	local idle=$(( LATENCY_GROUPS / 10 > 10 ? LATENCY_GROUPS / 10 : 10 )) isum
	if timeout "$LATENCY_LIMIT" "$TMP/latency" "dbname=bench" "$idle" 10000 > "$TMP/latency-idle.out" 2>> "$LOG/latency.err"; then
		isum=$(grep -E '^(jobtrack|baseline|wake|deliver) ' "$TMP/latency-idle.out" | perl "$BENCH_DIR/stats.pl" summary)
		row "3. Event latency p50 / p99 (ms), $idle groups, nothing beside" \
			"$(fmt 3 "$(echo "$isum" | perl "$BENCH_DIR/stats.pl" pick jobtrack p50)") / $(fmt 3 "$(echo "$isum" | perl "$BENCH_DIR/stats.pl" pick jobtrack p99)")" \
			"$(fmt 3 "$(echo "$isum" | perl "$BENCH_DIR/stats.pl" pick baseline p50)") / $(fmt 3 "$(echo "$isum" | perl "$BENCH_DIR/stats.pl" pick baseline p99)")" \
			"-" "for scale" "info"
		detail "- workload 3 with nothing beside, p50 commit returned -> pass started: $(echo "$isum" | perl "$BENCH_DIR/stats.pl" pick wake p50) ms, pass started -> notification received: $(echo "$isum" | perl "$BENCH_DIR/stats.pl" pick deliver p50) ms"
	else
		failed "3. Event latency, nothing beside" "for scale" "the probe failed (see logs/latency.err)"
	fi
	# the load beside runs until the probe is done; groups wrap around if it outruns them
	seconds=$(( LATENCY_LIMIT + 30 ))
	gpc=$(( LATENCY_GROUPS / 10 > 10 ? LATENCY_GROUPS / 10 : 10 ))
	batches=$(make_batches jobtrack $(( CLIENTS * gpc )) "w3") || { failed "$name50" "<= 2 ms" "no groups"; return 1; }
	drain_backlog > /dev/null
	q bench "CHECKPOINT" > /dev/null
	"$PGBIN/pgbench" -n -M prepared -c "$CLIENTS" -j 2 -T "$seconds" -f "$BENCH_DIR/lifecycle_jobtrack.sql" \
		-D n=0 -D gbase="${batches% *}" -D sbase="${batches#* }" -D gslots="$CLIENTS" -D gpc="$gpc" \
		-D per="$GROUP_SIZE" bench \
		> "$LOG/pgbench-w3-load.log" 2>&1 &
	BG_PID=$!
	sleep 1
	out=$TMP/latency.out
	sched0=$(worker_sched)
	timeout "$LATENCY_LIMIT" "$TMP/latency" "dbname=bench" "$LATENCY_GROUPS" 10000 > "$out" 2> "$LOG/latency.err"
	sched1=$(worker_sched)
	if ! kill -0 "$BG_PID" 2>/dev/null; then
		detail "- workload 3: the load beside (pgbench) ended before the probe did; see logs/pgbench-w3-load.log"
		FAILED=1
	fi
	kill "$BG_PID" 2>/dev/null
	wait "$BG_PID" 2>/dev/null
	BG_PID=
	wait_clients bench
	drain_backlog > /dev/null
	summary=$(grep -E '^(jobtrack|baseline|wake|deliver) ' "$out" | perl "$BENCH_DIR/stats.pl" summary)
	jn=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick jobtrack n)
	jp50=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick jobtrack p50)
	jp99=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick jobtrack p99)
	bp50=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick baseline p50)
	bp99=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick baseline p99)
	missed=$(awk '$1 == "missed" && $2 == "jobtrack" { print $3 }' "$out")
	early=$(awk '$1 == "early" && $2 == "jobtrack" { print $3 }' "$out")
	if [ -z "$jp50" ] || [ -z "$bp50" ]; then
		failed "$name50" "<= 2 ms" "the probe measured nothing (see logs/latency.err)"
		failed "$name99" "<= 10 ms" "the probe measured nothing"
		return 1
	fi
	row "$name50" "$(fmt 3 "$jp50")" "$(fmt 3 "$bp50")" "-" "<= 2 ms" "$(verdict "$jp50 <= 2")"
	row "$name99" "$(fmt 3 "$jp99")" "$(fmt 3 "$bp99")" "-" "<= 10 ms" "$(verdict "$jp99 <= 10")"
	stats=$(q bench "SELECT round(latency_p50_ms::numeric, 3) || ' / ' || round(latency_p99_ms::numeric, 3) || ' / ' || round(latency_max_ms::numeric, 3) FROM jobtrack.stats")
	detail "- workload 3: $jn of $LATENCY_GROUPS groups timed (${missed:-?} missed after 10 s, ${early:-?} notified before the writer read its commit); max $(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick jobtrack max) ms; baseline = the finishing transaction checks its group and sends NOTIFY itself"
	detail "- workload 3, where the time goes (wall clock, p50 / p99): writer's commit returned -> evaluator pass started (the payload's \"at\"): $(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick wake p50) / $(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick wake p99) ms; pass started -> notification received: $(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick deliver p50) / $(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick deliver p99) ms"
	if [ -n "$sched0" ] && [ -n "$sched1" ]; then
		detail "- workload 3: $(awk -v a="$sched0" -v b="$sched1" 'BEGIN { split(a, x, " "); split(b, y, " "); n = y[3] - x[3]; if (n < 1) n = 1;
			printf "while the probe ran, the worker made %d passes, each using %.3f ms of CPU and waiting %.3f ms on the run queue (/proc/PID/schedstat)", n, (y[1] - x[1]) / n / 1e6, (y[2] - x[2]) / n / 1e6 }')"
	fi
	detail "- workload 3: jobtrack.stats change-to-event latency of the worker's last events p50 / p99 / max: $stats ms"
	[ "$jn" = "$LATENCY_GROUPS" ] || { detail "- workload 3: only $jn of $LATENCY_GROUPS groups were timed"; [ "$SMOKE" = 1 ] && FAILED=1; }
	return 0
}

# ---------------------------------------------------------------- loading 1,000,000 jobs

load_scale()
{
	local batch=200000 from to start
	log "loading $JOBS jobs in $SCALE_GROUPS groups into database bench_scale (no worker there)"
	q postgres "CREATE DATABASE bench_scale" || return 1
	q bench_scale "CREATE EXTENSION jobtrack" || return 1
	[ "$(q bench_scale "SELECT min(id) = 1 AND max(id) = $SCALE_GROUPS FROM (SELECT jobtrack.create_group('g' || i) AS id FROM generate_series(1, $SCALE_GROUPS) i) g")" = t ] || return 1
	start=$(date +%s)
	for (( from = 1; from <= JOBS; from += batch )); do
		to=$(( from + batch - 1 < JOBS ? from + batch - 1 : JOBS ))
		# 100 jobs per group, in a row; of each group's 100: 60 succeeded,
		# 5 failed, 5 cancelled, 10 started and 20 queued, so every group stays
		# open.  Job types Type1..Type99 have 1% of the jobs each, Rare0.. 100
		# jobs each; every alias and every customer tag has 100 jobs.
		q bench_scale "
			INSERT INTO jobtrack.job_status (job_type, alias, group_id, tags, status, percentage)
			SELECT CASE WHEN i % 100 = 0 THEN 'Rare' || (i / 100 % $(( SCALE_GROUPS / 100 ))) ELSE 'Type' || (i % 100) END,
				   'alias-' || (i % $SCALE_GROUPS), (i - 1) / 100 + 1,
				   jsonb_build_object('customer', 'c' || (i % $SCALE_GROUPS), 'batch', (i % 1000) * 7919 % 1000),
				   s::jobtrack.status, CASE WHEN s = 'succeeded' THEN 100 ELSE 0 END
			  FROM (SELECT i, CASE WHEN (i - 1) % 100 < 60 THEN 'succeeded'
								   WHEN (i - 1) % 100 < 65 THEN 'failed'
								   WHEN (i - 1) % 100 < 70 THEN 'cancelled'
								   WHEN (i - 1) % 100 < 80 THEN 'started'
								   ELSE 'queued' END AS s
					  FROM generate_series($from, $to) i) j" || return 1
	done
	detail "- load: $JOBS jobs in $(( $(date +%s) - start )) s through the job_status_guard trigger"
	start=$(date +%s%N)
	# the trigger recorded one group_change row per job: drain them all
	while [ "$(q bench_scale "SELECT EXISTS (SELECT FROM jobtrack.group_change)")" = t ]; do
		q bench_scale "SELECT jobtrack.check_groups()" > /dev/null || return 1
	done
	detail "- load: first check_groups() drained $JOBS changes into $SCALE_GROUPS groups in $(( ($(date +%s%N) - start) / 1000000 )) ms"
	[ "$(q bench_scale "SELECT count(*) = $SCALE_GROUPS FROM jobtrack.job_group WHERE status = 'running'")" = t ] || {
		echo "run.sh: after the load not every group is running" >&2
		return 1
	}
}

# ---------------------------------------------------------------- workload 4

# DUE_NOW_SQL: a psql line that sets :due to how many groups are due now
DUE_NOW_SQL="SELECT count(*) AS due FROM jobtrack.job_group WHERE status <> 'completed' AND next_check_at <= clock_timestamp() \\gset"

# check_passes LABEL_PREFIX: psql lines timing CHECK_RUNS passes with
# nothing changed and CHECK_RUNS after 100 groups changed, PASS_GAP seconds
# apart, so that groups fall due on schedule between them as they would
# for the worker; before each pass, "due N" says how many groups are due
check_passes()
{
	local prefix=$1 i a
	for (( i = 0; i < CHECK_RUNS; i++ )); do
		echo "SELECT pg_sleep($PASS_GAP);"
		echo "$DUE_NOW_SQL"
		echo '\echo due-idle :due'
		echo "\\echo @${prefix}idle"
		echo 'SELECT jobtrack.check_groups();'
	done
	for (( i = 0; i < CHECK_RUNS; i++ )); do
		a=$(( (i * 100) % (SCALE_GROUPS - 99) + 1 ))
		echo "SELECT pg_sleep($PASS_GAP);"
		echo '\echo @setup'
		echo "UPDATE jobtrack.job_status SET status = 'started' WHERE id IN (SELECT DISTINCT ON (group_id) id FROM jobtrack.job_status WHERE group_id BETWEEN $a AND $(( a + 99 )) AND status = 'queued' ORDER BY group_id, id);"
		echo "$DUE_NOW_SQL"
		echo '\echo due-changed :due'
		echo "\\echo @${prefix}changed"
		echo 'SELECT jobtrack.check_groups();'
	done
}

# due_median KIND < psql output: the median of the "due-KIND N" lines
due_median() { perl "$BENCH_DIR/stats.pl" median $(awk -v k="due-$1" '$1 == k { print $2 }'); }

workload_check_cost()
{
	local name0="4. check_groups() pass, nothing changed, groups due on schedule (ms), $SCALE_GROUPS open groups, $JOBS jobs"
	local name100="4. check_groups() pass after 100 groups changed (ms)"
	local script=$TMP/check.sql out summary first naive p0 p100 pq pb i started0 started1 burst
	log "workload 4: check cost, groups with the default time_to_check"
	# a pass right after draining: group_change still holds the drained rows' dead tuples
	first=$(printf '\\timing on\n\\echo @first\nSELECT jobtrack.check_groups();\n' |
		"$PGBIN/psql" -X -q -d bench_scale | perl "$BENCH_DIR/stats.pl" times | awk '{ print $2 }')
	# the load created every group at once; groups created over time fall
	# due spread over their time_to_check (the default, 1 minute)
	q bench_scale "UPDATE jobtrack.job_group SET next_check_at = now() + (id % 600) * time_to_check / 600" > /dev/null || return 1
	q bench_scale "VACUUM ANALYZE jobtrack.group_change, jobtrack.group_count, jobtrack.job_group, jobtrack.job_status" || return 1
	started0=$(q bench_scale "SELECT count(*) FROM jobtrack.job_status WHERE status = 'started'")
	burst=$(( SCALE_GROUPS < DUE_CAP ? SCALE_GROUPS : DUE_CAP ))
	{
		echo '\o /dev/null'
		echo '\timing on'
		# back to back: next to nothing is due
		for (( i = 0; i < CHECK_RUNS; i++ )); do
			echo '\echo @quiet'
			echo 'SELECT jobtrack.check_groups();'
		done
		check_passes ""
		# a burst: as many groups due at once as one pass takes (groups
		# created together fall due together)
		for (( i = 0; i < (CHECK_RUNS + 3) / 4; i++ )); do
			echo '\echo @setup'
			echo "UPDATE jobtrack.job_group SET next_check_at = now() - interval '1 second' WHERE id IN (SELECT id FROM jobtrack.job_group WHERE status <> 'completed' ORDER BY id OFFSET $(( (i * burst) % SCALE_GROUPS )) LIMIT $burst);"
			echo '\echo @burst'
			echo 'SELECT jobtrack.check_groups();'
		done
		for (( i = 0; i < COUNT_RUNS; i++ )); do
			echo '\echo @naive'
			echo "SELECT count(*) FROM (SELECT group_id, count(*) AS total,
				count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')) AS finished
				FROM jobtrack.job_status WHERE group_id IS NOT NULL GROUP BY group_id) g WHERE finished = total;"
		done
	} > "$script"
	out=$("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d bench_scale -f "$script" 2> "$LOG/check.err") &&
		summary=$(echo "$out" | perl "$BENCH_DIR/stats.pl" times | perl "$BENCH_DIR/stats.pl" summary) || {
		failed "$name0" "< 5 ms" "the check script failed (see logs/check.err)"
		failed "$name100" "< 50 ms" "the check script failed"
		return 1
	}
	started1=$(q bench_scale "SELECT count(*) FROM jobtrack.job_status WHERE status = 'started'")
	p0=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick idle p50)
	p100=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick changed p50)
	pq=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick quiet p50)
	pb=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick burst p50)
	naive=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick naive p50)
	if [ "$(( started1 - started0 ))" != "$(( CHECK_RUNS * 100 ))" ]; then
		failed "$name100" "< 50 ms" "the rounds started $(( started1 - started0 )) jobs, not $(( CHECK_RUNS * 100 ))"
	fi
	[ -n "$p0" ] && row "$name0 (${PASS_GAP}s apart: ~$(echo "$out" | due_median idle) due)" "$(fmt 3 "$p0")" "$(fmt 3 "$naive")" "$(ratio "$p0" "$naive")" "< 5 ms" "$(verdict "$p0 < 5")"
	[ -n "$p100" ] && [ "$(( started1 - started0 ))" = "$(( CHECK_RUNS * 100 ))" ] &&
		row "$name100 (and ~$(echo "$out" | due_median changed) due)" "$(fmt 3 "$p100")" "$(fmt 3 "$naive")" "$(ratio "$p100" "$naive")" "< 50 ms" "$(verdict "$p100 < 50")"
	[ -n "$pb" ] && row "4. check_groups() pass, $burst groups due at once (one worker pass's cap), nothing changed (ms)" "$(fmt 3 "$pb")" "$(fmt 3 "$naive")" "$(ratio "$pb" "$naive")" "report" "info"
	detail "- workload 4: baseline = the naive check, one GROUP BY over all jobs (median of $COUNT_RUNS); jobtrack = median of $CHECK_RUNS passes, ${PASS_GAP}s apart; groups have the default time_to_check (1 minute), their next checks spread over it, so groups fall due on schedule between passes (the worker itself wakes when the next group is due); back to back, with next to nothing due, a pass took $(fmt 3 "$pq") ms (p50)"
	detail "- workload 4: the first pass after draining $JOBS changes, before VACUUM of jobtrack.group_change, took $(fmt 3 "$first") ms"
}

# workload_bulk_change: one UPDATE of every job of bench_scale, the
# drain (check_groups() passes until no change is left, as the worker
# does), then the first passes after it, without VACUUM (autovacuum as usual)
workload_bulk_change()
{
	local name="4. After a bulk change of all $JOBS jobs (one UPDATE)"
	local script=$TMP/bulk.sql out summary rewritten changes t0 upd_ms drain_ms passes first p0 p100 started0 started1 dead i
	log "workload 4, bulk: one UPDATE of all $JOBS jobs, drain, then the first passes"
	t0=$(date +%s%N)
	# every job is rewritten; every one whose status may move moves: queued
	# -> started, started -> succeeded, failed and cancelled -> queued (a
	# retry); succeeded jobs cannot move and stay (a new row version still)
	rewritten=$(q bench_scale "WITH u AS (UPDATE jobtrack.job_status SET status = CASE status
			WHEN 'queued' THEN 'started' WHEN 'started' THEN 'succeeded'
			WHEN 'failed' THEN 'queued' WHEN 'cancelled' THEN 'queued' ELSE status END::jobtrack.status
			RETURNING 1) SELECT count(*) FROM u") || { failed "$name: the UPDATE" "runs" "the bulk UPDATE failed"; return 1; }
	upd_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	changes=$(q bench_scale "SELECT count(*) FROM jobtrack.group_change")
	started0=$(q bench_scale "SELECT count(*) FROM jobtrack.job_status WHERE status = 'started'")
	{
		echo '\o /dev/null'
		echo '\timing on'
		# the drain, in the session that then runs the timed passes, as the
		# worker would: its statements are planned by then (a new session
		# plans them at its first pass, some milliseconds the worker never pays)
		for (( i = 0; i < 20; i++ )); do
			echo 'SELECT EXISTS (SELECT FROM jobtrack.group_change) AS more \gset'
			echo '\if :more'
			echo '\echo @drain'
			echo 'SELECT jobtrack.check_groups();'
			echo '\endif'
		done
		echo 'SELECT EXISTS (SELECT FROM jobtrack.group_change) AS more \gset'
		echo '\echo drained-all :more'
		# groups that fell due while the UPDATE and the drain ran wait for this pass
		echo "$DUE_NOW_SQL"
		echo '\echo due-first :due'
		echo '\echo @bulk-first'
		echo 'SELECT jobtrack.check_groups();'
		check_passes bulk-
	} > "$script"
	out=$("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d bench_scale -f "$script" 2> "$LOG/bulk.err") &&
		summary=$(echo "$out" | perl "$BENCH_DIR/stats.pl" times | perl "$BENCH_DIR/stats.pl" summary) || {
		failed "$name: passes" "< 5 ms" "the check script failed (see logs/bulk.err)"
		return 1
	}
	started1=$(q bench_scale "SELECT count(*) FROM jobtrack.job_status WHERE status = 'started'")
	passes=$(echo "$out" | perl "$BENCH_DIR/stats.pl" times | awk '$1 == "drain" { n++ } END { print n + 0 }')
	drain_ms=$(echo "$out" | perl "$BENCH_DIR/stats.pl" times | awk '$1 == "drain" { s += $2 } END { printf "%d", s }')
	if ! echo "$out" | grep -q '^drained-all f$'; then
		failed "$name: drain" "runs" "20 passes did not drain the change log"
		return 1
	fi
	first=$(echo "$out" | perl "$BENCH_DIR/stats.pl" times | awk '$1 == "bulk-first" { print $2; exit }')
	p0=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick bulk-idle p50)
	p100=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick bulk-changed p50)
	row "$name: first check_groups() after the drain, nothing changed, checking all $(echo "$out" | due_median first) groups due (the worker takes $DUE_CAP a pass) (ms)" "$(fmt 3 "$first")" "-" "-" "< 5 ms" "$(verdict "$first < 5")"
	row "$name: then passes ${PASS_GAP}s apart, nothing changed, ~$(echo "$out" | due_median idle) due (ms)" "$(fmt 3 "$p0")" "-" "-" "< 5 ms" "$(verdict "$p0 < 5")"
	if [ "$(( started1 - started0 ))" = "$(( CHECK_RUNS * 100 ))" ]; then
		row "$name: then passes after 100 groups changed (ms)" "$(fmt 3 "$p100")" "-" "-" "< 50 ms" "$(verdict "$p100 < 50")"
	else
		failed "$name: passes after 100 groups changed" "< 50 ms" "the rounds started $(( started1 - started0 )) jobs, not $(( CHECK_RUNS * 100 ))"
	fi
	dead=$(q bench_scale "SELECT string_agg(relname || ' ' || n_dead_tup || ' dead rows' || coalesce(', autovacuumed ' || to_char(last_autovacuum, 'HH24:MI:SS'), ', not autovacuumed'), '; ' ORDER BY relname)
		FROM pg_stat_user_tables WHERE schemaname = 'jobtrack' AND relname IN ('group_change', 'job_group', 'group_count', 'job_status')")
	detail "- workload 4, bulk: the UPDATE rewrote $rewritten jobs in $upd_ms ms and recorded $changes status changes (queued -> started, started -> succeeded, failed/cancelled -> queued; succeeded jobs cannot move); $passes check_groups() passes drained them in $drain_ms ms; then passes as above, no VACUUM; at the end: $dead"
}

# ---------------------------------------------------------------- workload 5 and parallel aggregates

# read_pair RUN LABEL JOBTRACK_SQL BASELINE_SQL: psql lines timing both
# queries once, after an untimed run that brings their pages into the
# cache; which side goes first alternates with the run
read_pair()
{
	echo "\\echo @warm-$2"
	echo "$4"
	if [ $(( $1 % 2 )) = 0 ]; then
		echo "\\echo @$2-jt"; echo "$3"; echo "\\echo @$2-base"; echo "$4"
	else
		echo "\\echo @$2-base"; echo "$4"; echo "\\echo @$2-jt"; echo "$3"
	fi
}

workload_reads()
{
	local script=$TMP/reads.sql summary i k t b st g label j what
	local -a scopes=(for_job for_job_alias where_tag_eq where_tag_lt where_status where_not_status in_group for_job_limit)
	local -a statuses=(started queued failed)
	log "workload 5: reads at $JOBS jobs"
	{
		echo '\o /dev/null'
		# LIMIT 100 over a seq scan must start at the table's first page for
		# both sides, not where the other side's scan stopped
		echo 'SET synchronize_seqscans = off;'
		echo '\timing on'
		for (( i = 1; i <= READ_RUNS; i++ )); do
			k=$(( (i * 37) % SCALE_GROUPS ))
			t=$(( (i * 7) % 99 + 1 ))
			b=$(( 50 + i % 100 ))
			st=${statuses[$(( i % 3 ))]}
			g=$(( (i * 53) % SCALE_GROUPS + 1 ))
			read_pair "$i" for_job "SELECT * FROM jobtrack.for_job('Rare$(( i % (SCALE_GROUPS / 100) ))');" \
				"SELECT * FROM jobtrack.job_status WHERE job_type = 'Rare$(( i % (SCALE_GROUPS / 100) ))';"
			read_pair "$i" for_job_limit "SELECT * FROM jobtrack.for_job('Type$t') LIMIT 100;" \
				"SELECT * FROM jobtrack.job_status WHERE job_type = 'Type$t' LIMIT 100;"
			read_pair "$i" for_job_alias "SELECT * FROM jobtrack.for_job_alias('alias-$k');" \
				"SELECT * FROM jobtrack.job_status WHERE alias = 'alias-$k';"
			# the tag index holds tagged jobs only; a query by hand states that to use it
			read_pair "$i" where_tag_eq "SELECT * FROM jobtrack.where_tag('customer', '=', 'c$k');" \
				"SELECT * FROM jobtrack.job_status WHERE tags <> '{}' AND tags @> '{\"customer\": \"c$k\"}';"
			read_pair "$i" where_tag_lt "SELECT * FROM jobtrack.where_tag('batch', '<', '$b') LIMIT 100;" \
				"SELECT * FROM jobtrack.job_status WHERE tags ? 'batch' AND (tags ->> 'batch')::numeric < $b LIMIT 100;"
			read_pair "$i" where_status "SELECT * FROM jobtrack.where_status('$st') LIMIT 100;" \
				"SELECT * FROM jobtrack.job_status WHERE status = '$st' LIMIT 100;"
			read_pair "$i" where_not_status "SELECT * FROM jobtrack.where_not_status('succeeded') LIMIT 100;" \
				"SELECT * FROM jobtrack.job_status WHERE status <> 'succeeded' LIMIT 100;"
			read_pair "$i" in_group "SELECT * FROM jobtrack.in_group($g);" \
				"SELECT * FROM jobtrack.job_status WHERE group_id = $g;"
		done
		echo 'RESET synchronize_seqscans;'
		for (( i = 1; i <= COUNT_RUNS; i++ )); do
			read_pair "$i" count "SELECT jobtrack.count_finished(status) FROM jobtrack.job_status;" \
				"SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')) FROM jobtrack.job_status;"
		done
	} > "$script"
	summary=$("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d bench_scale -f "$script" 2> "$LOG/reads.err" |
		perl "$BENCH_DIR/stats.pl" times | grep -v '^warm-' | perl "$BENCH_DIR/stats.pl" summary) || {
		failed "5. Reads" "< 1 ms p50" "the read script failed (see logs/reads.err)"
		return 1
	}
	for label in "${scopes[@]}"; do
		j=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick "$label-jt" p50)
		b=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick "$label-base" p50)
		case $label in
			for_job) what="for_job, a type of 100 jobs" ;;
			for_job_limit) what="for_job LIMIT 100, a type of 1% of the jobs" ;;
			where_tag_eq) what="where_tag =, 100 jobs" ;;
			where_tag_lt) what="where_tag < LIMIT 100, 10% match" ;;
			where_status) what="where_status LIMIT 100" ;;
			where_not_status) what="where_not_status LIMIT 100" ;;
			*) what="$label, 100 jobs" ;;
		esac
		if [ -z "$j" ] || [ -z "$b" ]; then
			failed "5. Read $what, p50 (ms)" "< 1 ms p50" "no timing"
		elif [ "$label" = for_job_limit ]; then
			row "5. Read $what, p50 (ms)" "$(fmt 3 "$j")" "$(fmt 3 "$b")" "$(ratio "$j" "$b")" "for scale" "info"
		else
			row "5. Read $what, p50 (ms)" "$(fmt 3 "$j")" "$(fmt 3 "$b")" "$(ratio "$j" "$b")" "< 1 ms p50" "$(verdict "$j < 1")"
		fi
	done
	j=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick count-jt p50)
	b=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick count-base p50)
	if [ -z "$j" ] || [ -z "$b" ]; then
		failed "5. count_finished over all jobs (ms)" "<= 1.2x" "no timing"
	else
		row "5. count_finished over all $JOBS jobs, p50 (ms)" "$(fmt 3 "$j")" "$(fmt 3 "$b")" "$(ratio "$j" "$b")" "<= 1.2x count(*) FILTER" "$(verdict "$j <= 1.2 * $b")"
	fi
	detail "- workload 5: psql \\timing (client round trip, parse and plan included), median of $READ_RUNS runs per scope with varying arguments, each after an untimed run of the same query (cache warm), sides in alternating order; baseline = the same query written by hand against jobtrack.job_status (same rows, same pages); synchronize_seqscans off; count: median of $COUNT_RUNS, default parallel settings"
	for what in "for_job('Type7') LIMIT 100" "where_tag('customer', '=', 'c42')" "where_tag('batch', '<', '100') LIMIT 100"; do
		detail "- workload 5: $what: $(q bench_scale "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM jobtrack.$what" | tr '\n' ' ' | sed 's/  */ /g')"
	done
}

parallel_aggregates()
{
	local name="5b. count_* with parallel query forced: equal to serial and count(*) FILTER"
	local query serial parallel plan analyzed ok pairs
	log "workload 5b: parallel aggregates"
	query="SELECT jobtrack.count_finished(status), count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')),
		jobtrack.count_successful(status), count(*) FILTER (WHERE status = 'succeeded'),
		jobtrack.count_failed(status), count(*) FILTER (WHERE status = 'failed'),
		jobtrack.count_cancelled(status), count(*) FILTER (WHERE status = 'cancelled'),
		jobtrack.count_running(status), count(*) FILTER (WHERE status = 'started'),
		jobtrack.count_queued(status), count(*) FILTER (WHERE status IN ('queued', 'delayed')),
		jobtrack.count_not_finished(status), count(*) FILTER (WHERE status NOT IN ('succeeded', 'failed', 'cancelled'))
		FROM jobtrack.job_status"
	local force="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;"
	serial=$(q bench_scale "SET max_parallel_workers_per_gather = 0; $query") || { failed "$name" "all equal, Partial Aggregate" "the serial query failed"; return 1; }
	parallel=$(q bench_scale "$force $query") || { failed "$name" "all equal, Partial Aggregate" "the parallel query failed"; return 1; }
	plan=$(q bench_scale "$force EXPLAIN (COSTS OFF) $query")
	analyzed=$(q bench_scale "$force EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) $query")
	# every count_* equals the count(*) FILTER beside it
	pairs=$(echo "$parallel" | awk -F'|' '{ n = 0; for (i = 1; i < NF; i += 2) if ($i == $(i + 1)) n++; print n }')
	ok=met
	[ "$serial" = "$parallel" ] || ok="not met"
	[ "$pairs" = 7 ] || ok="not met"
	echo "$plan" | grep -q "Partial Aggregate" || ok="not met"
	echo "$analyzed" | grep -q "Workers Launched: [1-9]" || ok="not met"
	row "$name" "$pairs/7 equal to FILTER; serial $( [ "$serial" = "$parallel" ] && echo "=" || echo "!=" ) parallel" \
		"$(echo "$parallel" | cut -d'|' -f1) finished" "-" \
		"all equal, Partial Aggregate" "$ok"
	detail "- parallel aggregates: plan $(echo "$plan" | tr '\n' ' ' | sed 's/  */ /g'); $(echo "$analyzed" | grep -o 'Workers Launched: [0-9]*' | head -1)"
	detail "- parallel aggregates: serial: $serial; parallel: $parallel"
}

# ---------------------------------------------------------------- report

write_report()
{
	local md=$RESULTS_DIR/latest.md SORTED=$TMP/results-sorted.tsv
	# rows in the order of their workload (1, 1b, 1c, ... 5b), each
	# workload's rows in the order they were measured
	awk -F'\t' '{ split($1, a, "."); print a[1] "\t" $0 }' "$RESULTS" | LC_ALL=C sort -s -t $'\t' -k1,1 | cut -f2- > "$SORTED"
	{
		echo "# jobtrack benchmark"
		echo
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $("$PGBIN/postgres" --version)," \
			"jobtrack $(q bench "SELECT extversion FROM pg_extension WHERE extname = 'jobtrack'" 2>/dev/null)" \
			"($(cd "$BENCH_DIR" && git rev-parse --short HEAD 2>/dev/null || echo "no git"))$( [ "$SMOKE" = 1 ] && echo ", SMOKE RUN (tiny sizes, numbers mean nothing)")"
		echo
		echo "Cluster: fsync on, synchronous_commit on, shared_buffers 256MB, max_wal_size 4GB," \
			"jobtrack preloaded with its worker in database bench (instant events on," \
			"check_interval 60s)$( [ "${BENCH_PGSS:-0}" = 1 ] && echo ", pg_stat_statements loaded")."
		echo "Live progress path (jobtrack.live_progress): $( [ "$LIVE" = 1 ] && echo "present; live rows measure it, \"live_progress off\" rows the durable path" || echo "not in this build; live rows are n/a, the jobtrack rows are the durable path")."
		echo "Workload 1: pgbench -M ${PROTOCOLS// /, -M }, $ROUNDS round(s) of ${DURATION}s per side and protocol," \
			"the order of the sides rotated each round, median taken; baseline = plain SQL by hand on bench_base.job_plain." \
			"Workload 2: -M prepared, ${HOT_DURATION}s rounds. Workloads 4-5: $JOBS jobs in $SCALE_GROUPS groups," \
			"database bench_scale (no worker; check_groups() called as the worker would)."
		echo "Load average of the machine (1/5/15 min) before the run: $LOADAVG_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
		echo "ratio = jobtrack / baseline (workload 1: the median of the per-round ratios)."
		echo
		perl "$BENCH_DIR/stats.pl" markdown "$SORTED"
		echo
		echo "## Details"
		echo
		cat "$DETAILS"
	} > "$md"
	echo
	perl "$BENCH_DIR/stats.pl" table "$SORTED"
	echo
	echo "Markdown: $md ($(( $(date +%s) - STARTED_AT )) s)"
}

# pgss_report: per-statement totals, when pg_stat_statements is loaded
pgss_report()
{
	[ "${BENCH_PGSS:-0}" = 1 ] || return 0
	{
		echo "# pg_stat_statements, database bench, after workload 1 (every side and protocol, all rounds)"
		echo
		echo "| calls | total ms | mean ms | rows | shared blks hit | statement |"
		echo "|---:|---:|---:|---:|---:|---|"
		"$PGBIN/psql" -X -q -A -t -F $'\t' -d bench -c "
			SELECT calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 4), rows,
				   shared_blks_hit, regexp_replace(left(query, 140), '\s+', ' ', 'g')
			  FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'bench')
			 ORDER BY total_exec_time DESC LIMIT 40" |
			awk -F'\t' '{ gsub(/\|/, "\\|", $6); printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }'
	} > "$RESULTS_DIR/pg_stat_statements.md"
}

# ---------------------------------------------------------------- main

log "cluster in $TMP, port $PORT$( [ "$SMOKE" = 1 ] && echo ", smoke run")"
if ! start_cluster; then
	echo "run.sh: could not start the benchmark cluster; server log:" >&2
	tail -20 "$LOG/server.log" >&2 2>/dev/null
	exit 1
fi

workload_lifecycle
pgss_report
perf_rounds
workload_progress_time
workload_visibility
workload_hot_group
workload_latency
if load_scale; then
	workload_check_cost
	workload_reads
	parallel_aggregates
	workload_bulk_change
else
	for w in "4. check_groups() cost" "5. Reads" "5b. Parallel aggregates" "4. After a bulk change"; do
		failed "$w" "-" "loading $JOBS jobs failed"
	done
fi
# last: it restarts the cluster with another jobtrack.live_slots
workload_shmem

write_report
if [ "$FAILED" != 0 ]; then
	echo "run.sh: some workloads did not run (see above and $RESULTS_DIR/logs)" >&2
	exit 1
fi
exit 0
