'use strict';
// The measurements of bench/scale.sh (run it, not this file).
const { Client } = require('pg');
const { createDashboard } = require('../lib/server');
const H = require('../test/helpers');

const DB = 'bench';
const ms = (a) => a.toFixed(1);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function timeQuery(c, label, sql, n = 15) {
  const wall = [], exec = [];
  await c.query(sql); // warm
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    rows = (await c.query(sql)).rowCount;
    wall.push(Number(process.hrtime.bigint() - t) / 1e6);
    const e = await c.query('EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' + sql);
    exec.push(e.rows[0]['QUERY PLAN'][0]['Execution Time']);
  }
  console.log(`${label}: ${rows} rows; execution median ${ms(median(exec))} ms, max ${ms(Math.max(...exec))} ms; round trip median ${ms(median(wall))} ms`);
}

(async () => {
  const c = new Client({ connectionString: H.url('postgres', DB) });
  await c.connect();
  await timeQuery(c, 'SELECT * FROM jobtrack.group_overview', 'SELECT * FROM jobtrack.group_overview');
  await timeQuery(c, 'SELECT * FROM jobtrack.group_overview LIMIT 20', 'SELECT * FROM jobtrack.group_overview LIMIT 20');
  await timeQuery(c, 'SELECT * FROM jobtrack.running_jobs', 'SELECT * FROM jobtrack.running_jobs');
  await timeQuery(c, 'SELECT * FROM jobtrack.running_jobs LIMIT 20', 'SELECT * FROM jobtrack.running_jobs LIMIT 20');

  const d = createDashboard({ db: H.url('dash_reader', DB), port: 0, log: () => {} });
  const url = await d.start();
  const browser = await H.launchBrowser();
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 800 });
  const pages = [['groups', '#/'], ['jobs by type and tag', '#/jobs?type=Type7&tag=customer&op=%3D&value=c1007'],
    ['jobs by status failed', '#/jobs?status=failed'], ['jobs of a group', '#/jobs?group=4242'],
    ['a group', '#/groups/4242'], ['a job', '#/jobs/424242']];
  for (const [label, hash] of pages) {
    const times = [];
    for (let i = 0; i < 5; i++) {
      await page.goto('about:blank');
      const t = Date.now();
      await page.goto(url + hash, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction((h) => document.body.dataset.ready === h, { timeout: 10000 }, hash.slice(1));
      times.push(Date.now() - t);
    }
    console.log(`first render of ${label} (${hash}): median ${median(times)} ms, max ${Math.max(...times)} ms (navigation to the rendered page, 5 loads)`);
    if (label === 'groups') await H.shot(page, 'scale-groups');
  }

  // a burst of 1,000 events per second for 2 s with the groups page open
  await c.query(`SELECT jobtrack.create_job('Burst', group_id => jobtrack.group_id('burst ' || i)) FROM generate_series(1, 1000) i`);
  await H.sleep(500);
  await page.goto(url + '#/', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.body.dataset.ready === '/' && document.getElementById('live').textContent === 'live');
  await page.evaluate(() => {
    window.__long = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask' });
  });
  const [{ first }] = (await c.query('SELECT max(id)::int8 AS first FROM jobtrack.group_event')).rows;
  const jobs = (await c.query(`SELECT id FROM jobtrack.for_job('Burst') ORDER BY id`)).rows.map((r) => r.id);
  const t0 = Date.now();
  for (let i = 0; i < jobs.length; i += 50) {
    await c.query('SELECT jobtrack.start_job(id), jobtrack.succeed_job(id) FROM unnest($1::bigint[]) id', [jobs.slice(i, i + 50)]);
    const wait = t0 + (i / 50 + 1) * 100 - Date.now();
    if (wait > 0) await H.sleep(wait);
  }
  const sent = Date.now() - t0;
  await H.sleep(300); // the last pass of the worker
  const [{ n }] = (await c.query('SELECT count(*)::int AS n FROM jobtrack.group_event WHERE id > $1::bigint', [first])).rows;
  const t1 = Date.now();
  await page.waitForFunction((n) => window.jobtrackDashboard.events >= n, { timeout: 20000, polling: 50 }, n);
  const s = await page.evaluate(() => ({ batches: window.jobtrackDashboard.batches, frames: window.jobtrackDashboard.frames,
    apply: window.jobtrackDashboard.maxApplyMs, longest: Math.max(0, ...window.__long) }));
  console.log(`burst: ${n} events in ${sent} ms; ${s.batches} pushes, ${s.frames} DOM updates, the longest ${ms(s.apply)} ms; longest main-thread task ${ms(s.longest)} ms; caught up ${Date.now() - t1} ms after the last commit`);
  await H.shot(page, 'scale-burst');
  await browser.close();
  await d.stop();
  await c.end();
})().catch((e) => { console.error(e); process.exit(1); });
