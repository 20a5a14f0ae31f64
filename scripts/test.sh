#!/usr/bin/env bash
#
# Runs every jobtrack test on this machine and ends with "N passed, N failed".
#
# On a fresh Debian 12 machine, as root: installs the packages it needs,
# builds with warnings as errors, installs the extension, starts a throwaway
# cluster as the postgres user, runs pg_regress, isolation, pgTAP and TAP
# tests, a check that every mutation of scripts/mutate.sh still applies,
# a three-node Citus cluster test (building Citus from
# ../shared/vendor/citus when it is not installed) and a smoke run of the
# benchmark, then stops the cluster.
# JOBTRACK_SUITES="regress isolation" runs only some suites; PG_CONFIG picks
# another PostgreSQL 15 installation to build, install and test with (every
# suite but readme, laravel, node and dashboard, which use Debian's);
# JOBTRACK_NO_DEPS=1 skips apt-get.
#
set -u
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

need_root
install_deps
build_and_install

WORK=$(mktemp -d /tmp/jobtrack-test.XXXXXX)
PORT=${JOBTRACK_TEST_PORT:-5488}
SUITES=${JOBTRACK_SUITES:-regress isolation pgtap mutations tap citus bench soak readme laravel node dashboard}
TOTAL_PASSED=0
TOTAL_FAILED=0
# what failed, printed again just above the closing line, where a reader of
# a long, cut log still finds it
RECAP=$(mktemp)

# the suites write results next to the sources, so they run in a copy postgres owns
mkdir -p "$WORK/repo"
tar --exclude=.git --exclude=tmp_check --exclude=results --exclude=output_iso -cf - . | tar -C "$WORK/repo" -xf -
chown -R postgres "$WORK"

cleanup() { stop_cluster "$WORK"; }
trap cleanup EXIT

echo "== starting a throwaway cluster in $WORK (port $PORT)"
# regress, isolation and pgTAP run check_groups() themselves and compare
# its results: no worker may evaluate their databases behind their backs.
# The one database served is that of the live-progress isolation specs,
# whose worker never flushes on its own: the specs flush when they mean to.
start_cluster "$WORK" "$PORT" "jobtrack.check_interval = '1s'" "fsync = off" \
	"jobtrack.databases = 'jobtrack_live_iso'" "jobtrack.live_flush_interval = '1h'" \
	|| { cat "$WORK/server.log" 2>/dev/null; exit 1; }
export PGHOST=$WORK PGPORT=$PORT PGUSER=postgres

# count SUITE PASSED FAILED adds one suite's counts to the totals.
count() {
	printf '   %-10s %4d passed, %d failed\n' "$1" "$2" "$3"
	[ "$3" != 0 ] && printf '%s: %d failed\n' "$1" "$3" >>"$RECAP"
	TOTAL_PASSED=$((TOTAL_PASSED + $2))
	TOTAL_FAILED=$((TOTAL_FAILED + $3))
}

# count_regress SUITE LOG [RC] counts pg_regress "... ok" and "... FAILED"
# lines; a run that stopped early (RC not 0, say a missing expected file)
# with no failed line counts as one failure.
count_regress() {
	local ok failed
	ok=$(grep -cE '\.\.\. ok' "$2")
	failed=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$2")
	[ "$ok$failed" = 00 ] && failed=1
	[ "${3:-0}" != 0 ] && [ "$failed" = 0 ] && failed=1
	count "$1" "$ok" "$failed"
}

# count_tap SUITE LOG RC counts assertions from a TAP::Harness summary.
count_tap() {
	local tests failed
	tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$2" | tail -1)
	failed=$(sed -n 's/.*Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' "$2" | awk '{ s += $1 } END { print s + 0 }')
	# a file that died or planned badly counts as one more failure
	failed=$((failed + $(grep -cE 'Dubious|No subtests run|Bad plan|Parse errors' "$2")))
	if [ -z "$tests" ]; then tests=0; [ "$3" = 0 ] || failed=$((failed + 1)); fi
	[ "$3" != 0 ] && [ "$failed" = 0 ] && failed=1
	count "$1" "$((tests - failed < 0 ? 0 : tests - failed))" "$failed"
}

# count_phpunit SUITE LOG RC counts tests from PHPUnit's closing line.
count_phpunit() {
	local line tests bad
	line=$(grep -E '^(OK \([0-9]+ tests?|Tests: [0-9]+)' "$2" | tail -1)
	tests=$(echo "$line" | sed -n 's/^OK (\([0-9]*\) tests\?.*/\1/p; s/^Tests: \([0-9]*\),.*/\1/p')
	bad=$(echo "$line" | grep -oE '(Failures|Errors): [0-9]+' | awk '{ s += $2 } END { print s + 0 }')
	[ -z "$tests" ] && { tests=0; bad=1; }
	[ "$3" != 0 ] && [ "$bad" = 0 ] && bad=1
	count "$1" "$((tests - bad < 0 ? 0 : tests - bad))" "$bad"
}

