'use strict';
// The dashboard in a real browser (Debian's headless Chromium, driven by
// puppeteer-core) against a real PostgreSQL with jobtrack and its worker.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('child_process');
const path = require('path');
const H = require('./helpers');
const { createDashboard } = require('../lib/server');

const DB = 'dash_test';
let browser, reader, writer, db;

async function sql(text, params) { return (await db.query(text, params)).rows; }

async function newPage(base, hash) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 800 });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(base + (hash || ''), { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.body.dataset.ready !== undefined && document.getElementById('live').textContent === 'live', { timeout: 10000 });
  return page;
}

async function ready(page, hash) {
  await page.waitForFunction((h) => document.body.dataset.ready === h, { timeout: 10000 }, hash);
}

test.before(async () => {
  await H.freshDatabase(DB);
  const { Client } = require('pg');
  db = new Client({ connectionString: H.url('postgres', DB) });
  await db.connect();
  // the one command, as the reader (read-only, the default)
  reader = await H.startCommand([H.url('dash_reader', DB), '--port', '0']);
  // a writer that may cancel, started in-process
  writer = createDashboard({ db: H.url('dash_writer', DB), port: 0, allowCancel: true, log: () => {} });
  writer.url = await writer.start();
  browser = await H.launchBrowser();
});

test.after(async () => {
  if (browser) await browser.close();
  if (writer) await writer.stop();
  await H.stopCommand(reader);
  if (db) await db.end();
});

test('the psql views: one line per open group and per running job, within 80 columns', async () => {
  const [{ g }] = await sql(`SELECT jobtrack.group_id('views: nightly import of customer files') AS g`);
  const ids = (await sql(`SELECT jobtrack.create_job('ImportCsv', alias => 'nightly', group_id => $1::bigint) AS id FROM generate_series(1, 4)`, [g])).map((r) => r.id);
  await sql(`SELECT jobtrack.start_job($1::bigint), jobtrack.succeed_job($1::bigint)`, [ids[0]]);
  await sql(`SELECT jobtrack.start_job($1::bigint), jobtrack.set_progress($1::bigint, 37)`, [ids[1]]);
  await H.sleep(300);
  const [row] = await sql(`SELECT * FROM jobtrack.group_overview WHERE id = $1::bigint`, [g]);
  assert.equal(row.title, 'views: nightly impo…');
  assert.equal(row.done, '1/4');
  assert.equal(row.progress, '##........  25%');
  assert.match(row.eta, /^\d+s$/);
  const run = await sql(`SELECT * FROM jobtrack.running_jobs WHERE "group" = $1::bigint`, [g]);
  assert.equal(run.length, 1);
  assert.equal(run[0].progress, '###.......  37%');
  assert.equal(run[0].alias, 'nightly');
  assert.equal(run[0].flag, '');
  const screen = execFileSync('psql', ['-X', '-h', H.HOST, '-p', H.PORT, '-U', 'dash_reader', '-d', DB,
    '-c', 'SELECT * FROM jobtrack.group_overview', '-c', 'SELECT * FROM jobtrack.running_jobs'], { encoding: 'utf8' });
  for (const line of screen.split('\n')) assert.ok([...line].length <= 80, `wider than 80 columns: ${line}`);
  // close this group so later tests see only their own open groups move
  await sql(`SELECT jobtrack.cancel_job(id) FROM jobtrack.in_group($1::bigint) WHERE status <> 'succeeded'`, [g]);
});

