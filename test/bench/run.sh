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
#   BENCH_SMOKE=1      tiny sizes, under a minute: checks that every workload runs
#   BENCH_PORT         port of the throwaway cluster (5603)
#   BENCH_DURATION     seconds per timed pgbench round (20; smoke 2)
#   BENCH_ROUNDS       rounds of workloads 1 and 2, alternating the sides (3; smoke 1)
#   BENCH_JOBS         jobs loaded for workloads 4 and 5 (1000000; smoke 10000)
#   BENCH_LATENCY_GROUPS  groups timed by workload 3 (1000; smoke 10)
#   BENCH_PGSS=1       also preload pg_stat_statements and write per-statement
#                      totals of workload 1 to results/pg_stat_statements.md
#                      (diagnosis only: it slows both sides)
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
	READ_RUNS=3
	CHECK_RUNS=3
	COUNT_RUNS=3
	LATENCY_LIMIT=20
else
	DURATION=${BENCH_DURATION:-20}
	ROUNDS=${BENCH_ROUNDS:-3}
	JOBS=${BENCH_JOBS:-1000000}
	LATENCY_GROUPS=${BENCH_LATENCY_GROUPS:-1000}
	READ_RUNS=50
	CHECK_RUNS=20
	COUNT_RUNS=7
	LATENCY_LIMIT=240
fi
CLIENTS=8					# workload 1
HOT_CLIENTS=32				# workload 2
# 32 clients need a moment to connect: never less than 2 s
HOT_DURATION=$(( DURATION / 2 > 2 ? DURATION / 2 : 2 ))
MX_DURATION=$(( DURATION / 4 > 2 ? DURATION / 4 : 2 ))
GROUP_SIZE=100
GROUPS_PER_CLIENT=$(( DURATION * 4 + 2 ))	# room for 400 lifecycles/s per client
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
rm -rf "$RESULTS_DIR/logs" "$RESULTS_DIR/pg_stat_statements.md"
chown postgres:postgres "$SOCK" "$LOG"
RESULTS=$TMP/results.tsv
DETAILS=$TMP/details.md
: > "$RESULTS"
: > "$DETAILS"
FAILED=0
BG_PID=
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

