#!/usr/bin/env bash
#
# Proves that the Node client's tests can fail: breaks lib/*.js on purpose,
# one mutation at a time, and runs the one test file that guards it.  Each
# mutation must turn its test red; a mutation whose test stays green is
# reported as SURVIVED and makes the script exit non-zero.
#
# Run as root on Debian 12 with jobtrack installed, after test.sh has
# installed redis-server and node.  It works in a copy of clients/node (its
# own npm ci), and starts one PostgreSQL cluster (jobtrack preloaded, port
# 5484, socket in its work directory) and one Redis (127.0.0.1:6384) for the
# whole run; JT_MUTATE_PGPORT and JT_MUTATE_REDIS_PORT choose other ports.
#
#   bash clients/node/mutate.sh            # every mutation
#   bash clients/node/mutate.sh bridge     # only those whose name contains a word
#   bash clients/node/mutate.sh --check    # only whether each still applies to the code
#   bash clients/node/mutate.sh --guards   # only whether each guard passes unmutated
#
# --check needs no server and no root: it applies each mutation to a copy of
# its file and reports those that no longer match the code they were written
# for, so that a mutation cannot go stale unnoticed.  Before it mutates
# anything, a run checks that every guard it will use passes on the code as
# it is: a guard that is red anyway would count every mutation it guards as
# killed.  What every mutate.sh shares (the options, the list's format, the
# checks and the run) is in scripts/mutations.sh.
#
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE" || exit 1

# shellcheck source=scripts/mutations.sh
. "$HERE/../../scripts/mutations.sh"

PGPORT=${JT_MUTATE_PGPORT:-5484}
REDIS_PORT=${JT_MUTATE_REDIS_PORT:-6384}
# a guard that hangs is cut off: each test after this long, the file after GUARD_TIMEOUT seconds
TEST_TIMEOUT_MS=120000
GUARD_TIMEOUT=600

