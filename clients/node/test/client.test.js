'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  JobTrack, JobNotFound, ForbiddenTransition, InvalidInput, EventsExpired, JobtrackError, NotFound,
} = require('..');
const { pgConfig, ensureExtension, withClient, waitFor, unique } = require('./helpers');

let jt;
test.before(async () => {
  await ensureExtension();
  jt = new JobTrack(pgConfig());
});
test.after(async () => { await jt.end(); });

test('a job from creation to success, ids as numbers', async () => {
  const tag = unique();
  const id = await jt.createJob('ImportCsv', { alias: 'nightly', tags: { file: `${tag}.csv`, rows: 1200 }, data: { a: 1 } });
  assert.equal(typeof id, 'number');
  assert.equal(await jt.getStatus(id), 'queued');
  assert.equal(await jt.startJob(id), 'started');
  await jt.setProgress(id, 600, 1200);
  assert.equal(await jt.percentage(id), 50);
  await jt.setProgress(id, { current: 900, total: 1200 });
  assert.equal(await jt.percentage(id), 75);
  await jt.setProgress(id, 80);
  assert.equal(await jt.percentage(id), 80);
  await jt.heartbeat(id);
  const msg = await jt.addMessage(id, 'halfway', 'warning');
  assert.equal(typeof msg, 'number');
  assert.equal(await jt.succeedJob(id), 'succeeded');
  assert.equal(await jt.succeedJob(id), 'succeeded', 'a status set to itself is a no-op');
  const row = await jt.getJob(id);
  assert.equal(row.status, 'succeeded');
  assert.equal(row.percentage, 100);
  assert.equal(row.job_type, 'ImportCsv');
  assert.deepEqual(row.tags, { file: `${tag}.csv`, rows: 1200 });
  assert.deepEqual(row.data, { a: 1 });
});

test('ids as bigint', async () => {
  const jb = new JobTrack({ ...pgConfig(), ids: 'bigint' });
  try {
    const id = await jb.createJob('Big');
    assert.equal(typeof id, 'bigint');
    assert.equal(await jb.startJob(id), 'started');
    assert.equal(await jb.failJob(id, 'timeout'), 'failed');
    assert.equal(await jb.retryJob(id), 'queued');
    const row = await jb.getJob(id);
    assert.equal(row.id, id);
    assert.equal(row.attempts, 2);
    assert.equal(row.failed_reason, null);
    // numbers and digit strings are accepted too
    assert.equal(await jb.getStatus(Number(id)), 'queued');
    assert.equal(await jb.getStatus(String(id)), 'queued');
  } finally {
    await jb.end();
  }
});

test('a job id never reaches the external-id twin', async () => {
  const victim = await jt.createJob('Victim');
  // a job whose external id is the other job's numeric id
  const decoy = await jt.createJob('Decoy', { externalId: String(victim) });
  assert.equal(await jt.startJob(victim), 'started');
  assert.equal(await jt.getStatus(decoy), 'queued');
  assert.equal(await jt.getStatus(victim), 'started');
  assert.equal(await jt.findJob(String(victim)), decoy);
});

test('createJob with an existing external id finds that job and changes nothing', async () => {
  const ext = `ext-${unique()}`;
  const a = await jt.createJob('First', { externalId: ext, tags: { n: 1 } });
  const b = await jt.createJob('Second', { externalId: ext, tags: { n: 2 } });
  assert.equal(a, b);
  const row = await jt.getJob(a);
  assert.equal(row.job_type, 'First');
  assert.equal(await jt.findJob(ext), a);
  assert.equal(await jt.findJob(`missing-${unique()}`), null);
});

test('delay, pause, cancel and set_status', async () => {
  const id = await jt.createJob('Later', { delay: 60000 });
  assert.equal(await jt.getStatus(id), 'delayed');
  assert.equal(await jt.setStatus(id, 'queued'), 'queued');
  assert.equal(await jt.pauseJob(id), 'paused');
  assert.equal(await jt.cancelJob(id), 'cancelled');
  const id2 = await jt.createJob('Later2', { delay: '1 hour' });
  assert.equal(await jt.getStatus(id2), 'delayed');
});

test('errors are Error subclasses carrying the SQLSTATE', async () => {
  await assert.rejects(jt.startJob(2 ** 52), (err) => {
    assert.ok(err instanceof JobNotFound && err instanceof NotFound && err instanceof JobtrackError && err instanceof Error);
    assert.equal(err.code, 'P0002');
    assert.equal(err.sqlstate, 'P0002');
    return true;
  });
  const id = await jt.createJob('Strict');
  await assert.rejects(jt.succeedJob(id), (err) => err instanceof ForbiddenTransition && err.code === '55000' && /queued/.test(err.message));
  await assert.rejects(jt.setProgress(id, 150), (err) => err instanceof InvalidInput && err.code === '22023');
  await assert.rejects(jt.setProgress(id, 5, 2), (err) => err instanceof InvalidInput && err.code === '22023');
  await assert.rejects(jt.createJob(''), (err) => err instanceof InvalidInput && err.code === '22023');
  await assert.rejects(jt.createJob(null), (err) => err instanceof InvalidInput && err.code === '22004');
  await assert.rejects(jt.addMessage(id, 'x', 'loud'), (err) => err instanceof InvalidInput);
  await assert.rejects(jt.createGroup(null), (err) => err instanceof InvalidInput && err.code === '22004');
  await assert.rejects(jt.startJob(1.5), TypeError);
  await assert.rejects(jt.startJob('1; drop'), TypeError);
  assert.equal(await jt.getStatus(id), 'queued', 'a refused call changes nothing');
});

