'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { FlowProducer } = require('bullmq');
const { trackQueue } = require('..');
const { redisConnection, waitFor, sleep, unique } = require('./helpers');
const { bridgeFixture } = require('./bridge-fixture');

let jt;
let redis;
const F = bridgeFixture(test, (f) => { ({ jt, redis } = f); });
const { queue, worker, rowOf, caughtUp } = F;

test('the bridge finds its rows through the external ids\' index, never by reading every job', async () => {
  const { LOCK_ROWS_SQL } = require('../lib/bullmq');
  const c = await jt.pool.connect();
  try {
    await c.query('BEGIN');
    // with sequential scans priced out, a plan that still reads job_status whole has no index to use
    await c.query('SET LOCAL enable_seqscan = off');
    const plan = (await c.query(`EXPLAIN ${LOCK_ROWS_SQL}`, [['bull:x:1', 'bull:x:2']])).rows.map((r) => r['QUERY PLAN']).join('\n');
    assert.doesNotMatch(plan, /Seq Scan on job_status/, plan);
    assert.match(plan, /job_external_id_pkey/, plan);
  } finally {
    await c.query('ROLLBACK');
    c.release();
  }
});

test('every BullMQ state reaches jobtrack, with the job code unchanged', async () => {
  const name = `t_${unique()}`;
  const q = queue(name);
  const bridge = trackQueue(q, { pool: jt.pool, data: true });
  F.closeAfter(() => bridge.close());
  await bridge.ready;
  worker(name, async (job) => {
    const d = job.data;
    if (d.progress) {
      await job.updateProgress(40);
      await job.updateProgress({ current: 3, total: 4 });
    }
    if (d.percent != null) await job.updateProgress(d.percent);
    if (d.failTimes && job.attemptsMade < d.failTimes) throw new Error(`boom ${job.attemptsMade + 1}`);
    if (d.hold) await sleep(d.hold);
    return 'ok';
  });
  const ok = await q.add('Plain', { n: 1 });
  const retried = await q.add('Flaky', { failTimes: 2 }, { attempts: 3 });
  const failed = await q.add('Doomed', { failTimes: 9 }, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });
  const prog = await q.add('Progress', { progress: true, hold: 4000 });
  const pct = await q.add('Percent', { percent: 42.5, hold: 4000 });
  const later = await q.add('Later', {}, { delay: 600000 });
  const gone = await q.add('Gone', {}, { delay: 600000 });
  await waitFor(async () => (await q.getJobCounts('completed', 'failed')).completed === 2 && (await q.getJobCounts('failed')).failed === 1
    && (await q.getJobState(prog.id)) === 'active' && (await q.getJobState(pct.id)) === 'active', { what: 'jobs processed' });
  await gone.remove();
  await caughtUp(bridge);
  // A percentage with a fraction reaches the row as it is, while the job runs.
  let r = await waitFor(async () => { const x = await rowOf(q, pct.id); return x?.percentage === 42.5 && x; },
    { what: 'a fractional percentage' });
  assert.equal(r.status, 'started');
  await waitFor(async () => (await rowOf(q, prog.id))?.progress_total === 4, { what: 'progress' });
  r = await rowOf(q, prog.id);
  assert.equal(r.status, 'started');
  assert.equal(r.percentage, 75);
  assert.equal(r.progress_current, 3);
  await waitFor(async () => (await q.getJobState(prog.id)) === 'completed' && (await q.getJobState(pct.id)) === 'completed',
    { what: 'progress jobs done' });
  await caughtUp(bridge);

  r = await rowOf(q, ok.id);
  assert.deepEqual([r.status, r.attempts, r.job_type], ['succeeded', 1, 'Plain']);
  assert.deepEqual(r.tags, { queue: name, bullmq_id: ok.id });
  assert.deepEqual(r.data, { n: 1 });
  r = await rowOf(q, retried.id);
  assert.deepEqual([r.status, r.attempts, r.failed_reason], ['succeeded', 3, null]);
  r = await rowOf(q, failed.id);
  assert.deepEqual([r.status, r.attempts, r.failed_reason], ['failed', 2, 'boom 2']);
  r = await rowOf(q, prog.id);
  assert.deepEqual([r.status, r.percentage], ['succeeded', 100]);
  r = await rowOf(q, pct.id);
  assert.deepEqual([r.status, r.percentage], ['succeeded', 100]);
  r = await rowOf(q, later.id);
  assert.equal(r.status, 'delayed');
  assert.ok(r.available_at > new Date(Date.now() + 500000));
  r = await rowOf(q, gone.id);
  assert.equal(r.status, 'cancelled', 'a removed job is cancelled');
  const fresh = await q.getJob(failed.id);
  assert.equal(fresh.attemptsMade, 2);
  assert.equal(fresh.failedReason, 'boom 2');
});

