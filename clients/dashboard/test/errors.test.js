'use strict';
// Bad requests and pages that fail: the POST endpoints answer a body that is
// too large, not JSON or of the wrong shape with 413 or 400 and a message
// (never 500, never a silent partial success), the event stream answers a
// list of jobs that holds anything but job ids with 400 and streams nothing,
// and a page that fails to load stops the refresh of the rows the page
// before it showed. The real server (in-process, as a writer that may
// cancel) over HTTP, a real PostgreSQL with jobtrack, and Debian's headless
// Chromium for the page.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('http');
const H = require('./helpers');
const { createDashboard } = require('../lib/server');

const DB = 'dash_errors';
let db, dash, browser;

async function sql(text, params) { return (await db.query(text, params)).rows; }

function post(path, body, headers) {
  return fetch(dash.url + path, { method: 'POST', headers: Object.assign({ 'Content-Type': 'application/json' }, headers), body });
}

// an event stream of the server, as a browser opens it: its id and what it
// pushes; query (e.g. '?jobs=1,2') is sent as it is
function openStream(query = '') {
  return new Promise((resolve, reject) => {
    const s = { id: null, messages: [], req: null, close() { this.req.destroy(); } };
    s.req = http.get(dash.url + 'api/stream' + query, (res) => {
      if (res.statusCode !== 200) { res.resume(); reject(new Error(`the stream ${query} was answered ${res.statusCode}`)); return; }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const chunk = buf.slice(0, i); buf = buf.slice(i + 2);
          for (const line of chunk.split('\n')) {
            if (!line.startsWith('data: ')) continue;
            const m = JSON.parse(line.slice(6));
            if (m.hello) { s.id = m.hello; resolve(s); } else s.messages.push(m);
          }
        }
      });
      res.on('error', () => {});
    });
    s.req.on('error', (e) => { if (!s.id) reject(e); });
  });
}

async function signals(id) {
  return (await sql(`SELECT count(*)::int AS n FROM jobtrack.job_signal WHERE job_id = $1::bigint`, [id]))[0].n;
}

test.before(async () => {
  await H.freshDatabase(DB);
  const { Client } = require('pg');
  db = new Client({ connectionString: H.url('postgres', DB) });
  await db.connect();
  dash = createDashboard({ db: H.url('dash_writer', DB), port: 0, allowCancel: true, refreshMs: 200, log: () => {} });
  dash.url = await dash.start();
});

test.after(async () => {
  if (browser) await browser.close();
  if (dash) await dash.stop();
  if (db) await db.end();
});

test('POST /api/watch and cancel: a body over 64 KB is refused with 413, not 400', async () => {
  const s = await openStream();
  try {
    const pad = 'x'.repeat(70000);
    let r = await post('api/watch', JSON.stringify({ client: s.id, jobs: [], pad }));
    assert.equal(r.status, 413, `a 70 KB body: ${r.status} ${await r.clone().text()}`);
    assert.match((await r.json()).error, /too large/);
    // sent in chunks, without a Content-Length
    const chunks = new ReadableStream({ start(c) { for (let i = 0; i < 8; i++) c.enqueue(new TextEncoder().encode(i ? pad.slice(0, 10000) : '{"pad":"')); c.close(); } });
    r = await fetch(dash.url + 'api/watch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: chunks, duplex: 'half' });
    assert.equal(r.status, 413, 'a chunked body over 64 KB');
    // just under the limit, the same request is answered
    r = await post('api/watch', JSON.stringify({ client: s.id, jobs: [], pad: pad.slice(0, 60000) }));
    assert.equal(r.status, 200);
    // cancel reads its body with the same limit, and sends nothing
    const [{ id }] = await sql(`SELECT jobtrack.create_job('TooLarge') AS id`);
    r = await post(`api/jobs/${id}/cancel`, JSON.stringify({ pad }));
    assert.equal(r.status, 413, `cancel with a 70 KB body: ${r.status} ${await r.clone().text()}`);
    assert.equal(await signals(id), 0, 'a cancel with a body over 64 KB was sent');
  } finally {
    s.close();
  }
});

test('POST /api/watch: a body of the wrong shape is a 400 that says what is wrong', async () => {
  const s = await openStream();
  try {
    const c = s.id;
    const cases = [
      ['not json', /JSON/],
      ['', /JSON/],
      ['null', /JSON object/],
      ['[]', /JSON object/],
      ['"jobs"', /JSON object/],
      ['42', /JSON object/],
      [{ jobs: [] }, /client/],
      [{ client: 5, jobs: [] }, /client/],
      [{ client: null, jobs: [] }, /client/],
      [{ client: c }, /jobs/],
      [{ client: c, jobs: null }, /jobs/],
      [{ client: c, jobs: 1 }, /jobs/],
      [{ client: c, jobs: '1,2' }, /jobs/],
      [{ client: c, jobs: { 0: 1 } }, /jobs/],
      [{ client: c, jobs: [1, null] }, /jobs\[1\]/],
      [{ client: c, jobs: [{}] }, /jobs\[0\]/],
      [{ client: c, jobs: [[1]] }, /jobs\[0\]/],
      [{ client: c, jobs: [true] }, /jobs\[0\]/],
      [{ client: c, jobs: [1.5] }, /jobs\[0\]/],
      [{ client: c, jobs: [-1] }, /jobs\[0\]/],
      [{ client: c, jobs: [0] }, /jobs\[0\]/],
      [{ client: c, jobs: [9007199254740993] }, /jobs\[0\]/], // not exact in a JSON number
      [{ client: c, jobs: ['9223372036854775808'] }, /jobs\[0\]/], // beyond bigint
      [{ client: c, jobs: ['12345678901234567890'] }, /jobs\[0\]/],
      [{ client: c, jobs: ['1 OR true'] }, /jobs\[0\]/],
      [{ client: c, jobs: ['1e3'] }, /jobs\[0\]/],
      [{ client: c, jobs: [' 1'] }, /jobs\[0\]/],
      [{ client: c, jobs: [''] }, /jobs\[0\]/],
      [{ client: c, jobs: Array.from({ length: 201 }, (_, i) => i + 1) }, /200/],
    ];
    const wrong = [];
    for (const [body, message] of cases) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const r = await post('api/watch', text);
      const out = await r.text();
      let error;
      try { error = JSON.parse(out).error; } catch (e) { error = out; }
      if (r.status !== 400 || !message.test(String(error))) wrong.push(`${text.slice(0, 60)} -> ${r.status} ${out.slice(0, 120)}`);
    }
    assert.deepEqual(wrong, [], 'answered other than 400 with a message that names the field');
    // the right shape is answered; an unknown stream is a 404
    let r = await post('api/watch', JSON.stringify({ client: c, jobs: [1, '2', 3] }));
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { ok: true, watching: 3 });
    r = await post('api/watch', JSON.stringify({ client: c, jobs: Array.from({ length: 200 }, (_, i) => i + 1) }));
    assert.deepEqual(await r.json(), { ok: true, watching: 200 });
    r = await post('api/watch', JSON.stringify({ client: 'no-such-stream', jobs: [] }));
    assert.equal(r.status, 404);
  } finally {
    s.close();
  }
});