test('signals', async () => {
  const id = await jt.createJob('Signalled');
  await jt.startJob(id);
  const s1 = await jt.sendSignal(id, 'pause', { for: '5m' });
  const s2 = await jt.requestCancel(id);
  assert.ok(s2 > s1);
  const signals = await jt.takeSignals(id);
  assert.deepEqual(signals.map((s) => [s.signal, s.cancel_job]), [['pause', false], ['cancel', true]]);
  assert.deepEqual(signals[0].parameters, { for: '5m' });
  assert.deepEqual(await jt.takeSignals(id), [], 'each signal once');
});

test('groups and their events (the worker raises them)', async () => {
  const title = `import ${unique()}`;
  const g = await jt.groupId(title);
  assert.equal(await jt.groupId(title), g, 'first-or-create');
  await assert.rejects(jt.createGroup(title), (err) => err.code === '23505');
  const g2 = await jt.createGroup(`other ${unique()}`, { payload: { user: 42 }, timeToCheck: 5000 });
  assert.ok(g2 > g);
  assert.deepEqual((await jt.getGroup(g2)).payload, { user: 42 });
  const before = (await jt.groupEvents()).map((e) => e.id);
  const after = before.length ? before[before.length - 1] : 0;
  const a = await jt.createJob('Part', { groupId: g });
  const b = await jt.createJob('Part', { groupId: g });
  await jt.startJob(a);
  await jt.succeedJob(a);
  await jt.startJob(b);
  await jt.failJob(b, 'bad row 7');
  const events = await waitFor(async () => {
    const ev = (await jt.groupEvents(after)).filter((e) => e.groupId === g);
    return ev.length >= 2 && ev;
  }, { what: 'group events', timeout: 20000 });
  assert.deepEqual(events.map((e) => [e.event, e.run]), [['group.started', 1], ['group.completed', 1]]);
  assert.equal(events[1].payload.counts.failed, 1);
  assert.equal(events[1].payload.counts.succeeded, 1);
  assert.deepEqual((await jt.groupJobs(g)).map((j) => j.id), [a, b]);
});

test('group_events past the kept ones surfaces as EventsExpired (JT001)', async () => {
  // The coming version raises JT001; a stand-in jobtrack schema in a database of its own raises it here.
  const db = `jtfake_${unique()}`;
  await withClient('postgres', (c) => c.query(`CREATE DATABASE ${db}`));
  try {
    await withClient(db, async (c) => {
      await c.query('CREATE SCHEMA jobtrack');
      await c.query(`CREATE TABLE jobtrack.group_event (id bigint, group_id bigint, run int, event text,
                       created_at timestamptz DEFAULT now(), payload jsonb)`);
      await c.query(`CREATE FUNCTION jobtrack.group_events(after_id bigint DEFAULT 0) RETURNS SETOF jobtrack.group_event
        LANGUAGE plpgsql AS $$
        BEGIN
          IF after_id < 42 THEN
            RAISE EXCEPTION 'group events after % have expired', after_id
              USING ERRCODE = 'JT001', DETAIL = 'The oldest kept event is 42.';
          END IF;
          RETURN QUERY SELECT * FROM jobtrack.group_event WHERE id > after_id ORDER BY id;
        END $$`);
    });
    const jf = new JobTrack(pgConfig(db));
    try {
      await assert.rejects(jf.groupEvents(5), (err) => {
        assert.ok(err instanceof EventsExpired && err instanceof JobtrackError);
        assert.equal(err.code, 'JT001');
        assert.equal(err.oldestId, '42');
        assert.equal(err.resumeAfter, '41');
        return true;
      });
      assert.deepEqual(await jf.groupEvents(42), []);
      // The subscription stops with EventsExpired instead of looping.
      const errors = [];
      const sub = jf.events({ afterId: 5, onEvent: () => {}, onError: (e) => errors.push(e), minBackoff: 10 });
      await assert.rejects(sub.done, EventsExpired);
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof EventsExpired);
      assert.equal(sub.connects, 0);
      await sub.stop();
    } finally {
      await jf.end();
    }
  } finally {
    await withClient('postgres', (c) => c.query(`DROP DATABASE ${db} WITH (FORCE)`));
  }
});
