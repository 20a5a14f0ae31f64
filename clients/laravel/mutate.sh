#!/usr/bin/env bash
#
# Proves that the Laravel client's PHPUnit tests can fail: breaks the
# client's code (src/) on purpose, one mutation at a time, and runs the test
# file that guards it. Each mutation must turn its test red; a mutation
# whose test stays green is reported as SURVIVED and makes the script exit
# non-zero.
#
# Run as root, like test.sh (whose set-up it shares, from lib.sh): it
# copies this package to a temporary directory, installs it into the copy's
# test application, starts ONE throwaway PostgreSQL 15 cluster with jobtrack
# preloaded for the whole run (port JOBTRACK_LARAVEL_MUTATE_PORT, default
# 5486), and mutates only the copy. The tests start their own
# `php artisan queue:work` and `jobtrack:listen` processes, which load the
# mutated code; whatever a test leaves running is killed by its process
# group, and the cluster is stopped on exit.
#
#   bash clients/laravel/mutate.sh              # every mutation
#   bash clients/laravel/mutate.sh batch listen # only those whose name contains a word
#   bash clients/laravel/mutate.sh --check      # only whether each still applies (no root, no server)
#   bash clients/laravel/mutate.sh --guards     # only whether each guard passes unmutated
#
# JOBTRACK_LARAVEL_MUTATE_LOGS=DIR keeps each phpunit run's output there
# (MUTATION.log, unmutated.GUARD.log), to see what killed a mutation.
#
# --check applies each mutation to a temporary copy of its file and reports
# those that no longer match the code they were written for, or whose
# guarding test is gone. Before it mutates anything, a run checks that every
# guard it will use passes on the code as it is: a guard that is red anyway
# would count every mutation it guards as killed.
#
set -u
LARAVEL_DIR=$(cd "$(dirname "$0")" && pwd)
cd "$LARAVEL_DIR" || exit 1
# shellcheck source=clients/laravel/lib.sh
. "$LARAVEL_DIR/lib.sh"

CHECK_ONLY=0
GUARDS_ONLY=0
WORDS=()
for arg in "$@"; do
	case $arg in
		--check) CHECK_ONLY=1 ;;
		--guards) GUARDS_ONLY=1 ;;
		-*) echo "mutate.sh: unknown option $arg (--check, --guards)" >&2; exit 2 ;;
		*) WORDS+=("$arg") ;;
	esac
done
PORT=${JOBTRACK_LARAVEL_MUTATE_PORT:-5486}
GUARD_TIMEOUT=${JOBTRACK_LARAVEL_MUTATE_TIMEOUT:-300}
WORK=$(mktemp -d /tmp/jobtrack-laravel-mutate.XXXXXX)
PKG=$WORK/pkg
PGDIR=$WORK/pg
RUNNING=""	# the process group of the guard running now, killed on exit

