#!/usr/bin/env bash
#
# Proves that the dashboard's tests can fail: breaks the server or the page
# on purpose, one mutation at a time, and runs the test file that guards it
# (node --test, headless Chromium, a real PostgreSQL with jobtrack).  Each
# mutation must turn its test red; one whose test stays green is reported as
# SURVIVED and makes the script exit non-zero.
#
# Run as root on Debian 12 with jobtrack installed, like test.sh.  It works in
# a copy of clients/dashboard (the tree itself is never changed) and starts one
# cluster for the whole run, on 127.0.0.1:5488 (DASH_MUTATE_PORT picks another).
#
#   bash clients/dashboard/mutate.sh             # every mutation
#   bash clients/dashboard/mutate.sh html live   # only those whose name contains a word
#   bash clients/dashboard/mutate.sh --check     # only whether each still applies to the code
#   bash clients/dashboard/mutate.sh --guards    # only whether each guard passes unmutated
#
# --check starts nothing and needs no root: it applies each mutation to a copy
# of its file and reports those that no longer match the code they were
# written for (test.sh runs it).  Before it mutates anything, a run checks
# that every guard it will use passes on the code as it is: a guard that is
# red anyway would count every mutation it guards as killed.  The servers and
# browsers a run starts are stopped on exit, by pid.  DASH_MUTATE_LOGS=DIR
# keeps each test run's output there.  What every mutate.sh shares (the
# options, the list's format, the checks and the run) is in
# scripts/mutations.sh.
#
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE" || exit 1
# shellcheck source=testlib.sh
. "$HERE/testlib.sh"

# shellcheck source=scripts/mutations.sh
. "$HERE/../../scripts/mutations.sh"

