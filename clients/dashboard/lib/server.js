'use strict';
// jobtrack dashboard server: a small HTTP server beside the database.
//
// - REST-ish JSON under /api, static assets from ../public.
// - Live updates: one connection LISTENs on the jobtrack events channel; a
//   notification is only a hint: the server reads what happened with
//   jobtrack.group_events(after_id) and the affected groups' rows and counts,
//   batches everything that arrived within `batchMs`, and pushes it to the
//   browsers over server-sent events (/api/stream).
// - Job progress is not notified by jobtrack: for the job rows a browser is
//   showing (at most 200 per browser), the server re-reads those rows by
//   primary key every `refreshMs` and pushes only the ones that changed.
//   Groups are never polled.
// - Read-only by default: every session runs with
//   default_transaction_read_only = on. With allowCancel the server checks
//   whether its role may write (INSERT on job_signal, EXECUTE on
//   request_cancel) and only then sends request_cancel.

const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { Pool, Client } = require('pg');

const PUBLIC = path.join(__dirname, '..', 'public');
const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
};
const STATUSES = ['queued', 'delayed', 'started', 'paused', 'stuck', 'succeeded', 'failed', 'cancelled'];
const TAG_OPS = ['=', '!=', '<', '<=', '>', '>='];
const PAGE = 100;
const TITLE_MAX = 300;
const BODY_MAX = 65536; // bytes of a POST body
const WATCH_MAX = 200; // job rows one browser may have refreshed

const GROUP_COLS = `g.id::text AS id, pg_catalog.left(g.title, ${TITLE_MAX}) AS title,
  pg_catalog.length(g.title) > ${TITLE_MAX} AS title_truncated, g.status::text AS status, g.run,
  g.created_at, g.started_at, g.completed_at,
  COALESCE(c.queued, 0)::int8 AS queued, COALESCE(c.delayed, 0)::int8 AS delayed,
  COALESCE(c.started, 0)::int8 AS started, COALESCE(c.paused, 0)::int8 AS paused,
  COALESCE(c.stuck, 0)::int8 AS stuck, COALESCE(c.succeeded, 0)::int8 AS succeeded,
  COALESCE(c.failed, 0)::int8 AS failed, COALESCE(c.cancelled, 0)::int8 AS cancelled`;
const GROUP_FROM = `FROM jobtrack.job_group g LEFT JOIN jobtrack.group_count c ON c.group_id = g.id`;
const JOB_LIST_COLS = `j.id::text AS id, j.external_id, j.job_type, j.alias, j.group_id::text AS group_id,
  j.tags, j.status::text AS status, j.percentage::float8 AS percentage, j.attempts,
  j.created_at, j.started_at, j.finished_at, j.heartbeat_at, j.updated_at`;