/** Run `jobs` ([name, data, opts]) to their end with the bridge stopped, then bridge the queue. */
async function bridgedAfterTheFact(jobs) {
  const name = `tr_${unique()}`;
  const q = queue(name);
  worker(name, async (job) => { if (job.data.fail) throw new Error('bad input'); });
  const added = await q.addBulk(jobs.map(([n, data, opts]) => ({ name: n, data, opts })));
  await waitFor(async () => {
    for (const j of added) if (await q.getJob(j.id)) return false;
    return true;
  }, { what: 'every job finished and removed' });
  // The bridge starts afterwards: the jobs are gone from Redis, only the stream says how they ended.
  const bridge = trackQueue(q, { pool: jt.pool });
  F.closeAfter(() => bridge.close());
  await bridge.ready;
  await caughtUp(bridge);
  return Promise.all(added.map((j) => rowOf(q, j.id)));
}

test('a job removed on completion ends in jobtrack as succeeded', async () => {
  const [r] = await bridgedAfterTheFact([['Done', {}, { removeOnComplete: true }]]);
  assert.deepEqual([r.job_type, r.status, r.attempts], ['Done', 'succeeded', 1]);
});

// BullMQ 5 writes a "retries-exhausted" entry (with attemptsMade) after the
// final "failed": the failed entry says how the job ended, the other only how
// many attempts it took.
test('a job removed on failure ends in jobtrack as failed, with its reason', async () => {
  const [once, twice] = await bridgedAfterTheFact([
    ['Bad', { fail: true }, { removeOnFail: true }],
    ['Worse', { fail: true }, { removeOnFail: true, attempts: 2 }],
  ]);
  assert.deepEqual([once.job_type, once.status, once.attempts, once.failed_reason], ['Bad', 'failed', 1, 'bad input']);
  assert.deepEqual([twice.job_type, twice.status, twice.attempts, twice.failed_reason], ['Worse', 'failed', 2, 'bad input']);
});

test('a custom jobId used again after its job was removed names the same row', async () => {
  const name = `t_${unique()}`;
  const q = queue(name);
  const bridge = F.bridgeOf(q);
  const mismatches = [];
  bridge.on('mismatch', (m) => mismatches.push(m));
  await bridge.ready;
  const w = worker(name, async (job) => { if (job.data.fail) throw new Error('no'); return 'ok'; });
  await q.add('First', {}, { jobId: 'done' });
  await q.add('First', { fail: true }, { jobId: 'broken' });
  await waitFor(async () => (await q.getJobState('done')) === 'completed' && (await q.getJobState('broken')) === 'failed',
    { what: 'the first jobs ended' });
  await w.close();
  await (await q.getJob('done')).remove();
  await (await q.getJob('broken')).remove();
  // the same ids again, left waiting: no worker runs them
  await q.add('Second', {}, { jobId: 'done' });
  await q.add('Second', {}, { jobId: 'broken' });
  await caughtUp(bridge);
  // after a success: succeeded is final, the new job is reported and not mirrored
  const done = await rowOf(q, 'done');
  assert.deepEqual([done.job_type, done.status, done.attempts], ['First', 'succeeded', 1]);
  assert.deepEqual(mismatches.map((m) => [m.key, m.jobtrack, m.bullmq]), [[`bull:${name}:done`, 'succeeded', 'waiting']]);
  // after a failure: the new job is a retry of the row
  const broken = await rowOf(q, 'broken');
  assert.deepEqual([broken.job_type, broken.status, broken.attempts], ['First', 'queued', 2]);
});

test('two queues with the same job ids never collide', async () => {
  const a = queue(`ta_${unique()}`);
  const b = queue(`tb_${unique()}`);
  const ba = trackQueue(a, { pool: jt.pool });
  const bb = trackQueue(b, { pool: jt.pool });
  F.closeAfter(() => ba.close(), () => bb.close());
  await a.add('A', {}, { jobId: 'same' });
  await b.add('B', {}, { jobId: 'same' });
  await caughtUp(ba);
  await caughtUp(bb);
  assert.equal((await rowOf(a, 'same')).job_type, 'A');
  assert.equal((await rowOf(b, 'same')).job_type, 'B');
});