# pgbench_tps NAME DB SCRIPT CLIENTS SECONDS [pgbench options]: prints the tps
pgbench_tps()
{
	local name=$1 db=$2 script=$3 clients=$4 seconds=$5
	shift 5
	if ! "$PGBIN/pgbench" -n -M prepared -c "$clients" -j 2 -T "$seconds" \
		-f "$BENCH_DIR/$script" "$@" "$db" > "$LOG/pgbench-$name.log" 2>&1; then
		echo "run.sh: pgbench $name failed, see $RESULTS_DIR/logs/pgbench-$name.log" >&2
		tail -5 "$LOG/pgbench-$name.log" >&2
		return 1
	fi
	# a run in which no transaction completed did not measure anything
	if ! awk '/^tps = / && $3 > 0 { print $3; found = 1; exit } END { exit !found }' "$LOG/pgbench-$name.log"; then
		echo "run.sh: pgbench $name completed no transaction, see $RESULTS_DIR/logs/pgbench-$name.log" >&2
		return 1
	fi
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

# make_batches SIDE COUNT TAG: prepares COUNT groups for the lifecycle
# scripts, each with its queued batch job (see lifecycle_jobtrack.sql), and
# prints "gbase sbase": the first group id and the first batch job id.  The
# baseline's groups are only numbers, its batch jobs rows of bench_base.
make_batches()
{
	local side=$1 count=$2 tag=$3 gbase sbase
	if [ "$side" = jobtrack ]; then
		gbase=$(make_groups bench "$count" "$tag") || return 1
		[ -n "$gbase" ] || return 1
		sbase=$(q bench "SELECT CASE WHEN bool_and(j - first = g - $gbase) THEN min(first) END
			FROM (SELECT g, j, min(j) OVER () AS first
					FROM (SELECT g, jobtrack.create_job('BenchBatch', group_id => g) AS j
							FROM generate_series($gbase, $gbase + $count - 1) g) x) y") || return 1
	else
		gbase=$(q bench "SELECT coalesce(max(group_id), 0) + 1 FROM bench_base.job_status") || return 1
		sbase=$(q bench "WITH ins AS (INSERT INTO bench_base.job_status (job_type, group_id)
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
		jobtrack.database = 'bench'
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

# lifecycle_round SIDE ROUND: one timed round of workload 1; prints the tps
lifecycle_round()
{
	local side=$1 r=$2 batches tps backlog cpu0 cpu1
	batches=$(make_batches "$side" $(( CLIENTS * GROUPS_PER_CLIENT )) "w1-$r") || return 1
	drain_backlog > /dev/null || return 1
	q bench "CHECKPOINT" || return 1
	cpu0=$(worker_cpu)
	tps=$(pgbench_tps "w1-$side-$r" bench "lifecycle_$side.sql" "$CLIENTS" "$DURATION" \
		-D n=0 -D gbase="${batches% *}" -D sbase="${batches#* }" -D gslots="$CLIENTS" \
		-D gpc="$GROUPS_PER_CLIENT" -D per="$GROUP_SIZE") || return 1
	cpu1=$(worker_cpu)
	wait_clients bench
	if [ "$side" = jobtrack ]; then
		# evaluate every change before the next round, so no side pays for the other
		backlog=$(drain_backlog) || return 1
		detail "- workload 1, round $r, jobtrack: $(fmt 1 "$tps") lifecycles/s; the worker used $(fmt 0 "$(calc "100 * (${cpu1:-0} - ${cpu0:-0}) / $(getconf CLK_TCK) / $DURATION")") % of one core; its backlog at the end: ${backlog% *} changes, drained in ${backlog#* } ms"
	else
		detail "- workload 1, round $r, baseline: $(fmt 1 "$tps") lifecycles/s"
	fi
	echo "$tps"
}

workload_lifecycle()
{
	local name="1. Lifecycle throughput, $CLIENTS clients (lifecycles/s)"
	local target=">= 0.8x baseline"
	local r side tps jt=() base=() mj mb order stats0 stats1
	log "workload 1: lifecycle throughput, $ROUNDS round(s) of ${DURATION}s per side"
	stats0=$(q bench "SELECT checks || ' ' || wakeups || ' ' || events FROM jobtrack.stats")
	for (( r = 1; r <= ROUNDS; r++ )); do
		order="jobtrack baseline"
		[ $(( r % 2 )) = 0 ] && order="baseline jobtrack"
		for side in $order; do
			tps=$(lifecycle_round "$side" "$r") || { failed "$name" "$target" "round $r of the $side side did not run"; return 1; }
			log "  round $r $side: $tps lifecycles/s"
			if [ "$side" = jobtrack ]; then jt+=("$tps"); else base+=("$tps"); fi
		done
	done
	mj=$(perl "$BENCH_DIR/stats.pl" median "${jt[@]}")
	mb=$(perl "$BENCH_DIR/stats.pl" median "${base[@]}")
	row "$name" "$(fmt 1 "$mj")" "$(fmt 1 "$mb")" "$(ratio "$mj" "$mb")" "$target" \
		"$(verdict "$mj >= 0.8 * $mb")"
	stats1=$(q bench "SELECT checks || ' ' || wakeups || ' ' || events FROM jobtrack.stats")
	detail "- workload 1: median of $ROUNDS rounds; statements per second: jobtrack $(fmt 0 "$(calc "$mj * 6")"), baseline $(fmt 0 "$(calc "$mb * 6")")"
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

# ---------------------------------------------------------------- workload 3

workload_latency()
{
	local name50="3. Event latency p50 (ms), commit -> LISTEN, workload 1 beside"
	local name99="3. Event latency p99 (ms), commit -> LISTEN, workload 1 beside"
	local batches gpc seconds out summary sched0 sched1 jp50 jp99 bp50 bp99 jn missed early stats
	log "workload 3: event latency over $LATENCY_GROUPS groups, workload 1 (jobtrack) beside"
	if ! gcc -O2 -Wall -I"$("$PG_CONFIG" --includedir)" -o "$TMP/latency" "$BENCH_DIR/latency.c" \
		-L"$("$PG_CONFIG" --libdir)" -lpq > "$LOG/gcc.log" 2>&1; then
		failed "$name50" "< 5 ms" "latency.c did not compile (see logs/gcc.log)"
		failed "$name99" "< 50 ms" "latency.c did not compile"
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
	batches=$(make_batches jobtrack $(( CLIENTS * gpc )) "w3") || { failed "$name50" "< 5 ms" "no groups"; return 1; }
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
		failed "$name50" "< 5 ms" "the probe measured nothing (see logs/latency.err)"
		failed "$name99" "< 50 ms" "the probe measured nothing"
		return 1
	fi
	row "$name50" "$(fmt 3 "$jp50")" "$(fmt 3 "$bp50")" "$(ratio "$jp50" "$bp50")" "< 5 ms" "$(verdict "$jp50 < 5")"
	row "$name99" "$(fmt 3 "$jp99")" "$(fmt 3 "$bp99")" "$(ratio "$jp99" "$bp99")" "< 50 ms" "$(verdict "$jp99 < 50")"
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
	[ "$(q bench_scale "SELECT min(id) = 1 AND max(id) = $SCALE_GROUPS FROM (SELECT jobtrack.create_group('g' || i, time_to_check => '1 hour') AS id FROM generate_series(1, $SCALE_GROUPS) i) g")" = t ] || return 1
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

workload_check_cost()
{
	local name0="4. check_groups() pass, nothing changed (ms), $SCALE_GROUPS open groups, $JOBS jobs"
	local name100="4. check_groups() pass after 100 groups changed (ms)"
	local script=$TMP/check.sql summary first naive p0 p100 i a started0 started1
	log "workload 4: check cost"
	# a pass right after draining: group_change still holds the drained rows' dead tuples
	first=$(printf '\\timing on\n\\echo @first\nSELECT jobtrack.check_groups();\n' |
		"$PGBIN/psql" -X -q -d bench_scale | perl "$BENCH_DIR/stats.pl" times | awk '{ print $2 }')
	q bench_scale "VACUUM ANALYZE jobtrack.group_change, jobtrack.group_count, jobtrack.job_group, jobtrack.job_status" || return 1
	started0=$(q bench_scale "SELECT count(*) FROM jobtrack.job_status WHERE status = 'started'")
	{
		echo '\o /dev/null'
		echo '\timing on'
		for (( i = 0; i < CHECK_RUNS; i++ )); do
			echo '\echo @idle'
			echo 'SELECT jobtrack.check_groups();'
		done
		for (( i = 0; i < CHECK_RUNS; i++ )); do
			a=$(( (i * 100) % (SCALE_GROUPS - 99) + 1 ))
			echo '\echo @setup'
			echo "UPDATE jobtrack.job_status SET status = 'started' WHERE id IN (SELECT DISTINCT ON (group_id) id FROM jobtrack.job_status WHERE group_id BETWEEN $a AND $(( a + 99 )) AND status = 'queued' ORDER BY group_id, id);"
			echo '\echo @changed'
			echo 'SELECT jobtrack.check_groups();'
		done
		for (( i = 0; i < COUNT_RUNS; i++ )); do
			echo '\echo @naive'
			echo "SELECT count(*) FROM (SELECT group_id, count(*) AS total,
				count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')) AS finished
				FROM jobtrack.job_status WHERE group_id IS NOT NULL GROUP BY group_id) g WHERE finished = total;"
		done
	} > "$script"
	summary=$("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d bench_scale -f "$script" 2> "$LOG/check.err" |
		perl "$BENCH_DIR/stats.pl" times | perl "$BENCH_DIR/stats.pl" summary) || {
		failed "$name0" "< 5 ms" "the check script failed (see logs/check.err)"
		failed "$name100" "< 50 ms" "the check script failed"
		return 1
	}
	started1=$(q bench_scale "SELECT count(*) FROM jobtrack.job_status WHERE status = 'started'")
	p0=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick idle p50)
	p100=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick changed p50)
	naive=$(echo "$summary" | perl "$BENCH_DIR/stats.pl" pick naive p50)
	if [ "$(( started1 - started0 ))" != "$(( CHECK_RUNS * 100 ))" ]; then
		failed "$name100" "< 50 ms" "the rounds started $(( started1 - started0 )) jobs, not $(( CHECK_RUNS * 100 ))"
	fi
	[ -n "$p0" ] && row "$name0" "$(fmt 3 "$p0")" "$(fmt 3 "$naive")" "$(ratio "$p0" "$naive")" "< 5 ms" "$(verdict "$p0 < 5")"
	[ -n "$p100" ] && [ "$(( started1 - started0 ))" = "$(( CHECK_RUNS * 100 ))" ] &&
		row "$name100" "$(fmt 3 "$p100")" "$(fmt 3 "$naive")" "$(ratio "$p100" "$naive")" "< 50 ms" "$(verdict "$p100 < 50")"
	detail "- workload 4: baseline = the naive check, one GROUP BY over all jobs (median of $COUNT_RUNS); jobtrack = median of $CHECK_RUNS passes; groups have time_to_check 1 hour, so no group is due on schedule"
	detail "- workload 4: the first pass after draining $JOBS changes, before VACUUM of jobtrack.group_change, took $(fmt 3 "$first") ms"
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
			read_pair "$i" where_tag_eq "SELECT * FROM jobtrack.where_tag('customer', '=', 'c$k');" \
				"SELECT * FROM jobtrack.job_status WHERE tags @> '{\"customer\": \"c$k\"}';"
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
	local md=$RESULTS_DIR/latest.md
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
		echo "Workloads 1-2: pgbench -M prepared, $ROUNDS round(s) of ${DURATION}s (workload 2: ${HOT_DURATION}s)" \
			"per side, sides alternated, median taken. Workloads 4-5: $JOBS jobs in $SCALE_GROUPS groups," \
			"database bench_scale (no worker)."
		echo "Load average of the machine (1/5/15 min) before the run: $LOADAVG_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
		echo "ratio = jobtrack / baseline."
		echo
		perl "$BENCH_DIR/stats.pl" markdown "$RESULTS"
		echo
		echo "## Details"
		echo
		cat "$DETAILS"
	} > "$md"
	echo
	perl "$BENCH_DIR/stats.pl" table "$RESULTS"
	echo
	echo "Markdown: $md ($(( $(date +%s) - STARTED_AT )) s)"
}

# pgss_report: per-statement totals, when pg_stat_statements is loaded
pgss_report()
{
	[ "${BENCH_PGSS:-0}" = 1 ] || return 0
	{
		echo "# pg_stat_statements, database bench, after workload 1 (both sides, all rounds)"
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
workload_hot_group
workload_latency
if load_scale; then
	workload_check_cost
	workload_reads
	parallel_aggregates
else
	for w in "4. check_groups() cost" "5. Reads" "5b. Parallel aggregates"; do
		failed "$w" "-" "loading $JOBS jobs failed"
	done
fi

write_report
if [ "$FAILED" != 0 ]; then
	echo "run.sh: some workloads did not run (see above and $RESULTS_DIR/logs)" >&2
	exit 1
fi
exit 0