test('group progress and completion appear without a reload within 1 s', async () => {
  const [{ g }] = await sql(`SELECT jobtrack.group_id('live group') AS g`);
  const ids = (await sql(`SELECT jobtrack.create_job('Render', tags => jsonb_build_object('n', i), group_id => $1::bigint) AS id
                            FROM generate_series(1, 4) i`, [g])).map((r) => r.id);
  const page = await newPage(reader.url, '#/');
  await page.waitForSelector(`tr[data-group="${g}"]`);
  await page.evaluate(() => { window.__notReloaded = true; });
  assert.equal(await page.$eval(`tr[data-group="${g}"] .pct`, (e) => e.textContent), '0%');

  // the first job starts: group.started is pushed
  let t0 = Date.now();
  await sql(`SELECT jobtrack.start_job($1::bigint)`, [ids[0]]);
  await page.waitForFunction((g) => document.querySelector(`tr[data-group="${g}"]`).dataset.status === 'running', { timeout: 1000 }, g);
  const startedMs = Date.now() - t0;
  assert.equal(await page.$eval(`tr[data-group="${g}"] .gstatus`, (e) => e.textContent), 'running');

  // every job finishes: the bar reaches 100 % and the group shows completed
  t0 = Date.now();
  await sql(`SELECT jobtrack.succeed_job($1::bigint)`, [ids[0]]);
  await sql(`SELECT jobtrack.start_job(id), jobtrack.succeed_job(id) FROM unnest($1::bigint[]) id WHERE id <> $2::bigint`, [ids.slice(1), ids[3]]);
  await sql(`SELECT jobtrack.start_job($1::bigint), jobtrack.fail_job($1::bigint, 'disk full')`, [ids[3]]);
  await page.waitForFunction((g) => {
    const tr = document.querySelector(`tr[data-group="${g}"]`);
    return tr.dataset.status === 'completed' && tr.querySelector('.pct').textContent === '100%';
  }, { timeout: 1000 }, g);
  const completedMs = Date.now() - t0;
  assert.equal(await page.$eval(`tr[data-group="${g}"] .gstatus`, (e) => e.textContent), 'completed');
  const widths = await page.$eval(`tr[data-group="${g}"] .bar`, (b) => [...b.children].map((s) => s.style.width));
  assert.deepEqual(widths.slice(0, 2), ['75%', '25%']);
  assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the page was reloaded');
  await H.shot(page, 'groups');
  console.log(`# group.started shown ${startedMs} ms, group.completed with 100% shown ${completedMs} ms after the commit`);

  // the group's page has its event history, and gets the next run's events live
  await page.goto(reader.url + '#/groups/' + g);
  await ready(page, '/groups/' + g);
  const events = await page.$$eval('#events li', (l) => l.map((e) => e.textContent));
  assert.equal(events.length, 2);
  assert.match(events[0], /group\.completed run 1/);
  assert.match(events[1], /group\.started run 1/);
  await sql(`SELECT jobtrack.retry_job($1::bigint), jobtrack.start_job($1::bigint), jobtrack.succeed_job($1::bigint)`, [ids[3]]);
  await page.waitForFunction(() => document.querySelectorAll('#events li').length === 4, { timeout: 1000 });
  assert.match(await page.$eval('#events li', (e) => e.textContent), /group\.completed run 2/);
  await H.shot(page, 'group');
  await page.close();
});

test('job progress bars follow the rows shown (low-rate refresh of visible rows)', async () => {
  const [{ id }] = await sql(`SELECT jobtrack.create_job('Progress', alias => 'bar') AS id`);
  await sql(`SELECT jobtrack.start_job($1::bigint)`, [id]);
  const page = await newPage(reader.url, '#/jobs?alias=bar');
  await page.waitForSelector(`tr[data-job="${id}"]`);
  assert.equal(await page.$eval(`tr[data-job="${id}"] .jstatus`, (e) => e.textContent), 'started');
  await sql(`SELECT jobtrack.set_progress($1::bigint, 60, 100)`, [id]);
  await page.waitForFunction((id) => document.querySelector(`tr[data-job="${id}"] .pct`).textContent === '60%', { timeout: 3000 }, id);
  // and its status: the row shows the job failing without a reload
  await sql(`SELECT jobtrack.fail_job($1::bigint, 'out of paper')`, [id]);
  await page.waitForFunction((id) => document.querySelector(`tr[data-job="${id}"] .jstatus`).textContent === 'failed', { timeout: 3000 }, id);
  await page.close();
});