test('a flow parent becomes a group; group.completed when its children are done', async () => {
  const name = `tf_${unique()}`;
  const q = queue(name);
  const flow = new FlowProducer({ connection: redisConnection() });
  F.closeAfter(() => flow.close());
  const bridge = trackQueue(q, { pool: jt.pool });
  F.closeAfter(() => bridge.close());
  await bridge.ready;
  const tree = await flow.add({
    name: 'Parent', queueName: name, data: {},
    children: Array.from({ length: 8 }, (_, i) => ({ name: 'Child', queueName: name, data: { i }, opts: { attempts: 2 } })),
  });
  let firstTry = new Set();
  worker(name, async (job) => {
    if (job.name === 'Child' && job.data.i % 3 === 0 && !firstTry.has(job.id)) { firstTry.add(job.id); throw new Error('once'); }
    await sleep(5);
  });
  await waitFor(async () => (await q.getJobState(tree.job.id)) === 'completed', { what: 'flow done' });
  await caughtUp(bridge);
  const parent = await rowOf(q, tree.job.id);
  assert.equal(parent.status, 'succeeded');
  assert.equal(parent.group_id, null);
  const child = await rowOf(q, tree.children[0].job.id);
  const g = child.group_id;
  assert.ok(g);
  const jobs = await jt.groupJobs(g);
  assert.equal(jobs.length, 8);
  assert.ok(jobs.every((j) => j.status === 'succeeded'));
  assert.deepEqual(jobs.map((j) => j.attempts).sort(), [1, 1, 1, 1, 1, 2, 2, 2]);
  const events = await waitFor(async () => {
    const ev = (await jt.groupEvents()).filter((e) => e.groupId === g);
    return ev.length >= 2 && ev;
  }, { what: 'flow group events' });
  await sleep(200);
  assert.deepEqual((await jt.groupEvents(events[0].id - 1)).filter((e) => e.groupId === g).map((e) => e.event),
    ['group.started', 'group.completed']);
  assert.equal((await jt.getGroup(g)).title, `bullmq flow bull:${name}:${tree.job.id}`);
});

test('a stream trimmed past the stored position: the bridge resyncs from the queue', async () => {
  const u = unique();
  const name = `tt_${u}`;
  const q = queue(name, { streams: { events: { maxLen: 20 } } });
  // A queue whose name this one's matches when "_" is taken as a LIKE wildcard.
  const twin = queue(`ttx${u}`);
  const twinJob = await twin.add('Twin', {});
  const twinBridge = trackQueue(twin, { pool: jt.pool });
  F.closeAfter(() => twinBridge.close());
  await twinBridge.ready;
  await caughtUp(twinBridge);
  assert.equal((await rowOf(twin, twinJob.id)).status, 'queued');
  // The same queue name under another prefix: its rows are not this queue's.
  const other = queue(name, { prefix: 'other' });
  const otherJob = await other.add('Other', {});
  const otherBridge = trackQueue(other, { pool: jt.pool });
  F.closeAfter(() => otherBridge.close());
  await waitFor(async () => (await jt.query('SELECT status FROM jobtrack.job_status WHERE external_id = $1',
    [`other:${name}:${otherJob.id}`])).rows[0], { what: 'the other prefix\'s row' });
  const w = worker(name, async (job) => { if (job.data.fail) throw new Error('no'); });
  const jobs = await q.addBulk(Array.from({ length: 120 }, (_, i) => ({ name: 'Bulk', data: { fail: i % 10 === 0 } })));
  await waitFor(async () => {
    const c = await q.getJobCounts('completed', 'failed');
    return c.completed + c.failed === 120;
  }, { what: 'bulk processed' });
  await w.close();
  const removedLater = await q.add('Removed', {});
  const xinfo = await redis.xlen(`bull:${name}:events`);
  assert.ok(xinfo < 120, `the stream was trimmed (${xinfo} entries)`);
  const bridge = trackQueue(q, { pool: jt.pool });
  F.closeAfter(() => bridge.close());
  let resyncs = 0;
  bridge.on('resync', () => { resyncs++; });
  await bridge.ready;
  assert.equal(resyncs, 1);
  await caughtUp(bridge);
  for (const [i, j] of jobs.entries()) {
    const r = await rowOf(q, j.id);
    assert.equal(r.status, i % 10 === 0 ? 'failed' : 'succeeded');
  }
  assert.equal((await rowOf(q, removedLater.id)).status, 'queued');
  // A job removed while the bridge was down and the stream trimmed: a resync cancels its row.
  await bridge.close();
  await removedLater.remove();
  await q.addBulk(Array.from({ length: 300 }, () => ({ name: 'Filler', data: {}, opts: { delay: 600000 } })));
  const again = trackQueue(q, { pool: jt.pool });
  F.closeAfter(() => again.close());
  await again.ready;
  await caughtUp(again);
  assert.equal((await rowOf(q, removedLater.id)).status, 'cancelled');
  assert.equal((await rowOf(twin, twinJob.id)).status, 'queued', "a resync cancels only its own queue's jobs");
  const otherRow = await jt.query('SELECT status FROM jobtrack.job_status WHERE external_id = $1', [`other:${name}:${otherJob.id}`]);
  assert.equal(otherRow.rows[0].status, 'queued', "nor the jobs of the same queue name under another prefix");
  assert.equal(again.stats.resyncs, 1);
});