# in_repo runs a command as postgres in the work copy, with the cluster's environment.
in_repo() {
	(cd "$WORK/repo" && runuser -u postgres -- env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER=postgres \
		PATH="$PGBIN:$PATH" PG_CONFIG="$PG_CONFIG" "$@")
}

run_regress() {
	echo "== pg_regress"
	local rc=0
	in_repo timeout 600 make PG_CONFIG="$PG_CONFIG" installcheck ISOLATION= TAP_TESTS= >"$WORK/regress.log" 2>&1 || rc=$?
	cat "$WORK/regress.log" | grep -E '^(test| +[a-z_]+ +\.\.\.)|\.\.\. ' || true
	count_regress regress "$WORK/regress.log" "$rc"
	grep -E '\.\.\. FAILED|\.\.\. failed' "$WORK/regress.log" >>"$RECAP"
	[ -f "$WORK/repo/regression.diffs" ] && head -300 "$WORK/repo/regression.diffs"
}

run_isolation() {
	echo "== isolation"
	local rc=0
	in_repo timeout 600 make PG_CONFIG="$PG_CONFIG" installcheck REGRESS= TAP_TESTS= >"$WORK/isolation.log" 2>&1 || rc=$?
	in_repo timeout 600 make PG_CONFIG="$PG_CONFIG" installcheck-live >>"$WORK/isolation.log" 2>&1 || rc=$?
	grep -E '\.\.\. ' "$WORK/isolation.log" || true
	count_regress isolation "$WORK/isolation.log" "$rc"
	grep -E '\.\.\. FAILED|\.\.\. failed' "$WORK/isolation.log" >>"$RECAP"
	[ -f "$WORK/repo/output_iso/regression.diffs" ] && head -300 "$WORK/repo/output_iso/regression.diffs"
	[ -f "$WORK/repo/output_iso_live/regression.diffs" ] && head -300 "$WORK/repo/output_iso_live/regression.diffs"
}

run_pgtap() {
	echo "== pgTAP"
	in_repo psql -qX -d postgres -c "DROP DATABASE IF EXISTS jt_pgtap" -c "CREATE DATABASE jt_pgtap" >/dev/null
	in_repo psql -qX -d jt_pgtap -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION jobtrack" >/dev/null
	in_repo timeout 600 pg_prove --ext .sql -d jt_pgtap test/pgtap/ >"$WORK/pgtap.log" 2>&1
	local rc=$?
	cat "$WORK/pgtap.log"
	count_tap pgtap "$WORK/pgtap.log" "$rc"
	[ "$rc" != 0 ] && tap_failures "$WORK/pgtap.log"
}

run_tap() {
	echo "== TAP"
	in_repo timeout 2400 make PG_CONFIG="$PG_CONFIG" installcheck REGRESS= ISOLATION= >"$WORK/tap.log" 2>&1
	local rc=$?
	cat "$WORK/tap.log"
	count_tap tap "$WORK/tap.log" "$rc"
	[ "$rc" != 0 ] && tap_failures "$WORK/tap.log"
}

# tap_failures LOG prints, for each TAP file that failed, the harness's
# account of it, its failed assertions and the end of its own log; the same
# short account goes to the recap.
tap_failures() {
	local file name
	sed -n '/^Test Summary Report/,/^Files=/p' "$1" | tee -a "$RECAP"
	grep -A6 -E '^#   Failed test' "$1" | head -80 | tee -a "$RECAP"
	for file in $(sed -n 's/^\(test\/t\/[^ ]*\.pl\) *(Wstat.*/\1/p' "$1"); do
		name=$(basename "$file" .pl)
		for f in "$WORK/repo/tmp_check/log/regress_log_$name" "$WORK/repo/tmp_check/log/${name}"_*.log; do
			[ -f "$f" ] && { echo "---- $f"; tail -80 "$f"; }
		done
	done
}

