#!/usr/bin/env bash
#
# instructions.sh: where a lifecycle's CPU goes, counted in instructions.
#
# Timings on a shared 2-core machine move by 20% from run to run; the
# number of instructions a backend executes does not.  This script runs the
# durable part of the benchmark's lifecycle (create, start, succeed: three
# statements, each its own transaction) in a single-user backend under
# valgrind's callgrind, once as plain SQL by hand and once through
# jobtrack's functions, under the simple protocol and with prepared
# statements.  Each side runs 100 and then 300 lifecycles in a fresh copy of
# the same database; the difference divided by 200 is the cost of one
# lifecycle, without the backend's start and end.  Only the statements are
# counted (parse, plan, execute, commit); the single-user backend's
# printing of results is not.
#
# It then splits jobtrack's prepared lifecycle by the mechanisms it adds
# (inclusive instructions of the functions named).
#
# Needs valgrind (apt-get install valgrind).  Run as root from the
# repository root after jobtrack is installed:
#
#	bash test/bench/instructions.sh
#
# The live path needs the server's shared memory and worker, which a
# single-user backend does not run: set_progress there takes the table
# path, so it is left out of the lifecycle counted here.
#
set -eu
PG_CONFIG=${PG_CONFIG:-pg_config}
PGBIN=$("$PG_CONFIG" --bindir)
command -v valgrind > /dev/null || { echo "instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "instructions.sh: run as root" >&2; exit 1; }
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/jobtrack-instructions.XXXXXX)
chown postgres "$WORK"
as_pg() { runuser -u postgres -- "$@"; }
# a setup that fails half way must not leave its server running
cleanup()
{
	[ -f "$WORK/template/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$WORK/template" -m immediate stop > /dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# a database with jobtrack, the plain table of the benchmark and one group
# that stays open (its first job never finishes)
as_pg "$PGBIN/initdb" -D "$WORK/template" -A trust > /dev/null
cat >> "$WORK/template/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
port = 5604
shared_preload_libraries = 'jobtrack'
jobtrack.databases = 'postgres'
EOF
as_pg "$PGBIN/pg_ctl" -D "$WORK/template" -l "$WORK/setup.log" -w start > /dev/null
as_pg "$PGBIN/psql" -X -q -h "$WORK" -p 5604 -d postgres -c "CREATE DATABASE lc" > /dev/null
as_pg "$PGBIN/psql" -X -q -h "$WORK" -p 5604 -d lc -v ON_ERROR_STOP=1 \
	-c "CREATE EXTENSION jobtrack" -f "$BENCH_DIR/baseline.sql" \
	-c "SELECT jobtrack.create_job('Hold', group_id => jobtrack.create_group('lifecycles'))" > /dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/template" -w stop > /dev/null

# script SIDE PROTOCOL N: N lifecycles as single-user input
script()
{
	local side=$1 proto=$2 n=$3 i
	local plain_id="currval('bench_base.job_plain_id_seq')" job_id="currval('jobtrack.job_status_id_seq')"
	if [ "$proto" = prepared ]; then
		echo "PREPARE c(bigint) AS INSERT INTO bench_base.job_plain (job_type, group_id) VALUES ('Bench', \$1)"
		echo "PREPARE s(bigint) AS UPDATE bench_base.job_plain SET status = 'started', started_at = now(), updated_at = now() WHERE id = \$1"
		echo "PREPARE f(bigint) AS UPDATE bench_base.job_plain SET status = 'succeeded', finished_at = now(), percentage = 100, updated_at = now() WHERE id = \$1"
		echo "PREPARE jc(bigint) AS SELECT jobtrack.create_job('Bench', group_id => \$1)"
		echo "PREPARE js(bigint) AS SELECT jobtrack.start_job(\$1)"
		echo "PREPARE jf(bigint) AS SELECT jobtrack.succeed_job(\$1)"
	fi
	for (( i = 0; i < n; i++ )); do
		case $side-$proto in
		plain-simple)
			echo "INSERT INTO bench_base.job_plain (job_type, group_id) VALUES ('Bench', 1)"
			# a scalar subquery, so that currval() is read once and the index is used
			echo "UPDATE bench_base.job_plain SET status = 'started', started_at = now(), updated_at = now() WHERE id = (SELECT $plain_id)"
			echo "UPDATE bench_base.job_plain SET status = 'succeeded', finished_at = now(), percentage = 100, updated_at = now() WHERE id = (SELECT $plain_id)" ;;
		jobtrack-simple)
			echo "SELECT jobtrack.create_job('Bench', group_id => 1)"
			echo "SELECT jobtrack.start_job($job_id)"
			echo "SELECT jobtrack.succeed_job($job_id)" ;;
		plain-prepared)
			echo "EXECUTE c(1)"; echo "EXECUTE s($plain_id)"; echo "EXECUTE f($plain_id)" ;;
		jobtrack-prepared)
			echo "EXECUTE jc(1)"; echo "EXECUTE js($job_id)"; echo "EXECUTE jf($job_id)" ;;
		esac
	done
}