test('the rows refreshed are the last page\'s, whatever order its watch requests reach the server in', async () => {
  const [{ a }] = await sql(`SELECT jobtrack.create_job('Order', alias => 'order-a') AS a`);
  const [{ b }] = await sql(`SELECT jobtrack.create_job('Order', alias => 'order-b') AS b`);
  await sql(`SELECT jobtrack.start_job($1::bigint), jobtrack.start_job($2::bigint)`, [a, b]);
  const page = await newPage(reader.url, '#/jobs?alias=order-a');
  await page.waitForSelector(`tr[data-job="${a}"]`);
  // The browser holds the next request that asks for job a's rows, and lets
  // a later list overtake it; the held one reaches the server once the later
  // one was answered (or after a second, if nothing overtakes it, so that the
  // page is not stuck).
  await page.setRequestInterception(true);
  let held = null, holding = true;
  let heldAnswered;
  const answered = new Promise((resolve) => { heldAnswered = resolve; });
  const release = () => { if (held) { const r = held; held = null; r.continue().catch(() => {}); } };
  page.on('request', (r) => {
    if (!r.url().endsWith('/api/watch')) { r.continue().catch(() => {}); return; }
    const jobs = JSON.parse(r.postData()).jobs.map(String);
    if (holding && jobs.includes(String(a))) {
      holding = false;
      held = r;
      r.heldForTest = true;
      setTimeout(release, 1000);
      return;
    }
    r.continue().catch(() => {});
  });
  page.on('response', (res) => {
    if (!res.url().endsWith('/api/watch')) return;
    if (res.request().heldForTest) heldAnswered();
    else release();
  });
  await page.evaluate(() => { location.hash = '#/jobs?alias=order-a&again=1'; });
  await ready(page, '/jobs?alias=order-a&again=1');
  await page.evaluate(() => { location.hash = '#/jobs?alias=order-b'; });
  await ready(page, '/jobs?alias=order-b');
  await answered;
  await page.waitForSelector(`tr[data-job="${b}"]`);
  await sql(`SELECT jobtrack.set_progress($1::bigint, 70, 100)`, [b]);
  await page.waitForFunction((id) => document.querySelector(`tr[data-job="${id}"] .pct`).textContent === '70%', { timeout: 4000 }, b);
  await page.close();
});

test('a page load overtaken by a later one neither renders nor changes the rows refreshed', async () => {
  const [{ a }] = await sql(`SELECT jobtrack.create_job('Slow', alias => 'slow-a') AS a`);
  const [{ b }] = await sql(`SELECT jobtrack.create_job('Slow', alias => 'slow-b') AS b`);
  await sql(`SELECT jobtrack.start_job($1::bigint), jobtrack.start_job($2::bigint)`, [a, b]);
  const page = await newPage(reader.url, '#/jobs?alias=none');
  // The browser holds the answer of the list of slow-a until slow-b's page has
  // rendered: the older load finishes last.
  await page.setRequestInterception(true);
  let held = null, heldSeen;
  const seen = new Promise((resolve) => { heldSeen = resolve; });
  page.on('request', (r) => {
    if (r.url().includes('/api/jobs?alias=slow-a')) { held = r; heldSeen(); return; }
    r.continue().catch(() => {});
  });
  await page.evaluate(() => { location.hash = '#/jobs?alias=slow-a'; });
  await seen;
  await page.evaluate(() => { location.hash = '#/jobs?alias=slow-b'; });
  await ready(page, '/jobs?alias=slow-b');
  await page.waitForSelector(`tr[data-job="${b}"]`);
  const done = new Promise((resolve) => page.on('requestfinished', (r) => { if (r === held) resolve(); }));
  await held.continue();
  await done;
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300))); // the old load's code has run
  assert.deepEqual(await page.$$eval('#jobs tr', (rows) => rows.map((r) => r.dataset.job)), [String(b)]);
  assert.equal(await page.$eval('#filters input[name=alias]', (e) => e.value), 'slow-b');
  await sql(`SELECT jobtrack.set_progress($1::bigint, 40, 100), jobtrack.set_progress($2::bigint, 70, 100)`, [a, b]);
  await page.waitForFunction((id) => document.querySelector(`tr[data-job="${id}"] .pct`).textContent === '70%', { timeout: 4000 }, b);
  await page.close();
});