# a coordinator and two worker nodes, each a cluster of its own (test/citus);
# Citus is built from ../shared/vendor/citus (beside the repository) unless
# it is installed already, which is the cache between runs
run_citus() {
	echo "== Citus cluster (test/citus)"
	local build=../shared/vendor/citus/build.sh rc
	if [ ! -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ]; then
		if [ ! -f "$build" ]; then
			echo "Citus is not installed and $build is missing"
			count citus 0 1
			return
		fi
		echo "   building Citus (about 2 minutes)"
		if ! PATH="$PGBIN:$PATH" timeout 1200 bash "$build" /tmp/citus-build >"$WORK/citus-build.log" 2>&1; then
			tail -40 "$WORK/citus-build.log"
			count citus 0 1
			return
		fi
	fi
	in_repo env JOBTRACK_CITUS_PORT=$((PORT + 1)) timeout 900 make PG_CONFIG="$PG_CONFIG" installcheck-citus \
		>"$WORK/citus.log" 2>&1
	rc=$?
	cat "$WORK/citus.log"
	count_tap citus "$WORK/citus.log" "$rc"
	if [ "$rc" != 0 ]; then
		for f in "$WORK"/repo/tmp_check/log/*; do
			[ -f "$f" ] && { echo "---- $f"; tail -60 "$f"; }
		done
	fi
}

# every mutation of scripts/mutate.sh, and of each client's mutate.sh,
# still applies to the code it was written for (running them, which takes
# an hour for the extension's, is those scripts' job)
run_mutations() {
	local script out p f passed=0 failed=0
	for script in scripts/mutate.sh clients/*/mutate.sh; do
		[ -f "$script" ] || continue
		echo "== mutations still apply ($script --check)"
		out=$(bash "$script" --check 2>&1)
		echo "$out"
		read -r p f < <(echo "$out" | sed -n 's/^\([0-9]*\) apply, \([0-9]*\) do not apply$/\1 \2/p')
		[ -z "$p" ] && { p=0; f=1; }
		passed=$((passed + p))
		failed=$((failed + f))
	done
	count mutations "$passed" "$failed"
}

run_bench() {
	echo "== benchmark smoke run"
	timeout 300 env BENCH_SMOKE=1 bash test/bench/run.sh >"$WORK/bench.log" 2>&1
	local rc=$?
	cat "$WORK/bench.log"
	if [ "$rc" = 0 ]; then count bench 1 0; else count bench 0 1; fi
}

# a short soak: with retention on, storage and the worker's memory stop growing
run_soak() {
	echo "== short soak (test/bench/soak.sh)"
	SOAK_SECONDS=180 SOAK_SAMPLE=30 SOAK_RETENTION=30 SOAK_TOLERANCE=25 \
		timeout 400 bash test/bench/soak.sh </dev/null >"$WORK/soak.log" 2>&1
	local rc=$?
	cat "$WORK/soak.log"
	if [ "$rc" = 0 ]; then count soak 1 0; else count soak 0 1; fi
}

# the README's examples, run as written on clusters of their own; the
# extension was just installed, so the demo does not install it again
run_readme() {
	echo "== README examples (test/readme)"
	timeout 600 bash test/readme/run.sh --no-demo-install </dev/null >"$WORK/readme.log" 2>&1
	local rc=$? p f
	cat "$WORK/readme.log"
	read -r p f < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$WORK/readme.log" | tail -1)
	[ -z "$p" ] && { p=0; f=1; }
	[ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
	count readme "$p" "$f"
}

# run_client SUITE DIR COUNTER runs a client package's own test.sh (it
# starts its own clusters and services, with the extension installed above)
# and counts its runner's closing lines.
run_client() {
	echo "== $1 client ($2)"
	timeout 900 bash "$2/test.sh" </dev/null >"$WORK/$1.log" 2>&1
	local rc=$?
	tail -40 "$WORK/$1.log"
	"$3" "$1" "$WORK/$1.log" "$rc"
}

run_laravel() { run_client laravel clients/laravel count_phpunit; }
# count_node SUITE LOG RC counts tests from node --test's closing "# pass N" and "# fail N".
count_node() {
	local p f
	p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$2" | tail -1)
	f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$2" | tail -1)
	[ -z "$p" ] && { p=0; f=1; }
	f=${f:-0}
	[ "$3" != 0 ] && [ "$f" = 0 ] && f=1
	count "$1" "$p" "$f"
}

run_node() { run_client node clients/node count_node; }
run_dashboard() { run_client dashboard clients/dashboard count_node; }

for suite in $SUITES; do
	"run_$suite"
done

echo "== summary"
if [ -s "$RECAP" ]; then
	echo "-- what failed"
	cat "$RECAP"
fi
rm -f "$RECAP"
if [ "$TOTAL_FAILED" = 0 ]; then
	stop_cluster "$WORK" && rm -rf "$WORK"
else
	echo "logs and results are kept in $WORK"
fi
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" = 0 ]