# count SIDE PROTOCOL N: instructions of N lifecycles; leaves the callgrind output in $WORK
count()
{
	local name=$1-$2-$3
	rm -rf "$WORK/data"
	cp -a "$WORK/template" "$WORK/data"
	script "$1" "$2" "$3" > "$WORK/$name.sql"
	as_pg valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.out" \
		--toggle-collect=pg_parse_query --toggle-collect=pg_analyze_and_rewrite_fixedparams \
		--toggle-collect=pg_plan_queries --toggle-collect=PortalRun \
		--toggle-collect=StartTransactionCommand --toggle-collect=CommitTransactionCommand \
		--toggle-collect=debugStartup --toggle-collect=debugtup \
		"$PGBIN/postgres" --single -D "$WORK/data" -c fsync=off -c jobtrack.live_progress=off lc \
		< "$WORK/$name.sql" > "$WORK/$name.txt" 2> "$WORK/$name.log"
	if grep -q ERROR "$WORK/$name.txt"; then
		echo "instructions.sh: $name failed:" >&2
		grep -m3 ERROR "$WORK/$name.txt" >&2
		exit 1
	fi
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$WORK/$name.log"
}

# per_lifecycle SIDE PROTOCOL: instructions of one lifecycle
per_lifecycle()
{
	local a b
	a=$(count "$1" "$2" 100)
	b=$(count "$1" "$2" 300)
	echo $(( (b - a) / 200 ))
}

# inclusive FUNCTION: the inclusive instructions of a function in the last
# 300-lifecycle run of jobtrack, prepared, per lifecycle
inclusive()
{
	callgrind_annotate --inclusive=yes "$WORK/jobtrack-prepared-300.out" 2> /dev/null |
		awk -v f="$1" '{ gsub(",", "", $1) } $0 ~ (":" f " ") { printf "%d", $1 / 300; exit }'
}

echo "| protocol | plain SQL (instructions per lifecycle) | jobtrack | ratio |"
echo "|---|---:|---:|---:|"
for proto in simple prepared; do
	plain=$(per_lifecycle plain "$proto")
	jt=$(per_lifecycle jobtrack "$proto")
	echo "| $proto | $plain | $jt | $(awk -v a="$jt" -v b="$plain" 'BEGIN { printf "%.2fx", a / b }') |"
done
echo
echo "jobtrack, prepared, per lifecycle (inclusive instructions; the parts overlap where one calls another):"
echo
echo "| what | function | instructions |"
echo "|---|---|---:|"
while IFS='|' read -r what fn; do
	echo "| $what | \`$fn\` | $(inclusive "$fn") |"
done <<'EOF'
the direct writes of start and succeed: the row read, guarded, updated with its index entries, the change recorded|DirectUpdateJob
the guard, applied by the direct writes|GuardJobUpdate
create_job's direct insert: the defaults, the guard, the row and its index entries, the change recorded|DirectInsertJob
the group_change rows and the probes that choose an urgent or a lazy wake-up|RecordGroupChange
the check that a new job's group exists|CheckGroupExists
the executor's start of the outer SELECTs|ExecutorStart
index entries (six indexes; the GIN one has no pending list and skips jobs without tags)|ExecInsertIndexTuples
EOF
