'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { JobTrack, EventsExpired } = require('..');
const { pgConfig, ensureExtension, restartPostgres, retrying, waitFor, sleep, unique } = require('./helpers');

let jt;
test.before(async () => {
  await ensureExtension();
  jt = new JobTrack(pgConfig());
});
test.after(async () => { await jt.end(); });

async function lastEventId() {
  const r = await jt.query('SELECT COALESCE(max(id), 0)::bigint AS v FROM jobtrack.group_event');
  return Number(r.rows[0].v);
}

/** A group of n jobs that all finish (one fails when fail is true). */
async function runGroup(title, n = 3, fail = false) {
  const g = await retrying(() => jt.groupId(title));
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(await retrying(() => jt.createJob('EvJob', { externalId: `${title}/${i}`, groupId: g })));
  for (const [i, id] of ids.entries()) {
    await retrying(() => jt.startJob(id));
    if (fail && i === 0) await retrying(() => jt.failJob(id, 'planned'));
    else await retrying(() => jt.succeedJob(id));
  }
  return g;
}

test('a slim notification (ids only) is completed from group_events()', async () => {
  const channel = `jt_slim_${unique()}`;
  const start = await lastEventId();
  const got = [];
  const sub = jt.events({ afterId: start, channel, onEvent: (e) => got.push(e) });
  try {
    await waitFor(() => sub.connects === 1, { what: 'connect' });
    const g = await runGroup(`slim ${unique()}`);
    const rows = await waitFor(async () => {
      const ev = (await jt.groupEvents(start)).filter((e) => e.groupId === g);
      return ev.length === 2 && ev;
    }, { what: 'events in the table' });
    assert.equal(got.length, 0, 'nothing arrives on our channel by itself');
    const last = rows[1];
    const notify = (payload) => jt.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify(payload)]);
    await notify({ event: last.event, event_id: last.id, group_id: g, run: 1 });
    await waitFor(() => got.filter((e) => e.groupId === g).length === 2, { what: 'slim events' });
    const mine = got.filter((e) => e.groupId === g);
    assert.deepEqual(mine.map((e) => [e.id, e.event]), rows.map((e) => [e.id, e.event]));
    assert.equal(mine[1].counts.succeeded, 3, 'the counts come from the stored row');
    assert.equal(typeof mine[1].title, 'string');
    // A repeated or older notification is dropped.
    const n = got.length;
    await notify({ event: last.event, event_id: last.id, group_id: g, run: 1 });
    await notify({ ...last.payload, event_id: rows[0].id });
    await sleep(300);
    assert.equal(got.length, n);
    assert.equal(sub.lastId, got[got.length - 1].id);
  } finally {
    await sub.stop();
  }
});

test('every event exactly once, in id order, across a killed connection and a server restart', async () => {
  const start = await lastEventId();
  const got = [];
  const errors = [];
  const sub = jt.events({
    afterId: start,
    onEvent: async (e) => { got.push(e); },
    onError: (e) => errors.push(e),
    minBackoff: 50,
    maxBackoff: 1000,
    pingInterval: 2000,
  });
  const kill = () => retrying(() => jt.query(
    "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'jobtrack-events'"));
  const groups = [];
  const tag = unique();
  try {
    await waitFor(() => sub.connects === 1, { what: 'first connect' });
    for (let i = 0; i < 36; i++) {
      groups.push(await runGroup(`chaos ${tag} ${i}`, 3, i % 5 === 0));
      if (i === 8 || i === 26) {
        const r = await kill();
        assert.ok(r.rows[0].n >= 1, 'the listener was terminated');
      }
      if (i === 17) restartPostgres();
      await sleep(20);
    }
    const mine = new Set(groups);
    const expected = await waitFor(async () => {
      const rows = (await retrying(() => jt.groupEvents(start))).filter((e) => mine.has(e.groupId));
      return rows.length === 2 * groups.length && rows;
    }, { timeout: 60000, what: 'all events stored' });
    await waitFor(() => got.filter((e) => mine.has(e.groupId)).length >= expected.length, { timeout: 30000, what: 'all events delivered' });
    await sleep(300);
    const ids = got.map((e) => e.id);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `ids strictly increasing at ${i}: ${ids[i - 1]}, ${ids[i]}`);
    const mineGot = got.filter((e) => mine.has(e.groupId));
    assert.deepEqual(mineGot.map((e) => [e.id, e.groupId, e.event, e.run]), expected.map((e) => [e.id, e.groupId, e.event, e.run]));
    for (const g of groups) {
      assert.deepEqual(mineGot.filter((e) => e.groupId === g).map((e) => e.event), ['group.started', 'group.completed']);
    }
    assert.ok(sub.connects >= 3, `reconnected (${sub.connects} connects)`);
    assert.ok(errors.length >= 2, 'the cut connections were reported');
  } finally {
    await sub.stop();
  }
});