test('POST /api/watch: ids as JSON numbers or strings (even with leading zeros) are the rows pushed', async () => {
  const [{ a }] = await sql(`SELECT jobtrack.create_job('Watched') AS a`);
  const [{ b }] = await sql(`SELECT jobtrack.create_job('Watched') AS b`);
  await sql(`SELECT jobtrack.start_job(id) FROM unnest(ARRAY[$1, $2]::bigint[]) id`, [a, b]);
  const s = await openStream();
  try {
    const r = await post('api/watch', JSON.stringify({ client: s.id, jobs: [Number(a), '00' + b] }));
    assert.deepEqual(await r.json(), { ok: true, watching: 2 });
    await sql(`SELECT jobtrack.set_progress(id, 42) FROM unnest(ARRAY[$1, $2]::bigint[]) id`, [a, b]);
    const seen = () => new Set(s.messages.flatMap((m) => (m.jobs || []).filter((j) => j.percentage === 42).map((j) => j.id)));
    const t0 = Date.now();
    while (seen().size < 2 && Date.now() - t0 < 3000) await H.sleep(50);
    assert.deepEqual([...seen()].sort(), [String(a), String(b)].sort(), 'the progress of both watched jobs is pushed');
  } finally {
    s.close();
  }
});

test('GET /api/stream?jobs=: a list with anything but job ids is a 400 naming it, and no stream; good ids are pushed', async () => {
  const many = Array.from({ length: 201 }, (_, i) => i + 1).join(',');
  // [the query's value, as sent (already URL-encoded), what the error must name]
  const cases = [
    ['abc', '"abc"'],
    ['1,abc', 'jobs[1]'],
    ['1,,2', 'jobs[1]'],
    ['1,', 'jobs[1]'],
    [',1', 'jobs[0]'],
    ['0', '"0"'],
    ['-1', '"-1"'],
    ['1.5', '"1.5"'],
    ['1e3', '"1e3"'],
    ['%201', '" 1"'],
    ['1%20OR%20true', '"1 OR true"'],
    ['0x10', '"0x10"'],
    ['9223372036854775808', '"9223372036854775808"'], // beyond bigint
    ['12345678901234567890', '"12345678901234567890"'],
    [many, '200'],
    ['1&jobs=2', 'once'],
  ];
  const wrong = [];
  for (const [value, names] of cases) {
    // a stream would never end: a request still open after 3 s was streamed
    const r = await fetch(dash.url + 'api/stream?jobs=' + value, { signal: AbortSignal.timeout(3000) }).catch((e) => e);
    if (r instanceof Error) { wrong.push(`${value.slice(0, 40)} -> ${r.name}`); continue; }
    const type = r.headers.get('content-type');
    if (!/^application\/json/.test(type)) { // an event stream: do not wait for its end
      await r.body.cancel().catch(() => {});
      wrong.push(`${value.slice(0, 40)} -> ${r.status} ${type}`);
      continue;
    }
    const out = await r.text().catch((e) => `(${e.name})`);
    let error;
    try { error = JSON.parse(out).error; } catch (e) { error = undefined; }
    if (r.status !== 400 || typeof error !== 'string' || !error.includes(names)) {
      wrong.push(`${value.slice(0, 40)} -> ${r.status} ${type} ${out.slice(0, 120)}`);
    }
  }
  assert.deepEqual(wrong, [], 'answered other than a JSON 400 whose error names the bad item');

  // what is right still streams: no list, an empty one, 200 ids, and ids with leading zeros, whose rows are pushed
  for (const q of ['', '?jobs=', '?jobs=' + many.split(',').slice(0, 200).join(',')]) (await openStream(q)).close();
  const [{ a }] = await sql(`SELECT jobtrack.create_job('StreamWatched') AS a`);
  const [{ b }] = await sql(`SELECT jobtrack.create_job('StreamWatched') AS b`);
  await sql(`SELECT jobtrack.start_job(id) FROM unnest(ARRAY[$1, $2]::bigint[]) id`, [a, b]);
  const s = await openStream(`?jobs=${a},00${b}`);
  try {
    await sql(`SELECT jobtrack.set_progress(id, 37) FROM unnest(ARRAY[$1, $2]::bigint[]) id`, [a, b]);
    const seen = () => new Set(s.messages.flatMap((m) => (m.jobs || []).filter((j) => j.percentage === 37).map((j) => j.id)));
    const t0 = Date.now();
    while (seen().size < 2 && Date.now() - t0 < 3000) await H.sleep(50);
    assert.deepEqual([...seen()].sort(), [String(a), String(b)].sort(), 'the progress of both jobs of the list is pushed');
  } finally {
    s.close();
  }
});