test('filter jobs by a tag (and type and status) through the form', async () => {
  await sql(`SELECT jobtrack.create_job('Mail', tags => jsonb_build_object('customer', c, 'size', i))
               FROM generate_series(1, 9) i, LATERAL (SELECT CASE WHEN i % 3 = 0 THEN 'acme' ELSE 'other' END AS c) x`);
  const page = await newPage(reader.url, '#/jobs');
  await page.type('#filters input[name=type]', 'Mail');
  await page.type('#filters input[name=tag]', 'customer');
  await page.type('#filters input[name=value]', 'acme');
  await page.click('#apply');
  await ready(page, '/jobs?type=Mail&tag=customer&op=%3D&value=acme');
  const tags = await page.$$eval('#jobs tr', (rows) => rows.map((r) => [...r.querySelectorAll('.tag')].map((t) => t.textContent).filter((t) => t.startsWith('customer'))));
  assert.deepEqual(tags, [['customer: acme'], ['customer: acme'], ['customer: acme']]);
  await H.shot(page, 'jobs-filtered');
  // numeric comparison and a status
  await page.goto(reader.url + '#/jobs?type=Mail&tag=size&op=%3E%3D&value=7&status=queued');
  await ready(page, '/jobs?type=Mail&tag=size&op=%3E%3D&value=7&status=queued');
  assert.equal(await page.$$eval('#jobs tr', (r) => r.length), 3);
  // bad input is a clear error, not a crash
  const r = await fetch(reader.url + 'api/jobs?status=nope');
  assert.equal(r.status, 400);
  await page.close();
});