test("with jobtrack.notify_payload = 'ids' the events still arrive whole", async (t) => {
  const r = await jt.query("SELECT current_setting('jobtrack.notify_payload', true) AS v");
  if (r.rows[0].v == null) { t.skip('this jobtrack has no jobtrack.notify_payload setting'); return; }
  const pg = require('pg');
  const raw = new pg.Client(pgConfig());
  await raw.connect();
  const rawPayloads = [];
  raw.on('notification', (m) => rawPayloads.push(JSON.parse(m.payload)));
  await raw.query('LISTEN jobtrack_events');
  await jt.query("ALTER SYSTEM SET jobtrack.notify_payload = 'ids'");
  await jt.query('SELECT pg_reload_conf()');
  const got = [];
  const sub = jt.events({ afterId: await lastEventId(), onEvent: (e) => got.push(e) });
  try {
    await sleep(1000); // the worker reloads its settings
    await waitFor(() => sub.connects === 1, { what: 'connect' });
    const g = await runGroup(`ids ${unique()}`, 2);
    await waitFor(() => got.filter((e) => e.groupId === g).length === 2, { what: 'events', timeout: 20000 });
    const mine = got.filter((e) => e.groupId === g);
    assert.deepEqual(mine.map((e) => e.event), ['group.started', 'group.completed']);
    assert.equal(mine[1].counts.succeeded, 2);
    assert.ok(mine[1].title.startsWith('ids '));
    const slim = rawPayloads.filter((p) => p.group_id === g);
    assert.equal(slim.length, 2);
    assert.ok(slim.every((p) => p.counts === undefined && p.title === undefined), 'the notifications carried ids only');
  } finally {
    await sub.stop();
    await jt.query('ALTER SYSTEM RESET jobtrack.notify_payload');
    await jt.query('SELECT pg_reload_conf()');
    await raw.end();
  }
});

test('events deleted by retention: EventsExpired (JT001) from the real group_events()', async (t) => {
  const r = await jt.query("SELECT to_regclass('jobtrack.event_horizon') IS NOT NULL AS v");
  if (!r.rows[0].v) { t.skip('this jobtrack keeps every event'); return; }
  await runGroup(`old ${unique()}`, 1);
  await waitFor(async () => (await lastEventId()) > 0, { what: 'an event' });
  await sleep(1100);
  // As a superuser, a retention of one second for one maintenance pass.
  const pg = require('pg');
  const admin = new pg.Client(pgConfig());
  await admin.connect();
  try {
    await admin.query("SET jobtrack.event_retention = '1s'");
    await admin.query('SELECT jobtrack.run_maintenance()');
  } finally {
    await admin.end();
  }
  // (after_id 0 or NULL means every kept event, never an error.)
  await assert.rejects(jt.groupEvents(1), (err) => {
    assert.ok(err instanceof EventsExpired, err.message);
    assert.equal(err.code, 'JT001');
    assert.ok(Number(err.resumeAfter) > 0, `resumeAfter ${err.resumeAfter}`);
    return true;
  });
  const errors = [];
  const sub = jt.events({ afterId: 1, onEvent: () => {}, onError: (e) => errors.push(e) });
  await assert.rejects(sub.done, EventsExpired);
  assert.equal(errors.length, 1);
  await sub.stop();
  // Without afterId: every kept event, no error; and resuming from resumeAfter works.
  const kept = await jt.groupEvents();
  assert.deepEqual((await jt.groupEvents(0)).map((e) => e.id), kept.map((e) => e.id));
  const expired = await jt.groupEvents(1).catch((e) => e);
  const resumed = await jt.groupEvents(expired.resumeAfter);
  assert.deepEqual(resumed.map((e) => e.id), kept.map((e) => e.id));
});