test('cancel: a body that is not a JSON object is a 400, and nothing is sent', async () => {
  const [{ id }] = await sql(`SELECT jobtrack.create_job('CancelBody') AS id`);
  await sql(`SELECT jobtrack.start_job($1::bigint)`, [id]);
  const wrong = [];
  for (const body of ['null', '[]', '"cancel"', '1', 'not json', '']) {
    const r = await post(`api/jobs/${id}/cancel`, body);
    const out = await r.text();
    if (r.status !== 400 || !/JSON/.test(out)) wrong.push(`${JSON.stringify(body)} -> ${r.status} ${out}`);
  }
  assert.deepEqual(wrong, [], 'a cancel whose body is not a JSON object was not refused with 400');
  assert.equal(await signals(id), 0, 'a cancel was sent for a body that is not a JSON object');
  // the page's own request, {}, is still accepted
  const r = await post(`api/jobs/${id}/cancel`, '{}');
  assert.equal(r.status, 200);
  assert.equal(await signals(id), 1);
});

test('a page that fails to load stops the refresh of the rows the page before it showed', async () => {
  const [{ id }] = await sql(`SELECT jobtrack.create_job('ShownBefore') AS id`);
  await sql(`SELECT jobtrack.start_job($1::bigint)`, [id]);
  browser = await H.launchBrowser();
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  // record the job rows the server pushes to this page (the page itself is unchanged)
  await page.evaluateOnNewDocument(() => {
    const ES = window.EventSource;
    window.__pushed = [];
    window.EventSource = class extends ES {
      constructor(...a) {
        super(...a);
        this.addEventListener('message', (e) => {
          const m = JSON.parse(e.data);
          if (m.jobs) for (const j of m.jobs) window.__pushed.push(j.id);
        });
      }
    };
  });
  await page.goto(dash.url + '#/jobs/' + id, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction((h) => document.body.dataset.ready === h && document.getElementById('live').textContent === 'live', { timeout: 10000 }, '/jobs/' + id);
  // the job's page watches its row: a change is pushed
  await sql(`SELECT jobtrack.set_progress($1::bigint, 10)`, [id]);
  await page.waitForFunction((id) => window.__pushed.includes(id), { timeout: 3000 }, String(id));

  // a job that does not exist: the page fails, and the row shown before is no longer refreshed
  const watched = page.waitForResponse((r) => r.url().endsWith('/api/watch'), { timeout: 3000 }).catch(() => null);
  await page.evaluate(() => { location.hash = '#/jobs/999999999'; });
  await page.waitForSelector('main .error');
  assert.equal(await page.$eval('main .error', (e) => e.textContent), 'Error: job 999999999 does not exist');
  await watched;
  await page.evaluate(() => { window.__pushed = []; });
  await sql(`SELECT jobtrack.set_progress($1::bigint, 70)`, [id]);
  await H.sleep(1500); // seven refreshes of 200 ms
  assert.deepEqual(await page.evaluate(() => window.__pushed), [], `job ${id} was still refreshed for a page that failed`);
  // and the failed page is marked ready, with its error
  assert.equal(await page.evaluate(() => document.body.dataset.ready), '/jobs/999999999');
  assert.equal(await page.evaluate(() => document.body.dataset.error), 'job 999999999 does not exist');
  await page.close();
});