test('a job page shows messages, signals, attempts and the timeline; cancel works for a writer and is refused for a reader', async () => {
  const [{ id }] = await sql(`SELECT jobtrack.create_job('Export', tags => '{"user": "42"}', group_id => jobtrack.group_id('cancel me')) AS id`);
  await sql(`SELECT jobtrack.start_job($1::bigint), jobtrack.fail_job($1::bigint, 'timeout'), jobtrack.retry_job($1::bigint), jobtrack.start_job($1::bigint)`, [id]);
  await sql(`SELECT jobtrack.add_message($1::bigint, 'halfway <b>there</b>', 'warning')`, [id]);
  await sql(`SELECT jobtrack.send_signal($1::bigint, 'pause', '{"for": "5m"}')`, [id]);

  // the reader opens it from the list and is refused
  const page = await newPage(reader.url, '#/jobs?type=Export');
  await page.click(`tr[data-job="${id}"] a`);
  await ready(page, '/jobs/' + id);
  assert.equal(await page.$eval('[data-field="attempt"]', (e) => e.textContent), '2');
  assert.deepEqual(await page.$$eval('#messages li', (l) => l.map((e) => [e.children[1].textContent, e.lastChild.textContent])), [['warning', 'halfway <b>there</b>']]);
  assert.equal(await page.$$eval('#signals tbody tr', (r) => r.length), 1);
  const timeline = await page.$eval('#timeline', (e) => e.textContent);
  for (const w of ['created', 'started', 'signal pause', 'halfway']) assert.ok(timeline.includes(w), `timeline lacks ${w}: ${timeline}`);
  await page.click('#cancel');
  await page.waitForFunction(() => document.getElementById('cancel-result').className === 'refused', { timeout: 3000 });
  assert.match(await page.$eval('#cancel-result', (e) => e.textContent), /refused/);
  assert.equal((await sql(`SELECT count(*)::int AS n FROM jobtrack.job_signal WHERE job_id = $1::bigint AND signal = 'cancel'`, [id]))[0].n, 0);
  // the reader refuses whatever the request holds: a malformed body or another type is a 403 too
  for (const [type, body] of [['application/json', 'null'], ['application/json', 'not json'], ['text/plain', 'cancel']]) {
    const r = await fetch(reader.url + `api/jobs/${id}/cancel`, { method: 'POST', headers: { 'Content-Type': type }, body });
    assert.equal(r.status, 403, `the reader answered ${type} ${body} with ${r.status}`);
  }
  await H.shot(page, 'job-refused');
  await page.close();

  // the writer's dashboard sends request_cancel
  const wp = await newPage(writer.url, '#/jobs/' + id);
  await wp.click('#cancel');
  await wp.waitForFunction(() => document.getElementById('cancel-result').className === 'accepted', { timeout: 3000 });
  const sig = await sql(`SELECT signal, cancel_job FROM jobtrack.job_signal WHERE job_id = $1::bigint AND signal = 'cancel'`, [id]);
  assert.deepEqual(sig, [{ signal: 'cancel', cancel_job: true }]);
  await wp.waitForFunction(() => document.querySelectorAll('#signals tbody tr').length === 2, { timeout: 3000 });
  await H.shot(wp, 'job-cancelled');
  await wp.close();

  // a cross-site form cannot cancel: wrong origin and no JSON are refused
  let r = await fetch(writer.url + `api/jobs/${id}/cancel`, { method: 'POST', headers: { Origin: 'http://evil.example', 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(r.status, 403);
  r = await fetch(writer.url + `api/jobs/${id}/cancel`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
  assert.equal(r.status, 415);
  // nor a page whose name was made to resolve to 127.0.0.1 (DNS rebinding)
  const status = await new Promise((resolve, reject) => {
    const u = new URL(writer.url);
    require('http').get({ host: u.hostname, port: u.port, path: `/api/jobs/${id}`, headers: { Host: 'evil.example' } }, (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject);
  });
  assert.equal(status, 421);
});

test('titles, tags and messages are shown as text, never run', async () => {
  const evil = `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">`;
  const [{ g }] = await sql(`SELECT jobtrack.group_id($1) AS g`, [evil]);
  const [{ id }] = await sql(`SELECT jobtrack.create_job($1::text, alias => $1::text, tags => jsonb_build_object($1::text, $1::text), group_id => $2::bigint) AS id`, [evil, g]);
  await sql(`SELECT jobtrack.add_message($1::bigint, $2::text)`, [id, evil]);
  const page = await newPage(reader.url, '#/');
  await page.waitForSelector(`tr[data-group="${g}"]`);
  assert.equal(await page.$eval(`tr[data-group="${g}"] td.title`, (e) => e.textContent), evil);
  await page.goto(reader.url + '#/groups/' + g);
  await ready(page, '/groups/' + g);
  assert.equal(await page.$eval('#group-title', (e) => e.textContent), evil);
  await H.shot(page, 'escaped-title');
  await page.goto(reader.url + '#/jobs/' + id);
  await ready(page, '/jobs/' + id);
  assert.ok((await page.$eval('#messages', (e) => e.textContent)).includes(evil));
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.$$eval('main img, main script', (l) => l.length), 0);
  await page.close();
});

test('events raised while the server\'s listener was disconnected still arrive', async () => {
  const page = await newPage(reader.url, '#/');
  const [{ g }] = await sql(`SELECT jobtrack.group_id('while disconnected') AS g`);
  const [{ id }] = await sql(`SELECT jobtrack.create_job('Gap', group_id => $1::bigint) AS id`, [g]);
  await page.goto(reader.url + '#/groups/' + g);
  await ready(page, '/groups/' + g);
  const [{ n }] = await sql(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
                              WHERE application_name = 'jobtrack-dashboard listener' AND usename = 'dash_reader'`);
  assert.equal(n, 1);
  await sql(`SELECT jobtrack.start_job($1::bigint), jobtrack.succeed_job($1::bigint)`, [id]);
  await page.waitForFunction(() => document.getElementById('group-head').dataset.status === 'completed'
    && document.querySelectorAll('#events li').length === 2, { timeout: 5000 });
  await page.close();
});

test('the open groups exclude completed ones, which have their own filter', async () => {
  const [{ done }] = await sql(`SELECT jobtrack.group_id('lists: finished') AS done`);
  const [{ open }] = await sql(`SELECT jobtrack.group_id('lists: still open') AS open`);
  const [{ a }] = await sql(`SELECT jobtrack.create_job('Listed', group_id => $1::bigint) AS a`, [done]);
  await sql(`SELECT jobtrack.create_job('Listed', group_id => $1::bigint)`, [open]);
  await sql(`SELECT jobtrack.start_job($1::bigint), jobtrack.succeed_job($1::bigint)`, [a]);
  const t0 = Date.now();
  while ((await sql(`SELECT status::text FROM jobtrack.job_group WHERE id = $1::bigint`, [done]))[0].status !== 'completed') {
    assert.ok(Date.now() - t0 < 5000, 'the group did not complete');
    await H.sleep(50);
  }
  const page = await newPage(reader.url, '#/');
  await page.waitForSelector(`tr[data-group="${open}"]`);
  assert.equal(await page.$(`tr[data-group="${done}"]`), null, 'a completed group is listed among the open ones');
  await page.select('#group-status', 'completed');
  await ready(page, '/?status=completed');
  assert.equal(await page.$eval(`tr[data-group="${done}"] .gstatus`, (e) => e.textContent), 'completed');
  assert.equal(await page.$(`tr[data-group="${open}"]`), null, 'an open group is listed among the completed ones');
  await page.close();
});

test('a list of jobs is paged: every job once, 100 to a page', async () => {
  const ids = (await sql(`SELECT jobtrack.create_job('Paged') AS id FROM generate_series(1, 150)`)).map((r) => r.id);
  const page = await newPage(reader.url, '#/jobs?type=Paged');
  const rows = () => page.$$eval('#jobs tr', (l) => l.map((r) => r.dataset.job));
  const first = await rows();
  assert.equal(first.length, 100);
  const last = first[first.length - 1];
  await page.click('#next');
  await ready(page, '/jobs?type=Paged&before=' + last);
  const second = await rows();
  assert.equal(await page.$('#next'), null, 'a third page is offered');
  assert.deepEqual([...first, ...second].sort(), ids.map(String).sort());
  await page.close();
});

test('a job or group that does not exist is a 404, shown on the page as an error', async () => {
  let r = await fetch(reader.url + 'api/jobs/999999999');
  assert.equal(r.status, 404);
  assert.deepEqual(await r.json(), { error: 'job 999999999 does not exist' });
  r = await fetch(reader.url + 'api/groups/999999999');
  assert.equal(r.status, 404);
  // opened directly: a page that fails is marked ready too (with its error)
  const page = await newPage(reader.url, '#/jobs/999999999');
  assert.equal(await page.evaluate(() => document.body.dataset.ready), '/jobs/999999999');
  assert.equal(await page.evaluate(() => document.body.dataset.error), 'job 999999999 does not exist');
  assert.equal(await page.$eval('main .error', (e) => e.textContent), 'Error: job 999999999 does not exist');
  await page.close();
});

test('without --allow-cancel the dashboard cannot write, even as a role that may', async () => {
  const [{ id }] = await sql(`SELECT jobtrack.create_job('KeepRunning') AS id`);
  await sql(`SELECT jobtrack.start_job($1::bigint)`, [id]);
  const d = createDashboard({ db: H.url('dash_writer', DB), port: 0, log: () => {} });
  const base = await d.start();
  try {
    const info = await (await fetch(base + 'api/info')).json();
    assert.equal(info.readOnly, true);
    assert.equal(info.canCancel, false);
    const r = await fetch(base + `api/jobs/${id}/cancel`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(r.status, 403);
    // every session it opens is read-only: a write over its connections fails
    await assert.rejects(d.pool.query('SELECT jobtrack.request_cancel($1::bigint)', [id]), { code: '25006' });
  } finally {
    await d.stop();
  }
  assert.equal((await sql(`SELECT count(*)::int AS n FROM jobtrack.job_signal WHERE job_id = $1::bigint`, [id]))[0].n, 0);
});

test('a burst of 1,000 events per second is batched and does not freeze the page', async () => {
  const N = 1000; // groups, 2 events each, in 2 s
  await sql(`SELECT jobtrack.create_job('Burst', group_id => jobtrack.group_id('burst ' || i)) FROM generate_series(1, $1::int) i`, [N]);
  await H.sleep(300);
  const page = await newPage(reader.url, '#/jobs/1');
  const t = Date.now();
  await page.goto(reader.url + '#/', { waitUntil: 'domcontentloaded' });
  await page.reload({ waitUntil: 'domcontentloaded' });
  await ready(page, '/');
  const firstRender = Date.now() - t;
  await page.waitForFunction(() => document.getElementById('live').textContent === 'live');
  assert.ok(firstRender < 1000, `the first page took ${firstRender} ms`);
  await page.evaluate(() => {
    window.__long = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask' });
    window.__gaps = []; let last = performance.now();
    window.__tick = setInterval(() => { const now = performance.now(); window.__gaps.push(now - last); last = now; }, 20);
  });
  const [{ first }] = await sql(`SELECT COALESCE(max(id), 0)::int8 AS first FROM jobtrack.group_event`);
  const jobs = (await sql(`SELECT id FROM jobtrack.for_job('Burst') ORDER BY id`)).map((r) => r.id);
  const t0 = Date.now();
  for (let i = 0; i < jobs.length; i += 50) {
    await sql(`SELECT jobtrack.start_job(id), jobtrack.succeed_job(id) FROM unnest($1::bigint[]) id`, [jobs.slice(i, i + 50)]);
    const wait = t0 + (i / 50 + 1) * 100 - Date.now();
    if (wait > 0) await H.sleep(wait);
  }
  const sent = Date.now() - t0;
  const [{ n }] = await sql(`SELECT count(*)::int AS n FROM jobtrack.group_event WHERE id > $1::bigint`, [first]);
  // all events reach the page, in batches
  const t1 = Date.now();
  const respond = await page.evaluate(() => performance.now()); // the page answers during and after the burst
  assert.ok(respond > 0);
  await page.waitForFunction((n) => window.jobtrackDashboard.events >= n, { timeout: 10000, polling: 100 }, n);
  const lag = Date.now() - t1;
  const s = await page.evaluate(() => { clearInterval(window.__tick); return { events: window.jobtrackDashboard.events, batches: window.jobtrackDashboard.batches, maxGap: Math.max(...window.__gaps), longest: Math.max(0, ...window.__long), apply: window.jobtrackDashboard.maxApplyMs, frames: window.jobtrackDashboard.frames, rows: document.querySelectorAll('#groups tr').length }; });
  console.log(`# first render of the groups page with ${N} more open groups: ${firstRender} ms`);
  console.log(`# burst: ${n} events in ${sent} ms; page got ${s.events} events in ${s.batches} pushes; ${s.frames} DOM updates, the longest ${Math.round(s.apply)} ms; longest task ${Math.round(s.longest)} ms; longest timer gap ${Math.round(s.maxGap)} ms; caught up ${lag} ms after the last commit`);
  assert.ok(n >= 2 * N, `only ${n} events were raised`);
  assert.ok(s.batches < n / 5, `updates were not batched: ${s.batches} pushes for ${n} events`);
  assert.ok(s.apply < 100, `one DOM update took ${Math.round(s.apply)} ms`);
  assert.ok(s.longest < 250, `the page's main thread was busy for ${Math.round(s.longest)} ms at once`);
  assert.ok(s.maxGap < 1000, `the page froze for ${Math.round(s.maxGap)} ms`);
  assert.ok(s.rows <= 100);
  await H.shot(page, 'burst');
  await page.close();
});
