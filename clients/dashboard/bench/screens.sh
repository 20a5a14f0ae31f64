#!/bin/bash
# Makes the README's pictures: a small varied data set, the psql views'
# screen (docs/psql-views.txt) and the dashboard's pages (docs/*.png).
set -eu
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PORT=${JT_PGPORT:-5498}
source "$REPO/scripts/lib.sh"
TMP=$(mktemp -d /tmp/jobtrack-dashboard-screens.XXXXXX)
chmod 755 "$TMP"
trap 'stop_cluster "$TMP/pg"; rm -rf "$TMP"' EXIT
start_cluster "$TMP/pg" "$PORT" "listen_addresses = '127.0.0.1'" "jobtrack.database = 'demo'" "jobtrack.stuck_after = '2min'"
q() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d "$@"; }
q postgres -c "CREATE DATABASE demo"
q demo -c "CREATE EXTENSION jobtrack" >/dev/null
node -e "process.stdout.write(require('$HERE/test/helpers').ROLES)" | q demo >/dev/null
q demo <<'SQL' >/dev/null
SELECT jobtrack.create_job(t, alias => a, tags => jsonb_build_object('customer', 'c' || (i % 7), 'file', 'part-' || i || '.csv'),
                           group_id => jobtrack.group_id(g))
  FROM (VALUES ('import 2026-12-04 (customers)', 'ImportCsv', 'nightly', 120),
               ('export invoices to the ERP', 'ExportInvoice', 'erp', 40),
               ('resize product images', 'ResizeImage', NULL, 300),
               ('<script>alert("title")</script>', 'SendMail', 'mail', 12),
               ('reindex search (staging)', 'Reindex', 'search', 8)) v(g, t, a, n),
       LATERAL generate_series(1, n) i;
-- the jobs run: different amounts done in each group
SELECT jobtrack.start_job(id), jobtrack.succeed_job(id) FROM jobtrack.for_job('ImportCsv') WHERE id % 10 < 7;
SELECT jobtrack.start_job(id), jobtrack.fail_job(id, 'row ' || id || ': bad date') FROM jobtrack.for_job('ImportCsv') WHERE id % 10 = 7;
SELECT jobtrack.start_job(id), jobtrack.set_progress(id, (id * 37) % 100) FROM jobtrack.for_job('ImportCsv') WHERE id % 10 = 8;
SELECT jobtrack.start_job(id), jobtrack.succeed_job(id) FROM jobtrack.for_job('ExportInvoice') WHERE id % 4 = 0;
SELECT jobtrack.start_job(id), jobtrack.set_progress(id, 3, 7) FROM jobtrack.for_job('ExportInvoice') WHERE id % 4 = 1;
SELECT jobtrack.start_job(id), jobtrack.succeed_job(id) FROM jobtrack.for_job('ResizeImage') WHERE id % 3 <> 0;
SELECT jobtrack.start_job(id), jobtrack.cancel_job(id) FROM jobtrack.for_job('ResizeImage') WHERE id % 30 = 0;
SELECT jobtrack.start_job(id), jobtrack.succeed_job(id) FROM jobtrack.for_job('Reindex');
SELECT jobtrack.start_job(id), jobtrack.set_progress(id, 88) FROM jobtrack.for_job('SendMail') WHERE id % 5 = 0;
SELECT jobtrack.add_message(id, 'read ' || (id * 13 % 900) || ' rows', 'info') FROM jobtrack.for_job('ImportCsv') WHERE id % 10 = 8;
SELECT jobtrack.add_message(id, 'skipped row 7: <b>not a date</b>', 'warning') FROM jobtrack.for_job('ImportCsv') WHERE id % 10 = 8;
SELECT jobtrack.send_signal(id, 'pause', '{"for": "5m"}') FROM jobtrack.for_job('ImportCsv') WHERE id % 10 = 8 AND id < 30;
-- make the times look like a real day
UPDATE jobtrack.job_group SET created_at = created_at - interval '25 minutes';
SQL
sleep 1
q demo -c "UPDATE jobtrack.job_group SET started_at = started_at - (id * interval '7 minutes')" 2>/dev/null || true
mkdir -p "$HERE/docs"
{
	echo '$ psql -c "SELECT * FROM jobtrack.group_overview"'
	q demo -c "SELECT * FROM jobtrack.group_overview"
	echo '$ psql -c "SELECT * FROM jobtrack.running_jobs LIMIT 8"'
	q demo -c "SELECT * FROM jobtrack.running_jobs LIMIT 8"
} > "$HERE/docs/psql-views.txt"
cd "$HERE"
JT_PGPORT=$PORT node -e '
const H = require("./test/helpers");
const { createDashboard } = require("./lib/server");
(async () => {
  const d = createDashboard({ db: H.url("dash_reader", "demo"), port: 0, log: () => {} });
  const url = await d.start();
  const b = await H.launchBrowser();
  const p = await b.newPage();
  await p.setViewport({ width: 1200, height: 560 });
  const go = async (hash) => { await p.goto(url + hash); await p.waitForFunction((h) => document.body.dataset.ready === h, {}, hash.slice(1)); await H.sleep(300); };
  await go("#/"); await p.screenshot({ path: "docs/dashboard.png" });
  const [{ id }] = (await d.pool.query("SELECT min(id)::text AS id FROM jobtrack.job_message")).rows;
  const [{ job }] = (await d.pool.query("SELECT job_id::text AS job FROM jobtrack.job_message WHERE id = $1::bigint", [id])).rows;
  await p.setViewport({ width: 1200, height: 900 });
  await go("#/jobs/" + job); await p.screenshot({ path: "docs/job.png" });
  await b.close(); await d.stop();
})().catch((e) => { console.error(e); process.exit(1); });'
echo "wrote docs/psql-views.txt docs/dashboard.png docs/job.png"
