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
# would count every mutation it guards as killed. What every mutate.sh shares
# (the options, the list's format, the checks and the run) is in
# scripts/mutations.sh.
#
set -u
LARAVEL_DIR=$(cd "$(dirname "$0")" && pwd)
cd "$LARAVEL_DIR" || exit 1
# shellcheck source=clients/laravel/lib.sh
. "$LARAVEL_DIR/lib.sh"

# shellcheck source=scripts/mutations.sh
. "$LARAVEL_DIR/../../scripts/mutations.sh"

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
copy-run-at-once-keeps-payload @@ src/Trackable.php @@ s/\n\s*\$this->jobtrackForgetPayload\(\);\n/\n/ @@ WrongJobTest
bool-tag-sent-as-php-text @@ src/Models/JobStatus.php @@ s/\n\s*if \(is_bool\(\$value\)\) \{\n\s*return \$value \? 'true' : 'false';\n\s*\}\n/\n/ @@ ModelsTest
null-tag-sent-as-php-text @@ src/Models/JobStatus.php @@ s/\n\s*if \(\$value === null\) \{\n\s*return \$this->whereTagIsNull\(\$query, \$key, \(string\) \$operator\);\n\s*\}\n/\n/ @@ ModelsTest
array-tag-value-cast-to-text @@ src/Models/JobStatus.php @@ s/\n\s*if \(is_array\(\$value\) \|\| \(is_object\(\$value\) && ! method_exists\(\$value, '__toString'\)\)\) \{\n.*\n.*\n\s*\}\n/\n/ @@ ModelsTest
list-tags-sent-as-json-array @@ src/Jobtrack.php @@ s/\n\s*self::checkTags\(\$options\['tags'\] \?\? \[\]\);\n/\n/ @@ ModelsTest
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
trap 'rm -rf "$WORK"' EXIT

# guard_exists GUARD: the guarding test file is there
guard_exists() { [ -f "tests/$1.php" ]; }

# mutation_setup: the package copy installed into its test app, the cluster
# started and the app migrated (DB_* exported for phpunit and its children)
mutation_setup() {
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if ! command -v php >/dev/null || ! command -v phpunit >/dev/null || ! command -v composer >/dev/null; then
		install_tools || return 1
	fi
	need_server || return 1
	install_package "$PKG" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; return 1; }
	chmod 755 "$WORK"
	start_app_cluster "$PGDIR" "$PORT" || return 1
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

# mutation_apply: the mutation just parsed, applied to the package's copy
mutation_apply() {
	cp "$PKG/$file" "$WORK/original"
	apply_mutation "$name" "$file" "$subst" "$PKG/$file"
}

# mutation_restore: the copy's file as it was
mutation_restore() {
	cp "$WORK/original" "$PKG/$file"
}

mutations_main "$@"
