#!/bin/bash
#
# test/bench/citus.sh: the job lifecycle on one node and on a Citus cluster
# of three nodes (a coordinator and two worker nodes) on this machine, in
# the same run, with the CPU each node spent per lifecycle and an estimate,
# from those costs, of what a cluster of N machines sustains.
#
# Every node is a throwaway cluster of its own (fsync and synchronous_commit
# on, as in run.sh).  The same pgbench script (lifecycle_citus.sql: create,
# start, three progress updates, succeed, each its own transaction, in
# groups that complete and reopen) runs against the single node and against
# the coordinator, in alternating rounds.  The CPU time of each node's
# processes (the postmaster and its children, exited ones included) is read
# from /proc before and after the cluster's rounds.  Needs Citus installed
# into the PostgreSQL of PG_CONFIG (scripts/test.sh builds it).
#
# Run as root from the repository root.  Environment:
#   BENCH_CITUS_PORT   first of four ports (5714): one node, coordinator, two workers
#   BENCH_DURATION     seconds per round (15)
#   BENCH_ROUNDS       rounds per side (2)
#   BENCH_CLIENTS      pgbench clients (8)
#   PG_CONFIG          pg_config of the PostgreSQL to use

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
RESULTS_DIR=$BENCH_DIR/results
PG_CONFIG=${PG_CONFIG:-pg_config}
PGBIN=$("$PG_CONFIG" --bindir)
PORT=${BENCH_CITUS_PORT:-5714}
DURATION=${BENCH_DURATION:-15}
ROUNDS=${BENCH_ROUNDS:-2}
CLIENTS=${BENCH_CLIENTS:-8}
NGROUPS=1000
HZ=$(getconf CLK_TCK)
CORES=$(nproc)

if [ ! -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ]; then
	echo "citus.sh: Citus is not installed in $("$PG_CONFIG" --pkglibdir)" >&2
	echo "citus.sh: build it with: PATH=$PGBIN:\$PATH bash ../shared/vendor/citus/build.sh" >&2
	exit 1
fi

TMP=$(mktemp -d /tmp/jobtrack-bench-citus.XXXXXX)
chown postgres "$TMP"
NAMES=(single coordinator worker1 worker2)

cleanup()
{
	local name
	for name in "${NAMES[@]}"; do
		[ -f "$TMP/$name/postmaster.pid" ] &&
			runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/$name" -m fast -w stop >/dev/null 2>&1
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[citus bench] $*"; }

# port NAME: the port of a node
port()
{
	case $1 in
	single) echo "$PORT" ;;
	coordinator) echo $((PORT + 1)) ;;
	worker1) echo $((PORT + 2)) ;;
	worker2) echo $((PORT + 3)) ;;
	esac
}

# q NAME SQL: runs SQL on a node, unaligned tuples only
q() { runuser -u postgres -- "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$TMP" -p "$(port "$1")" -d postgres -c "$2"; }

# start NAME LIBRARIES: creates and starts a node
start()
{
	runuser -u postgres -- "$PGBIN/initdb" -D "$TMP/$1" -A trust -U postgres >/dev/null || exit 1
	cat >> "$TMP/$1/postgresql.conf" <<EOF
port = $(port "$1")
listen_addresses = '127.0.0.1'
unix_socket_directories = '$TMP'
shared_preload_libraries = '$2'
max_connections = 100
max_prepared_transactions = 100
shared_buffers = 128MB
jobtrack.check_interval = '1s'
EOF
	echo "host all all 127.0.0.1/32 trust" >> "$TMP/$1/pg_hba.conf"
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/$1" -l "$TMP/$1.log" -w start >/dev/null || {
		cat "$TMP/$1.log"; exit 1; }
}

# cpu_ticks NAME: CPU ticks of a node's postmaster and its children, exited ones included
cpu_ticks()
{
	local pm child total
	pm=$(head -1 "$TMP/$1/postmaster.pid")
	total=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
	for child in $(pgrep -P "$pm"); do
		total=$((total + $(awk '{ print $14 + $15 }' "/proc/$child/stat" 2>/dev/null || echo 0)))
	done
	echo "$total"
}

# setup NAME: groups for the lifecycles; prints the first group id
setup()
{
	q "$1" "SELECT min(jobtrack.create_group('bench ' || g)) FROM generate_series(1, $NGROUPS) g"
}

# round NAME GBASE: one timed pgbench round; prints lifecycles per second
round()
{
	runuser -u postgres -- "$PGBIN/pgbench" -n -M prepared -c "$CLIENTS" -j 2 -T "$DURATION" \
		-h "$TMP" -p "$(port "$1")" -D n=0 -D gbase="$2" -D groups="$NGROUPS" \
		-f "$BENCH_DIR/lifecycle_citus.sql" postgres > "$TMP/pgbench-$1.log" 2>&1 || {
		tail -5 "$TMP/pgbench-$1.log" >&2; exit 1; }
	sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$TMP/pgbench-$1.log" | head -1
}

# check_tps VALUE: stops the run when a round measured nothing
check_tps() { [ -n "$1" ] || { echo "citus.sh: a pgbench round failed" >&2; exit 1; }; }

log "starting one node and a coordinator with two worker nodes (ports $PORT-$((PORT + 3)))"
start single jobtrack
start coordinator citus,jobtrack
start worker1 citus,jobtrack
start worker2 citus,jobtrack
for name in coordinator worker1 worker2; do q "$name" "CREATE EXTENSION citus" >/dev/null; done
q coordinator "SELECT citus_set_coordinator_host('127.0.0.1', $(port coordinator));
	SELECT citus_add_node('127.0.0.1', $(port worker1));
	SELECT citus_add_node('127.0.0.1', $(port worker2))" >/dev/null