# Each mutation: name @@ file (under clients/laravel) @@ perl substitution
# (must change the file) @@ guarding test (a file of tests/, without .php).
MUTATIONS=$(cat <<'EOF'
processed-recorded-failed @@ src/QueueTracker.php @@ s/\$this->transition\(\$id, 'succeeded'\);/\$this->transition(\$id, 'failed');/ @@ QueueTrackingTest
failed-recorded-cancelled @@ src/QueueTracker.php @@ s/\$this->transition\(\$id, 'failed', \$this->reason\(\$event->exception\)\);/\$this->transition(\$id, 'cancelled');/ @@ QueueTrackingTest
exception-fails-for-good @@ src/QueueTracker.php @@ s/\$this->transition\(\$id, 'retried', \$this->reason\(\$event->exception\), \(int\) \$job->attempts\(\)\);/\$this->transition(\$id, 'failed', \$this->reason(\$event->exception));/ @@ QueueTrackingTest
retry-requested-ignored @@ src/QueueTracker.php @@ s/\$this->transition\(\$id, 'retry'\);/unset(\$id);/ @@ QueueTrackingTest
subclass-not-trackable @@ src/QueueTracker.php @@ s/class_uses_recursive\(\$class\)/class_uses(\$class)/ @@ QueueTrackingTest
batch-jobs-unrecorded @@ src/QueueTracker.php @@ s/if \(! empty\(\$command->batchId\) \|\| config\(/if (config(/ @@ QueueTrackingTest
batch-not-grouped @@ src/QueueTracker.php @@ s/return \$this->batchGroup\(\$command->batchId\);/return null;/ @@ BatchTest
signals-lost-by-cancel-check @@ src/Trackable.php @@ s/\$buffered\[\] = \$signal;/continue;/ @@ QueueTrackingTest
progress-waits-for-commit @@ src/Jobtrack.php @@ s/if \(\$main->transactionLevel\(\) === 0\)/if (\$main->transactionLevel() >= 0)/ @@ QueueTrackingTest
messages-wait-for-commit @@ src/Jobtrack.php @@ s/\$live \? \$this->liveConnection\(\) : \$this->connection\(\)/\$this->connection()/ @@ QueueTrackingTest
copy-uses-original-id @@ src/Trackable.php @@ s/ \|\| \$this->jobtrackIdCache\[0\] !== \$key// @@ WrongJobTest
copy-gets-original-signals @@ src/Trackable.php @@ s/ \|\| \$buffer\[0\] !== \$this->jobtrackKey\(\)// @@ WrongJobTest
bool-tag-sent-as-php-text @@ src/Models/JobStatus.php @@ s/\n\s*if \(is_bool\(\$value\)\) \{\n\s*return \$value \? 'true' : 'false';\n\s*\}\n/\n/ @@ ModelsTest
null-tag-sent-as-php-text @@ src/Models/JobStatus.php @@ s/\n\s*if \(\$value === null\) \{\n\s*return \$this->whereTagIsNull\(\$query, \$key, \(string\) \$operator\);\n\s*\}\n/\n/ @@ ModelsTest
no-listen @@ src/Listening/EventListener.php @@ s/\$this->jobtrack->connection\(\)->unprepared\('LISTEN "'\.\$channel\.'"'\);/unset(\$channel);/ @@ ListenerTest
completed-as-started @@ src/Events/GroupEvent.php @@ s/'group\.completed' => GroupCompleted::class/'group.completed' => GroupStarted::class/ @@ BatchTest
oldest-skips-first-kept @@ src/Listening/EventListener.php @@ s/coalesce\(min\(id\), 1\) - 1 AS id/coalesce(min(id), 1) AS id/ @@ ListenerTest
handling-not-atomic @@ src/Listening/EventListener.php @@ s/if \(\$this->options\['transaction'\] && \$this->store->isTransactional\(\)\)/if (false)/ @@ BatchTest
EOF
)

cleanup() {
	[ -n "$RUNNING" ] && kill -KILL -- "-$RUNNING" 2>/dev/null
	stop_cluster "$PGDIR"
	if [ -n "${JOBTRACK_LARAVEL_MUTATE_LOGS:-}" ] && ls "$WORK"/*.log >/dev/null 2>&1; then
		mkdir -p "$JOBTRACK_LARAVEL_MUTATE_LOGS" && cp "$WORK"/*.log "$JOBTRACK_LARAVEL_MUTATE_LOGS"/
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# parse_mutation LINE sets name, file, subst and guard from one line of $MUTATIONS.
parse_mutation() {
	local line=$1
	name=${line%% @@ *}; line=${line#* @@ }
	file=${line%% @@ *}; line=${line#* @@ }
	subst=${line% @@ *}; guard=${line##* @@ }
}

# apply_mutation NAME FILE SUBST TARGET applies a mutation of FILE to TARGET, a copy of it.
apply_mutation() {
	perl -0pi -e "$3 or die \"mutation $1 does not apply to $2\\n\"" "$4"
}

# selected: whether the mutation just parsed was asked for (every one when no word was given)
selected() {
	local word
	[ ${#WORDS[@]} -eq 0 ] && return 0
	for word in "${WORDS[@]}"; do [[ $name == *"$word"* ]] && return 0; done
	return 1
}

# check_applies: every mutation applied to a copy of its file, and its guard
# exists; prints "N apply, N do not apply" and fails if any does not
check_applies() {
	local applied=0 stale=0 line
	while read -r line; do
		[ -n "$line" ] || continue
		parse_mutation "$line"
		cp "$file" "$WORK/check" 2>/dev/null || : >"$WORK/check"
		if [ ! -f "tests/$guard.php" ]; then
			echo "mutation $name: no guarding test tests/$guard.php" >&2
			stale=$((stale + 1))
		elif apply_mutation "$name" "$file" "$subst" "$WORK/check"; then
			applied=$((applied + 1))
		else
			stale=$((stale + 1))
		fi
	done <<<"$MUTATIONS"
	echo "$applied apply, $stale do not apply"
	[ "$stale" = 0 ]
}

# set_up: the package copy installed into its test app, the cluster
# started and the app migrated (DB_* exported for phpunit and its children)
set_up() {
	need_root
	if ! command -v php >/dev/null || ! command -v phpunit >/dev/null || ! command -v composer >/dev/null; then
		install_tools || return 1
	fi
	need_server || return 1
	install_package "$PKG" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; return 1; }
	chmod 755 "$WORK"
	start_cluster "$PGDIR" "$PORT" || return 1
	migrate_app "$PKG/tests/app" "$PGDIR" "$PORT" >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log"; return 1; }
}

# empty_queue: no job a previous (possibly killed) run left in the queue
# is picked up by the next test's worker
empty_queue() {
	as_pg psql -X -q -h "$PGDIR" -p "$PORT" -d app \
		-c "TRUNCATE jobs, job_batches, failed_jobs" </dev/null >/dev/null
}

# run_guard TEST LOG runs one test file with phpunit in a process group of
# its own, then kills whatever the group left behind; 0 if it passed
run_guard() {
	local rc
	empty_queue || return 2
	(cd "$PKG" && exec setsid timeout "$GUARD_TIMEOUT" phpunit "tests/$1.php" </dev/null) >"$2" 2>&1 &
	RUNNING=$!
	wait "$RUNNING"
	rc=$?
	kill -KILL -- "-$RUNNING" 2>/dev/null
	RUNNING=""
	return $rc
}

# selected_guards prints each guard of the selected mutations once
selected_guards() {
	local line guards=""
	while read -r line; do
		[ -n "$line" ] || continue
		parse_mutation "$line"
		selected || continue
		[[ " $guards " == *" $guard "* ]] || guards="$guards $guard"
	done <<<"$MUTATIONS"
	echo "${guards# }"
}

# check_guards: each guard passes on the code as it is
check_guards() {
	local g red=0
	for g in $(selected_guards); do
		if ! run_guard "$g" "$WORK/unmutated.$g.log"; then
			echo "guard $g fails on the code as it is:"
			tail -30 "$WORK/unmutated.$g.log"
			red=1
		fi
	done
	[ "$red" = 0 ]
}

# run_mutation: applies the mutation just parsed to the copy, runs its guard
# and restores the file; prints the result line and counts it
run_mutation() {
	local target=$PKG/$file result
	cp "$target" "$WORK/original"
	if ! apply_mutation "$name" "$file" "$subst" "$target"; then
		result="NOT APPLIED"
		survived=$((survived + 1))
	elif run_guard "$guard" "$WORK/$name.log"; then
		result=SURVIVED
		survived=$((survived + 1))
	else
		result=killed
		killed=$((killed + 1))
	fi
	cp "$WORK/original" "$target"
	printf '%-30s %-20s %s\n' "$name" "$guard" "$result"
}

if [ "$CHECK_ONLY" = 1 ]; then
	check_applies
	exit
fi

set_up || { echo "could not set up the test application and its cluster" >&2; exit 1; }
if ! check_guards; then
	echo "no mutation was run: a guard must pass before it can prove anything"
	exit 1
fi
if [ "$GUARDS_ONLY" = 1 ]; then
	echo "every guard passes on the code as it is"
	exit 0
fi

killed=0
survived=0
printf '%-30s %-20s %s\n' mutation "guarding test" result
while read -r line; do
	[ -n "$line" ] || continue
	parse_mutation "$line"
	selected || continue
	run_mutation
done <<<"$MUTATIONS"

echo "$killed mutations killed, $survived survived"
[ "$survived" = 0 ]