# Each mutation: name @@ file (under clients/node) @@ perl substitution (must change the file) @@ guarding test file.
MUTATIONS=$(cat <<'EOF'
bridge-rows-by-scan @@ lib/bullmq.js @@ s/'FROM jobtrack.job_external_id e JOIN jobtrack.job_status s ON s.id = e.job_id ' \+\n  'WHERE e.external_id = ANY/'FROM jobtrack.job_status s ' +\n  'WHERE s.external_id = ANY/ @@ test/bridge.test.js
bridge-retry-not-counted @@ lib/bullmq.js @@ s/while \(att < target\.attempts && cur !== 'succeeded'\)/while (false && att < target.attempts && cur !== 'succeeded')/ @@ test/bridge.test.js
bridge-active-not-started @@ lib/bullmq.js @@ s/case 'active': return \{ status: 'started'/case 'active': return { status: 'queued'/ @@ test/bridge.test.js
bridge-progress-dropped @@ lib/bullmq.js @@ s/steps\.push\(\{ id, op: 'progress'/void ({ id, op: 'progress'/ @@ test/bridge.test.js
bridge-percentage-as-integer @@ lib/bullmq.js @@ s/value numeric, current bigint/value bigint, current bigint/ @@ test/bridge.test.js
bridge-removed-completion-lost @@ lib/bullmq.js @@ s/if \(end\.event === 'completed'\) s\.state = 'completed';/if (false) s.state = 'completed';/ @@ test/bridge.test.js
bridge-retries-exhausted-as-end @@ lib/bullmq.js @@ s/new Set\(\['completed', 'failed', 'removed'\]\)/new Set(['completed', 'failed', 'removed', 'retries-exhausted'])/ @@ test/bridge.test.js
bridge-exhausted-attempts-ignored @@ lib/bullmq.js @@ s/Math\.max\(row \? row\.attempts : 1, exhaustedAttempts \|\| 0\)/row ? row.attempts : 1/ @@ test/bridge.test.js
bridge-unknown-end-cancelled @@ lib/bullmq.js @@ s/if \(!end\) \{ s\.state = 'gone'; return; \}/if (!end) return;/ @@ test/bridge-race.test.js
bridge-flow-no-group @@ lib/bullmq.js @@ s/let groupId = null;\n(\s+)if \(sn\.parentKey\) \{/let groupId = null;\n$1if (false && sn.parentKey) {/ @@ test/bridge.test.js
bridge-never-resyncs @@ lib/bullmq.js @@ s/return trimmed && cmpId\(first\[0\], pos\) > 0;/return false && trimmed && cmpId(first[0], pos) > 0;/ @@ test/bridge.test.js
bridge-gone-cancelled-at-once @@ lib/bullmq.js @@ s/if \(upTo && cmpId\(upTo, mark\) >= 0\) due\.push\(key\);/if (upTo) due.push(key);/ @@ test/bridge-gone.test.js
bridge-never-checks @@ lib/bullmq.js @@ s/if \(this\.checkMs && Date\.now\(\) >= this\.nextCheck\)/if (false && this.checkMs)/ @@ test/bridge-gone.test.js
bridge-settle-never-cancels @@ lib/bullmq.js @@ s/ends: new Map\(chunk\.map\(\(k\) => \[k, REMOVED\]\)\)/ends: new Map()/ @@ test/bridge-gone.test.js
bridge-cleaned-not-checked @@ lib/bullmq.js @@ s/if \(f\.event === 'cleaned'\) this\.nextCheck = 0;/if (false) this.nextCheck = 0;/ @@ test/bridge-gone.test.js
bridge-vanished-not-checked @@ lib/bullmq.js @@ s/\} else if \(await this\.vanished\(\)\) this\.nextCheck = 0;/}/ @@ test/bridge-gone.test.js
bridge-parent-children-unread @@ lib/bullmq.js @@ s/if \(f\.event === 'waiting-children'\) waiting\.add\(key\);/if (false) waiting.add(key);/ @@ test/bridge-flow.test.js
bridge-gone-child-parent-lost @@ lib/bullmq.js @@ s/s\.parentKey = parentOf\.get\(key\) \|\| null;/s.parentKey = null;/ @@ test/bridge-flow.test.js
bridge-gone-child-names-unread @@ lib/bullmq.js @@ s/if \(nameless\.length\) \{/if (false && nameless.length) {/ @@ test/bridge-flow.test.js
bridge-resync-window-cancelled @@ lib/bullmq.js @@ s/if \(!present\.has\(key\)\) this\.suspects\.set\(key, mark\);/if (!present.has(key)) this.suspects.set(key, position);/ @@ test/bridge-gone.test.js
client-id-check-unanchored @@ lib/client.js @@ s/\/\^-\?\\d\+\$\/\.test\(id\)/\/\\d+\/.test(id)/ @@ test/client.test.js
client-id-as-external-id @@ lib/client.js @@ s/jobtrack\.start_job\(\$1::bigint\)/jobtrack.start_job(jobtrack.job(\$1::text))/ @@ test/client.test.js
errors-not-found-always-group @@ lib/errors.js @@ s/kind === 'group' \? new GroupNotFound\(err\.message, opts\) : new JobNotFound\(err\.message, opts\)/new GroupNotFound(err.message, opts)/ @@ test/client.test.js
errors-null-not-invalid @@ lib/errors.js @@ s/'22023', '22004', '22P02'/'22023', '22P02'/ @@ test/client.test.js
events-slim-not-completed @@ lib/events.js @@ s/if \(p\.counts == null \|\| p\.title == null \|\| p\.title_truncated\)/if (p.title_truncated)/ @@ test/events.test.js
events-position-not-advanced @@ lib/events.js @@ s/\n    this\.last = id;// @@ test/events.test.js
events-cut-connection-fatal @@ lib/events.js @@ s/if \(err instanceof EventsExpired\) \{/if (err) {/ @@ test/events.test.js
EOF
)

# guard_exists FILE: the guarding test file is there
guard_exists() { [ -f "$1" ]; }

# run_guard FILE LOG runs one test file in the copy against the servers, its
# output in LOG; 0 if it passed.
run_guard() {
	(cd "$WORK/node" && timeout "$GUARD_TIMEOUT" node --test --test-concurrency=1 \
		--test-timeout="$TEST_TIMEOUT_MS" "$1" </dev/null) >"$2" 2>&1
}

# prepare copies clients/node into the work directory and installs its dependencies there.
prepare() {
	mkdir -p "$WORK/node"
	tar --exclude=./node_modules --exclude=./.test-logs -cf - . | tar -C "$WORK/node" -xf - || return 1
	(cd "$WORK/node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
		|| { echo "npm ci failed in the copy" >&2; return 1; }
}

# start_servers starts PostgreSQL and Redis for the whole run and tells the tests where they are.
start_servers() {
	start_postgres "$WORK/pg" "$PGPORT" || return 1
	start_redis "$WORK/redis" "$REDIS_PORT" || return 1
	export JT_PGHOST=$WORK/pg JT_PGPORT=$PGPORT JT_PGDATA=$WORK/pg/data JT_REDIS_PORT=$REDIS_PORT JT_LOGDIR=$WORK
}

# mutation_setup: the copy, its dependencies and the servers, stopped on exit
mutation_setup() {
	local cmd
	for cmd in node npm redis-server redis-cli; do
		command -v "$cmd" >/dev/null || { echo "$cmd is missing: run test.sh once first" >&2; return 1; }
	done
	chmod 755 "$WORK"
	# shellcheck source=servers.sh
	. "$HERE/servers.sh"
	trap 'stop_servers; rm -rf "$WORK"' EXIT
	trap 'exit 130' INT TERM
	prepare && start_servers
}

# mutation_apply: the mutation just parsed, applied in the copy
mutation_apply() {
	cp "$WORK/node/$file" "$WORK/original"
	apply_mutation "$name" "$file" "$subst" "$WORK/node/$file"
}

# mutation_restore: the copy's file as it was
mutation_restore() {
	cp "$WORK/original" "$WORK/node/$file"
}

WORK=$(mktemp -d /tmp/jobtrack-node-mutate.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mutations_main "$@"
