#!/bin/bash
# Measures the psql views and the dashboard at 10,000 open groups and
# 1,000,000 jobs (not a unit test; takes a few minutes). As root, with
# jobtrack installed, chromium and the npm packages installed (test.sh does).
#   bash bench/scale.sh            # prints the numbers
set -eu
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PORT=${JT_PGPORT:-5498}
GROUPS_N=${GROUPS_N:-10000}
source "$REPO/scripts/lib.sh"
TMP=$(mktemp -d /tmp/jobtrack-dashboard-bench.XXXXXX)
chmod 755 "$TMP"
# KEEP=1 leaves the loaded cluster running (stop it with stop_cluster DIR)
if [ "${KEEP:-0}" = 1 ]; then echo "cluster in $TMP/pg"; else trap 'stop_cluster "$TMP/pg"; rm -rf "$TMP"' EXIT; fi
start_cluster "$TMP/pg" "$PORT" "listen_addresses = '127.0.0.1'" "jobtrack.database = 'bench'" \
	"shared_buffers = '1GB'" "max_wal_size = '4GB'" "jobtrack.check_interval = '1s'"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d "$@"; }
q postgres -c "CREATE DATABASE bench"
q bench -c "CREATE EXTENSION jobtrack" >/dev/null
# the dashboard's reader role: the README's reader grants (test/helpers.js)
node -e "process.stdout.write(require('$HERE/test/helpers').ROLES)" | q bench >/dev/null
start=$(date +%s)
q bench -c "SELECT count(jobtrack.create_group('g' || i || ' nightly import of customer files', time_to_check => '1 hour')) FROM generate_series(1, $GROUPS_N) i" >/dev/null
# 100 jobs per group: 60 succeeded, 5 failed, 5 cancelled, the rest queued,
# and one started job in every tenth group (1,000 running jobs)
for (( from = 1; from <= GROUPS_N * 100; from += 200000 )); do
	to=$(( from + 199999 ))
	q bench -c "
		INSERT INTO jobtrack.job_status (job_type, alias, group_id, tags, status, percentage)
		SELECT 'Type' || (i % 100), 'alias-' || (i % $GROUPS_N), (i - 1) / 100 + 1,
			   jsonb_build_object('customer', 'c' || (i % $GROUPS_N), 'batch', i % 1000),
			   s::jobtrack.status, CASE WHEN s = 'succeeded' THEN 100 WHEN s = 'started' THEN i % 100 ELSE 0 END
		  FROM (SELECT i, CASE WHEN (i - 1) % 100 < 60 THEN 'succeeded'
							   WHEN (i - 1) % 100 < 65 THEN 'failed'
							   WHEN (i - 1) % 100 < 70 THEN 'cancelled'
							   WHEN (i - 1) % 100 = 70 AND ((i - 1) / 100) % 10 = 0 THEN 'started'
							   ELSE 'queued' END AS s
				  FROM generate_series($from, $to) i) j"
done
while [ "$(q bench -c "SELECT EXISTS (SELECT FROM jobtrack.group_change)")" = t ]; do
	q bench -c "SELECT jobtrack.check_groups()" >/dev/null
done
q bench -c "VACUUM ANALYZE"
echo "loaded $(q bench -c "SELECT count(*) FROM jobtrack.job_status") jobs in $(q bench -c "SELECT count(*) FROM jobtrack.job_group WHERE status <> 'completed'") open groups in $(( $(date +%s) - start )) s"
cd "$HERE"
[ "${KEEP:-0}" = 1 ] && exit 0
JT_PGPORT=$PORT node bench/scale.js
