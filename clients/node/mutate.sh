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
# killed.
#
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE" || exit 1

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

PGPORT=${JT_MUTATE_PGPORT:-5484}
REDIS_PORT=${JT_MUTATE_REDIS_PORT:-6384}
# a guard that hangs is cut off: each test after this long, the file after GUARD_TIMEOUT seconds
TEST_TIMEOUT_MS=120000
GUARD_TIMEOUT=600

# Each mutation: name @@ file (under clients/node) @@ perl substitution (must change the file) @@ guarding test file.
MUTATIONS=$(cat <<'EOF'
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

# check_applies: every mutation applied to a copy of its file; prints
# "N apply, N do not apply" and fails if any does not
check_applies() {
	local applied=0 stale=0 line
	while read -r line; do
		[ -n "$line" ] || continue
		parse_mutation "$line"
		if [ -f "$file" ] && [ -f "$guard" ] && cp "$file" "$WORK/check" &&
			apply_mutation "$name" "$file" "$subst" "$WORK/check"; then
			applied=$((applied + 1))
		else
			[ -f "$guard" ] || echo "mutation $name: no guarding test $guard" >&2
			stale=$((stale + 1))
		fi
	done <<<"$MUTATIONS"
	echo "$applied apply, $stale do not apply"
	[ "$stale" = 0 ]
}

# run_guard FILE runs one test file in the copy against the servers; 0 if it passed.
run_guard() {
	(cd "$WORK/node" && timeout "$GUARD_TIMEOUT" node --test --test-concurrency=1 \
		--test-timeout="$TEST_TIMEOUT_MS" "$1" </dev/null)
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

# check_guards runs each guard of the selected mutations once on the code as it is.
check_guards() {
	local line guards="" g red=0
	while read -r line; do
		[ -n "$line" ] || continue
		parse_mutation "$line"
		selected || continue
		[[ " $guards " == *" $guard "* ]] || guards="$guards $guard"
	done <<<"$MUTATIONS"
	for g in $guards; do
		if ! run_guard "$g" >"$WORK/unmutated.${g##*/}.log" 2>&1; then
			echo "guard $g fails on the code as it is:"
			grep -E '^not ok|^# (pass|fail) |^  error:|^    [-+] ' "$WORK/unmutated.${g##*/}.log" | grep -v '# TODO' | head -30
			red=1
		fi
	done
	[ "$red" = 0 ]
}

# run_mutation: applies the mutation just parsed in the copy, runs its guard,
# restores the file; prints the result line and counts it.
run_mutation() {
	local target=$WORK/node/$file
	cp "$target" "$WORK/original"
	if ! apply_mutation "$name" "$file" "$subst" "$target"; then
		printf '%-34s %-22s %s\n' "$name" "${guard##*/}" "NOT APPLIED"
		survived=$((survived + 1))
	elif run_guard "$guard" >"$WORK/$name.log" 2>&1; then
		printf '%-34s %-22s %s\n' "$name" "${guard##*/}" "SURVIVED"
		survived=$((survived + 1))
	else
		printf '%-34s %-22s %s\n' "$name" "${guard##*/}" "killed"
		killed=$((killed + 1))
	fi
	cp "$WORK/original" "$target"
}

WORK=$(mktemp -d /tmp/jobtrack-node-mutate.XXXXXX)
if [ "$CHECK_ONLY" = 1 ]; then
	trap 'rm -rf "$WORK"' EXIT
	check_applies
	exit
fi

if [ "$(id -u)" != 0 ]; then
	echo "run this as root (it runs PostgreSQL as postgres); --check needs no root" >&2
	rm -rf "$WORK"
	exit 1
fi
for cmd in node npm redis-server redis-cli; do
	command -v "$cmd" >/dev/null || { echo "$cmd is missing: run test.sh once first" >&2; rm -rf "$WORK"; exit 1; }
done
chmod 755 "$WORK"
# shellcheck source=servers.sh
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

prepare || exit 1
start_servers || exit 1
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
printf '%-34s %-22s %s\n' mutation "guarding test" result
while read -r line; do
	[ -n "$line" ] || continue
	parse_mutation "$line"
	selected || continue
	run_mutation
done <<<"$MUTATIONS"

echo "$killed mutations killed, $survived survived"
[ "$survived" = 0 ]