PORT=${DASH_MUTATE_PORT:-5488}
WORK=$(mktemp -d /tmp/jobtrack-dashboard-mutate.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# Each mutation: name @@ file (under clients/dashboard) @@ perl substitution
# (must change the file) @@ guarding test file.
MUTATIONS=$(cat <<'EOF'
open-lists-completed @@ lib/server.js @@ s/if \(status === 'open'\) where.push\(`g.status <> 'completed'::jobtrack.group_status`\);/if (status === 'open') where.push('true');/ @@ test/dashboard.test.js
group-status-as-text @@ lib/server.js @@ s/`g.status = \$\$\{params.length\}::jobtrack.group_status`/`g.status = \$\${params.length}::text`/ @@ test/dashboard.test.js
filters-not-combined @@ lib/server.js @@ s/sql \+= ` JOIN \$\{s\} s/sql += ` LEFT JOIN \${s} s/ @@ test/dashboard.test.js
jobs-pages-overlap @@ lib/server.js @@ s/WHERE j.id < \$\{p\(before\)\}::bigint/WHERE j.id <= \${p(before)}::bigint/ @@ test/dashboard.test.js
progress-not-pushed @@ lib/server.js @@ s/if \(jobCache.get\(r.id\) !== s\)/if (jobCache.get(r.id) === s)/ @@ test/dashboard.test.js
reconnect-no-catch-up @@ lib/server.js @@ s/scheduleFlush\(\); \/\/ catch up on what was missed while disconnected/\/\/ no catch-up after a reconnect/ @@ test/dashboard.test.js
sessions-writable @@ lib/server.js @@ s/const pgOptions = o.allowCancel \? undefined : '-c default_transaction_read_only=on';/const pgOptions = undefined;/ @@ test/dashboard.test.js
missing-job-not-404 @@ lib/server.js @@ s/\n *if \(!job\) throw new HttpError\(404, `job \$\{id\} does not exist`\);// @@ test/dashboard.test.js
failed-not-finished @@ lib/server.js @@ s/r.finished = r.succeeded \+ r.failed \+ r.cancelled;/r.finished = r.succeeded + r.cancelled;/ @@ test/dashboard.test.js
text-as-html @@ public/app.js @@ s/else if \(k === 'text'\) el.textContent = String\(v\);/else if (k === 'text') el.innerHTML = String(v);/ @@ test/dashboard.test.js
strings-as-html @@ public/app.js @@ s/el.append\(c instanceof Node \? c : document.createTextNode\(String\(c\)\)\);/if (c instanceof Node) el.append(c); else el.insertAdjacentHTML('beforeend', String(c));/ @@ test/dashboard.test.js
job-status-not-live @@ public/app.js @@ s/c\[3\].replaceChildren\(statusBadge\(j.status\)\);/if (!c[3].firstChild) c[3].replaceChildren(statusBadge(j.status));/ @@ test/dashboard.test.js
body-too-large-as-400 @@ lib/server.js @@ s/const text = await readBody\(req\);/let text; try { text = await readBody(req); } catch (e) { throw new HttpError(400, 'send JSON'); }/ @@ test/errors.test.js
body-too-large-reset @@ lib/server.js @@ s/if \(n > BODY_MAX\) \{ over = true; chunks.length = 0; reject\(tooLarge\(\)\); \}/if (n > BODY_MAX) { reject(tooLarge()); req.destroy(); }/ @@ test/errors.test.js
watch-body-not-object @@ lib/server.js @@ s/if \(!isJsonObject\(body\)\) \{/if (false) {/ @@ test/errors.test.js
watch-ids-unchecked @@ lib/server.js @@ s/if \(id === null\) throw new HttpError\(400, `jobs\[/if (false) throw new HttpError(400, `jobs[/ @@ test/errors.test.js
stream-ids-unchecked @@ lib/server.js @@ s/if \(id !== null\) return id;\n(\s*)throw new HttpError/return id;\n$1if (false) throw new HttpError/ @@ test/errors.test.js
stream-list-truncated @@ lib/server.js @@ s/if \(parts.length > WATCH_MAX\) throw new HttpError\(400, [^\n]*\n/parts.length = Math.min(parts.length, WATCH_MAX);\n/ @@ test/errors.test.js
cancel-body-unchecked @@ lib/server.js @@ s/\n *const body = await readJson\(req\);\n *if \(!isJsonObject[^\n]*\n/\n/ @@ test/errors.test.js
failed-page-keeps-watch @@ public/app.js @@ s/\n *watchJobs\(\[\]\); \/\/ the rows of the page before are not shown any more: stop their refresh// @@ test/errors.test.js
watch-requests-overlap @@ public/app.js @@ s/\n *if \(watchSending\) \{ watchAgain = true; return; \}// @@ test/dashboard.test.js
failed-page-not-ready @@ public/app.js @@ s/\n *document\.body\.dataset\.ready = hash;\n/\n/ @@ test/dashboard.test.js
stale-load-renders @@ public/app.js @@ s/function stale\(load\) \{ return load !== routing; \}/function stale(load) { return false; }/ @@ test/dashboard.test.js
reader-reads-body-first @@ lib/server.js @@ s/(    if \(!state.canCancel\) throw new HttpError\(403, [^\n]*\n)((?:[^\n]*\n){3})/$2$1/ @@ test/dashboard.test.js
EOF
)

# kill_started stops what a test run left behind: every process that carries
# this run's marker in its environment (the test runner, the dashboard it
# spawned, Chromium), by pid.
kill_started() {
	local sig env pid pids
	for sig in TERM KILL; do
		pids=()
		for env in /proc/[0-9]*/environ; do
			pid=${env#/proc/}; pid=${pid%/environ}
			[ "$pid" = "$$" ] && continue
			grep -qszxF "JT_MUTATE_RUN=$WORK" "$env" && pids+=("$pid")
		done
		[ ${#pids[@]} -eq 0 ] && return 0
		kill -"$sig" "${pids[@]}" 2>/dev/null
		sleep 1
	done
}

cleanup() {
	kill_started
	stop_cluster "$WORK/pg"
	rm -rf "$WORK"
}

# mutation_setup copies the package (with its node_modules, or installs them
# in the copy) and starts the cluster the whole run shares.
mutation_setup() {
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	command -v chromium >/dev/null || install_test_packages || return 1
	chmod 755 "$WORK"
	mkdir "$WORK/dashboard" "$WORK/tmp"
	tar --exclude=./test/screenshots -cf - . | tar -C "$WORK/dashboard" -xf - || return 1
	[ -d "$WORK/dashboard/node_modules" ] || install_node_modules "$WORK/dashboard" || return 1
	start_test_cluster "$WORK/pg" "$PORT"
}

# run_guard TEST LOG runs one test file of the copy against the cluster; 0 if it passed.
run_guard() {
	# in the background: a signal to this script is handled without waiting for the run
	(cd "$WORK/dashboard" && exec env JT_PGHOST=127.0.0.1 JT_PGPORT="$PORT" JT_MUTATE_RUN="$WORK" TMPDIR="$WORK/tmp" \
		timeout 600 node --test --test-concurrency=1 --test-timeout=120000 --test-reporter=tap "$1") >"$2" 2>&1 &
	wait $!
	local rc=$?
	kill_started
	[ -n "${DASH_MUTATE_LOGS:-}" ] && mkdir -p "$DASH_MUTATE_LOGS" && cp "$2" "$DASH_MUTATE_LOGS/"
	return $rc
}

# mutation_apply: the mutation just parsed, applied in the copy
mutation_apply() {
	cp "$WORK/dashboard/$file" "$WORK/original"
	apply_mutation "$name" "$file" "$subst" "$WORK/dashboard/$file"
}

# mutation_restore: the copy's file as it was
mutation_restore() {
	cp "$WORK/original" "$WORK/dashboard/$file"
}

mutations_main "$@"