function quoteIdent(s) {
  return '"' + String(s).replace(/"/g, '""') + '"';
}

function groupRow(r) {
  for (const k of ['queued', 'delayed', 'started', 'paused', 'stuck', 'succeeded', 'failed', 'cancelled']) r[k] = Number(r[k]);
  r.total = r.queued + r.delayed + r.started + r.paused + r.stuck + r.succeeded + r.failed + r.cancelled;
  r.finished = r.succeeded + r.failed + r.cancelled;
  return r;
}

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// a job id of a request body, as the SQL uses it ($1::bigint[] of text, and
// the same text as the rows' id::text): a JSON number that is an exact
// positive integer, or a string of 1 to 18 digits (every one fits a bigint);
// returned as the row id's text, without leading zeros. null if it is not one.
function jobIdOf(v) {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? String(v) : null;
  if (typeof v === 'string' && /^[0-9]{1,18}$/.test(v) && BigInt(v) > 0n) return BigInt(v).toString();
  return null;
}

// a JSON object, as a POST body must be (not null, an array or a scalar)
function isJsonObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// the body of POST /api/watch: { client: the stream's id, jobs: [job id, ...] }
function checkWatchBody(body) {
  if (!isJsonObject(body)) {
    throw new HttpError(400, 'send a JSON object: {"client": the id the event stream sent, "jobs": [job ids]}');
  }
  if (typeof body.client !== 'string' || body.client === '') throw new HttpError(400, 'client must be the id the event stream sent (a string)');
  if (!Array.isArray(body.jobs)) throw new HttpError(400, 'jobs must be an array of job ids');
  if (body.jobs.length > WATCH_MAX) throw new HttpError(400, `jobs may hold at most ${WATCH_MAX} job ids`);
  const jobs = body.jobs.map((v, i) => {
    const id = jobIdOf(v);
    if (id === null) throw new HttpError(400, `jobs[${i}] is not a job id (a positive integer: a JSON number, or a string of up to 18 digits): ${JSON.stringify(v)}`);
    return id;
  });
  return { client: body.client, jobs };
}

// the ?jobs= of /api/stream: a comma-separated list of at most WATCH_MAX job
// ids, checked as strictly as the jobs of POST /api/watch: an item that is not
// a job id (an empty one included), too many items or the parameter given
// twice is a 400 naming it, never an id left out. Absent or empty: no jobs.
function streamJobs(u) {
  const given = u.searchParams.getAll('jobs');
  if (given.length > 1) throw new HttpError(400, 'jobs must be given once, as a comma-separated list of job ids');
  if (!given[0]) return [];
  const parts = given[0].split(',');
  if (parts.length > WATCH_MAX) throw new HttpError(400, `jobs may hold at most ${WATCH_MAX} job ids (${parts.length} given)`);
  return parts.map((part, i) => {
    const id = jobIdOf(part);
    if (id !== null) return id;
    throw new HttpError(400, `jobs[${i}] is not a job id (a positive integer of up to 18 digits): ${JSON.stringify(part)}`);
  });
}

function createDashboard(opts) {
  const o = Object.assign({
    host: '127.0.0.1', port: 5599, allowCancel: false, channel: 'jobtrack_events',
    batchMs: 50, refreshMs: 1000, log: (...a) => console.error(...a),
  }, opts);
  if (!o.db) throw new Error('a connection string is required');
  const pgOptions = o.allowCancel ? undefined : '-c default_transaction_read_only=on';
  const pool = new Pool({ connectionString: o.db, max: 6, options: pgOptions, application_name: 'jobtrack-dashboard' });
  pool.on('error', (e) => o.log('jobtrack-dashboard: idle connection error:', e.message));

  const state = {
    role: null, canCancel: false, cancelReason: 'the dashboard runs read-only (start it with --allow-cancel and a role that may write)',
    lastEventId: 0, listening: false,
  };
  const clients = new Map(); // id -> { res, jobs: Set<string> }
  const jobCache = new Map(); // job id -> JSON of last pushed row
  let listener = null, closing = false, flushTimer = null, flushing = false, flushAgain = false;
  let refreshTimer = null, refreshing = false, reconnectTimer = null, positioned = false;

  async function q(text, params) { return (await pool.query(text, params)).rows; }

  // ------------------------------------------------------------ start-up

  async function inspectRole() {
    const [r] = await q(`SELECT current_user::text AS role,
        pg_catalog.has_function_privilege('jobtrack.request_cancel(bigint)', 'EXECUTE') AS exec,
        pg_catalog.has_table_privilege('jobtrack.job_signal', 'INSERT') AS ins,
        pg_catalog.pg_is_in_recovery() AS standby`);
    state.role = r.role;
    if (!o.allowCancel) {
      state.canCancel = false;
    } else if (r.standby) {
      state.canCancel = false;
      state.cancelReason = 'the database is a standby';
    } else if (!r.exec || !r.ins) {
      state.canCancel = false;
      state.cancelReason = `role ${r.role} may not write: it needs EXECUTE on jobtrack.request_cancel(bigint) and INSERT on jobtrack.job_signal`;
    } else {
      state.canCancel = true;
      state.cancelReason = null;
    }
  }

  async function startListener() {
    const c = new Client({ connectionString: o.db, options: '-c default_transaction_read_only=on', application_name: 'jobtrack-dashboard listener' });
    c.on('notification', (msg) => {
      let id = 0;
      try { id = Number(JSON.parse(msg.payload).event_id) || 0; } catch (e) { /* a hint only */ }
      if (id === 0 || id > state.lastEventId) scheduleFlush();
    });
    c.on('error', (e) => { o.log('jobtrack-dashboard: listener error:', e.message); });
    c.on('end', () => {
      state.listening = false;
      if (listener === c) { listener = null; scheduleReconnect(); }
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${quoteIdent(o.channel)}`);
    } catch (e) {
      c.end().catch(() => {});
      throw e;
    }
    listener = c;
    state.listening = true;
    if (!positioned) {
      const [r] = await q('SELECT COALESCE(max(id), 0)::text AS id FROM jobtrack.group_event');
      state.lastEventId = Number(r.id);
      positioned = true;
    } else {
      scheduleFlush(); // catch up on what was missed while disconnected
    }
  }

  function scheduleReconnect() {
    if (closing) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(async () => {
      try { await startListener(); } catch (e) {
        o.log('jobtrack-dashboard: reconnecting the listener failed:', e.message);
        scheduleReconnect();
      }
    }, 1000);
  }

  // ------------------------------------------------------------ live events

  function scheduleFlush() {
    if (flushing) { flushAgain = true; return; }
    if (flushTimer) return;
    flushTimer = setTimeout(runFlush, o.batchMs);
  }

  async function runFlush() {
    flushTimer = null;
    flushing = true;
    try {
      for (;;) {
        flushAgain = false;
        let events;
        try {
          events = await q(`SELECT id::text AS id, group_id::text AS group_id, run, event, created_at, payload
              FROM jobtrack.group_events($1::bigint) LIMIT 2000`, [String(state.lastEventId)]);
        } catch (e) {
          if (e.code === 'JT001') { // events aged out: resync to the newest
            const [r] = await q('SELECT COALESCE(max(id), 0)::text AS id FROM jobtrack.group_event');
            state.lastEventId = Number(r.id);
            broadcast({ resync: true, lastEventId: state.lastEventId });
            break;
          }
          throw e;
        }
        if (events.length === 0) break;
        state.lastEventId = Number(events[events.length - 1].id);
        const ids = [...new Set(events.map((e) => e.group_id))];
        const groups = (await q(`SELECT ${GROUP_COLS} ${GROUP_FROM} WHERE g.id = ANY($1::bigint[])`, [ids])).map(groupRow);
        for (const e of events) {
          // what the browser needs of the payload; titles are in the group rows
          e.counts = e.payload && e.payload.counts ? e.payload.counts : null;
          delete e.payload;
        }
        broadcast({ events, groups, lastEventId: state.lastEventId });
        if (events.length < 2000 && !flushAgain) break;
      }
    } catch (e) {
      o.log('jobtrack-dashboard: reading group events failed:', e.message);
    } finally {
      flushing = false;
      if (flushAgain) scheduleFlush();
    }
  }

  function send(cl, obj) {
    cl.res.write(`data: ${JSON.stringify(obj)}\n\n`);
  }

  function broadcast(obj) {
    if (clients.size === 0) return;
    const line = `data: ${JSON.stringify(obj)}\n\n`;
    for (const cl of clients.values()) cl.res.write(line);
  }

  // the low-rate refresh of the job rows browsers show (jobtrack does not notify progress)
  async function refreshJobs() {
    if (refreshing || clients.size === 0) return;
    const want = new Set();
    for (const cl of clients.values()) for (const id of cl.jobs) want.add(id);
    if (want.size === 0) return;
    refreshing = true;
    try {
      const rows = await q(`SELECT ${JOB_LIST_COLS}, j.failed_reason FROM jobtrack.job_status j WHERE j.id = ANY($1::bigint[])`, [[...want]]);
      const changed = new Map();
      for (const r of rows) {
        const s = JSON.stringify(r);
        if (jobCache.get(r.id) !== s) { jobCache.set(r.id, s); changed.set(r.id, r); }
      }
      for (const id of jobCache.keys()) if (!want.has(id)) jobCache.delete(id);
      if (changed.size) {
        for (const cl of clients.values()) {
          const mine = [];
          for (const id of cl.jobs) if (changed.has(id)) mine.push(changed.get(id));
          if (mine.length) send(cl, { jobs: mine });
        }
      }
    } catch (e) {
      o.log('jobtrack-dashboard: refreshing job rows failed:', e.message);
    } finally {
      refreshing = false;
    }
  }

  // ------------------------------------------------------------ API

  async function apiInfo() {
    return { role: state.role, canCancel: state.canCancel, cancelReason: state.cancelReason,
      readOnly: !o.allowCancel, lastEventId: state.lastEventId, listening: state.listening,
      refreshMs: o.refreshMs, statuses: STATUSES, tagOps: TAG_OPS };
  }

  async function apiGroups(u) {
    const status = u.searchParams.get('status') || 'open';
    const before = u.searchParams.get('before');
    const where = [];
    const params = [];
    if (status === 'open') where.push(`g.status <> 'completed'::jobtrack.group_status`);
    else if (['pending', 'running', 'completed'].includes(status)) { params.push(status); where.push(`g.status = $${params.length}::jobtrack.group_status`); }
    else if (status !== 'all') throw new HttpError(400, 'status must be open, pending, running, completed or all');
    if (before) {
      if (!/^[0-9]{1,18}$/.test(before)) throw new HttpError(400, 'before must be a group id');
      params.push(before); where.push(`g.id < $${params.length}::bigint`);
    }
    const w = where.length ? 'WHERE ' + where.join(' AND ') : '';
    const groups = (await q(`SELECT ${GROUP_COLS} ${GROUP_FROM} ${w} ORDER BY g.id DESC LIMIT ${PAGE + 1}`, params)).map(groupRow);
    const more = groups.length > PAGE;
    if (more) groups.pop();
    const [cnt] = await q(`SELECT count(*)::int8 AS open FROM jobtrack.job_group g WHERE g.status <> 'completed'::jobtrack.group_status`);
    return { groups, more, open: Number(cnt.open), lastEventId: state.lastEventId };
  }

  async function apiGroup(id) {
    const [g] = await q(`SELECT ${GROUP_COLS.replace(`pg_catalog.left(g.title, ${TITLE_MAX})`, 'g.title')}, g.payload, g.time_to_check::text AS time_to_check, g.owner::text AS owner ${GROUP_FROM} WHERE g.id = $1::bigint`, [id]);
    if (!g) throw new HttpError(404, `group ${id} does not exist`);
    groupRow(g);
    const events = await q(`SELECT e.id::text AS id, e.run, e.event, e.created_at, e.payload->'counts' AS counts
        FROM jobtrack.group_event e WHERE e.group_id = $1::bigint ORDER BY e.id DESC LIMIT 200`, [id]);
    const jobs = await q(`SELECT ${JOB_LIST_COLS} FROM jobtrack.in_group($1::bigint) j ORDER BY j.id DESC LIMIT ${PAGE}`, [id]);
    return { group: g, events, jobs, lastEventId: state.lastEventId };
  }

  async function apiJobs(u) {
    const sp = u.searchParams;
    const scopes = [];
    const params = [];
    const p = (v) => { params.push(v); return `$${params.length}`; };
    if (sp.get('type')) scopes.push(`jobtrack.for_job(${p(sp.get('type'))}::text)`);
    if (sp.get('alias')) scopes.push(`jobtrack.for_job_alias(${p(sp.get('alias'))}::text)`);
    if (sp.get('tag')) {
      const op = sp.get('op') || '=';
      if (!TAG_OPS.includes(op)) throw new HttpError(400, 'op must be one of ' + TAG_OPS.join(' '));
      scopes.push(`jobtrack.where_tag(${p(sp.get('tag'))}::text, ${p(op)}::text, ${p(sp.get('value') || '')}::text)`);
    }
    if (sp.get('status')) {
      const st = sp.get('status').split(',').filter(Boolean);
      for (const s of st) if (!STATUSES.includes(s)) throw new HttpError(400, `unknown status ${s}`);
      if (st.length) scopes.push(`jobtrack.where_status(VARIADIC ${p(st)}::jobtrack.status[])`);
    }
    if (sp.get('group')) {
      if (!/^[0-9]{1,18}$/.test(sp.get('group'))) throw new HttpError(400, 'group must be a group id');
      scopes.push(`jobtrack.in_group(${p(sp.get('group'))}::bigint)`);
    }
    if (scopes.length === 0) scopes.push('jobtrack.job_status');
    let sql = `SELECT ${JOB_LIST_COLS} FROM ${scopes[0]} j`;
    scopes.slice(1).forEach((s, i) => { sql += ` JOIN ${s} s${i} ON s${i}.id = j.id`; });
    const before = sp.get('before');
    if (before) {
      if (!/^[0-9]{1,18}$/.test(before)) throw new HttpError(400, 'before must be a job id');
      sql += ` WHERE j.id < ${p(before)}::bigint`;
    }
    sql += ` ORDER BY j.id DESC LIMIT ${PAGE + 1}`;
    const jobs = await q(sql, params);
    const more = jobs.length > PAGE;
    if (more) jobs.pop();
    return { jobs, more };
  }

  async function apiJob(id) {
    const [job] = await q(`SELECT ${JOB_LIST_COLS}, j.data, j.failed_reason, j.available_at, j.progress_current::text AS progress_current,
        j.progress_total::text AS progress_total, j.owner::text AS owner,
        (SELECT pg_catalog.left(g.title, ${TITLE_MAX}) FROM jobtrack.job_group g WHERE g.id = j.group_id) AS group_title
        FROM jobtrack.job_status j WHERE j.id = $1::bigint`, [id]);
    if (!job) throw new HttpError(404, `job ${id} does not exist`);
    const messages = await q(`SELECT m.id::text AS id, m.level::text AS level, m.message, m.created_at
        FROM jobtrack.job_message m WHERE m.job_id = $1::bigint ORDER BY m.id LIMIT 500`, [id]);
    const signals = await q(`SELECT s.id::text AS id, s.signal, s.parameters, s.cancel_job, s.created_at, s.handled_at
        FROM jobtrack.job_signal s WHERE s.job_id = $1::bigint ORDER BY s.id LIMIT 500`, [id]);
    return { job, messages, signals, canCancel: state.canCancel, cancelReason: state.cancelReason };
  }

  async function apiCancel(id, req) {
    // same-origin only: browsers send Origin on POST; a form from another site cannot set JSON
    const origin = req.headers.origin;
    if (origin && origin !== `http://${req.headers.host}`) throw new HttpError(403, 'cross-origin request refused');
    // a dashboard that may not cancel says so whatever the request holds
    if (!state.canCancel) throw new HttpError(403, `cancel refused: ${state.cancelReason}`);
    if (!String(req.headers['content-type'] || '').startsWith('application/json')) throw new HttpError(415, 'send application/json');
    const body = await readJson(req);
    if (!isJsonObject(body)) throw new HttpError(400, 'send a JSON object ({})');
    try {
      const [r] = await q('SELECT jobtrack.request_cancel($1::bigint)::text AS signal_id', [id]);
      return { ok: true, signalId: r.signal_id };
    } catch (e) {
      if (e.code === '42501' || e.code === '25006') throw new HttpError(403, `cancel refused by the database: ${e.message}`);
      if (e.code === 'P0002') throw new HttpError(404, e.message);
      throw e;
    }
  }

  // the body as text; a 413 when it is over BODY_MAX bytes (the rest is not
  // kept, and the 413 closes the connection: see json())
  function readBody(req) {
    return new Promise((resolve, reject) => {
      const tooLarge = () => new HttpError(413, `body too large (at most ${BODY_MAX} bytes)`);
      if (Number(req.headers['content-length']) > BODY_MAX) { reject(tooLarge()); return; }
      let n = 0, over = false; const chunks = [];
      req.on('data', (c) => {
        if (over) return;
        n += c.length;
        if (n > BODY_MAX) { over = true; chunks.length = 0; reject(tooLarge()); } else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  // the body parsed as JSON: a 413 from readBody stays a 413, text that is not JSON is a 400
  async function readJson(req) {
    const text = await readBody(req);
    try { return JSON.parse(text); } catch (e) { throw new HttpError(400, `send JSON: ${e.message}`); }
  }

  function stream(req, res, u) {
    const jobs = streamJobs(u); // before anything is sent: a bad list is a 400, and no stream
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff', Connection: 'keep-alive',
    });
    const id = crypto.randomBytes(12).toString('hex');
    const cl = { res, jobs: new Set(jobs) };
    clients.set(id, cl);
    res.write('retry: 1000\n\n');
    send(cl, { hello: id, lastEventId: state.lastEventId });
    const ping = setInterval(() => res.write(': ping\n\n'), 15000);
    req.on('close', () => { clearInterval(ping); clients.delete(id); });
  }

  async function watch(req) {
    const body = checkWatchBody(await readJson(req));
    const cl = clients.get(body.client);
    if (!cl) throw new HttpError(404, 'unknown stream');
    cl.jobs = new Set(body.jobs);
    return { ok: true, watching: cl.jobs.size };
  }

  function securityHeaders(type) {
    return {
      'Content-Type': type, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY', 'Cache-Control': 'no-store',
      'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    };
  }

  function json(res, status, obj) {
    const headers = securityHeaders('application/json; charset=utf-8');
    // a body over the limit was not read to its end: close the connection after the answer
    if (status === 413) headers.Connection = 'close';
    res.writeHead(status, headers);
    res.end(JSON.stringify(obj));
  }

  // a page of another site that makes its name resolve to 127.0.0.1 (DNS
  // rebinding) sends its own name as Host: answer only to the names we serve
  const allowedHosts = new Set(['127.0.0.1', 'localhost', '[::1]', String(o.host).includes(':') ? `[${o.host}]` : String(o.host),
    ...String(o.allowedHosts || '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)]);
  function hostAllowed(req) {
    const hh = String(req.headers.host || '').toLowerCase();
    const name = hh.startsWith('[') ? hh.slice(0, hh.indexOf(']') + 1) : hh.split(':')[0];
    return allowedHosts.has(name);
  }

  async function handle(req, res) {
    const u = new URL(req.url, 'http://localhost');
    const p = u.pathname;
    if (!hostAllowed(req)) return json(res, 421, { error: 'unknown Host; start the dashboard with --allowed-host NAME to serve it under that name' });
    try {
      if (req.method === 'GET' && STATIC[p]) {
        const [file, type] = STATIC[p];
        res.writeHead(200, securityHeaders(type));
        res.end(fs.readFileSync(path.join(PUBLIC, file)));
        return;
      }
      if (req.method === 'GET' && p === '/favicon.ico') { res.writeHead(204); res.end(); return; }
      if (req.method === 'GET' && p === '/api/stream') return stream(req, res, u);
      let m, out;
      if (req.method === 'GET' && p === '/api/info') out = await apiInfo();
      else if (req.method === 'GET' && p === '/api/groups') out = await apiGroups(u);
      else if (req.method === 'GET' && (m = p.match(/^\/api\/groups\/([0-9]{1,18})$/))) out = await apiGroup(m[1]);
      else if (req.method === 'GET' && p === '/api/jobs') out = await apiJobs(u);
      else if (req.method === 'GET' && (m = p.match(/^\/api\/jobs\/([0-9]{1,18})$/))) out = await apiJob(m[1]);
      else if (req.method === 'POST' && (m = p.match(/^\/api\/jobs\/([0-9]{1,18})\/cancel$/))) out = await apiCancel(m[1], req);
      else if (req.method === 'POST' && p === '/api/watch') out = await watch(req);
      else throw new HttpError(404, 'not found');
      json(res, 200, out);
    } catch (e) {
      if (e instanceof HttpError) return json(res, e.status, { error: e.message });
      if (e.code && /^(22|42P01|42883|P0002)/.test(e.code)) return json(res, 400, { error: e.message, sqlstate: e.code });
      o.log('jobtrack-dashboard:', e.message);
      json(res, 500, { error: 'internal error: ' + e.message, sqlstate: e.code });
    }
  }

  const server = http.createServer((req, res) => { handle(req, res); });

  return {
    state, server, pool,
    async start() {
      await inspectRole();
      await startListener();
      if (o.refreshMs > 0) refreshTimer = setInterval(refreshJobs, o.refreshMs);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host, resolve);
      });
      const a = server.address();
      this.url = `http://${a.address}:${a.port}/`;
      return this.url;
    },
    async stop() {
      closing = true;
      clearInterval(refreshTimer); clearTimeout(flushTimer); clearTimeout(reconnectTimer);
      for (const cl of clients.values()) cl.res.end();
      clients.clear();
      server.closeAllConnections && server.closeAllConnections();
      await new Promise((r) => server.close(() => r()));
      if (listener) await listener.end().catch(() => {});
      await pool.end().catch(() => {});
    },
  };
}

module.exports = { createDashboard };