q single "CREATE EXTENSION jobtrack" >/dev/null
q coordinator "CREATE EXTENSION jobtrack" >/dev/null
q coordinator "SELECT jobtrack.distribute()" >/dev/null
SINGLE_BASE=$(setup single)
CLUSTER_BASE=$(setup coordinator)
if [ -z "$SINGLE_BASE" ] || [ -z "$CLUSTER_BASE" ]; then
	echo "citus.sh: could not create the groups" >&2
	exit 1
fi

single_tps=()
cluster_tps=()
declare -A cpu
for name in coordinator worker1 worker2; do cpu[$name]=0; done
cluster_total=0
for r in $(seq 1 "$ROUNDS"); do
	single_before=$(cpu_ticks single)
	t=$(round single "$SINGLE_BASE")
	check_tps "$t"
	cpu[single]=$((${cpu[single]:-0} + $(cpu_ticks single) - single_before))
	single_total=$(awk -v a="${single_total:-0}" -v t="$t" -v d="$DURATION" 'BEGIN { print a + t * d }')
	single_tps+=("$t")
	log "round $r: one node $t lifecycles/s"
	declare -A before
	for name in coordinator worker1 worker2; do before[$name]=$(cpu_ticks "$name"); done
	evaluator=$(q coordinator "SELECT pid FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'")
	evaluator_before=$(awk '{ print $14 + $15 }' "/proc/$evaluator/stat")
	t=$(round coordinator "$CLUSTER_BASE")
	check_tps "$t"
	for name in coordinator worker1 worker2; do
		cpu[$name]=$((cpu[$name] + $(cpu_ticks "$name") - before[$name]))
	done
	# the coordinator's jobtrack worker: its passes and their two-phase commits
	cpu[evaluator]=$((${cpu[evaluator]:-0} + $(awk '{ print $14 + $15 }' "/proc/$evaluator/stat") - evaluator_before))
	cluster_tps+=("$t")
	cluster_total=$(awk -v a="$cluster_total" -v t="$t" -v d="$DURATION" 'BEGIN { print a + t * d }')
	log "round $r: three nodes $t lifecycles/s"
done

# settled: every change taken, so the counts can be checked
for name in single coordinator; do
	for _ in $(seq 1 60); do
		[ "$(q "$name" "SELECT (SELECT count(*) FROM jobtrack.group_change)
			+ (SELECT count(*) FROM jobtrack.group_change_outbox)")" = 0 ] && break
		sleep 1
	done
done
mismatch=$(q coordinator "WITH a AS (SELECT group_id, count(*) FILTER (WHERE status = 'succeeded') AS s,
		count(*) AS n FROM jobtrack.job_status GROUP BY group_id)
	SELECT count(*) FROM a JOIN jobtrack.group_count c ON c.group_id = a.group_id
	 WHERE c.succeeded <> a.s OR c.queued + c.started + c.succeeded <> a.n")

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
single=$(median "${single_tps[@]}")
cluster=$(median "${cluster_tps[@]}")
# milliseconds of CPU per lifecycle on each node
per() { awk -v t="$1" -v hz="$HZ" -v n="$cluster_total" 'BEGIN { printf "%.2f", t / hz * 1000 / n }'; }
c_ms=$(per "${cpu[coordinator]}")
s_ms=$(awk -v t="${cpu[single]}" -v hz="$HZ" -v n="$single_total" 'BEGIN { printf "%.2f", t / hz * 1000 / n }')
w_ms=$(awk -v a="$(per "${cpu[worker1]}")" -v b="$(per "${cpu[worker2]}")" 'BEGIN { printf "%.2f", a + b }')

mkdir -p "$RESULTS_DIR"
{
	echo "## Lifecycle on one node and on a Citus cluster ($(date -u +%Y-%m-%d), $CORES cores, one machine)"
	echo
	echo "| | lifecycles/s (median of $ROUNDS x ${DURATION}s, $CLIENTS clients, -M prepared) |"
	echo "|---|---:|"
	echo "| one node | $single |"
	echo "| coordinator + 2 worker nodes | $cluster |"
	echo "| slowdown | $(awk -v a="$single" -v b="$cluster" 'BEGIN { printf "%.2fx", a / b }') |"
	echo
	echo "CPU per lifecycle on the cluster: coordinator $c_ms ms (of which its jobtrack worker's" \
		"evaluator passes $(per "${cpu[evaluator]}") ms), worker nodes $w_ms ms together" \
		"(worker1 $(per "${cpu[worker1]}"), worker2 $(per "${cpu[worker2]}")); evaluator passes" \
		"run: $(q coordinator "SELECT checks FROM jobtrack.stats"); groups whose counts" \
		"differ from their jobs after the run: $mismatch."
	echo
	echo "CPU per lifecycle on one node: $s_ms ms."
	echo
	echo "Estimate, from these costs, for a coordinator with C cores and N worker nodes with W cores each," \
		"CPU-bound: min(C / $c_ms ms, N x W / $w_ms ms) lifecycles/s; one server with S cores: S / $s_ms ms."
	echo
	echo "| cores | one server | coordinator (16 cores) + N worker nodes (16 cores each) |"
	echo "|---|---:|---|"
	awk -v s="$s_ms" -v c="$c_ms" -v w="$w_ms" 'BEGIN {
		line = ""
		for (n = 2; n <= 16; n *= 2) {
			coord = 16 * 1000 / c; workers = n * 16 * 1000 / w
			line = line (line == "" ? "" : "; ") sprintf("N=%d: %d (%s-bound)", n, (coord < workers ? coord : workers), (coord < workers ? "coordinator" : "worker"))
		}
		printf "| 16 | %d | %s |\n", 16 * 1000 / s, line
	}'
} | tee "$RESULTS_DIR/citus.md"
[ "$mismatch" = 0 ]
