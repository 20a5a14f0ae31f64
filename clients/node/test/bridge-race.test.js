'use strict';

// Jobs that BullMQ removes as they finish (removeOnComplete) can be gone from
// Redis when the bridge reads their state, while the stream entry that says
// how they ended lies after the batch it read. Such a job must be left as it
// is until that entry is read: never cancelled, then retried and succeeded.
const test = require('node:test');
const assert = require('node:assert/strict');
const { FlowProducer } = require('bullmq');
const { trackQueue } = require('..');
const { redisConnection, waitFor, sleep, unique } = require('./helpers');
const { bridgeFixture } = require('./bridge-fixture');

let jt;
let redis;
const F = bridgeFixture(test, (f) => { ({ jt, redis } = f); });
const { queue, worker, bridgeOf, rowOf, caughtUp } = F;

const CHILDREN = 800;

test('fast removeOnComplete jobs in a group: each succeeds once, the group completes once', async () => {
  const name = `trc_${unique()}`;
  const q = queue(name);
  const bridge = bridgeOf(q);
  await bridge.ready;
  const flow = new FlowProducer({ connection: redisConnection() });
  F.closeAfter(() => flow.close());
  const tree = await flow.add({
    name: 'Parent', queueName: name, data: {},
    children: Array.from({ length: CHILDREN }, (_, i) => ({
      name: 'Noop', queueName: name, data: { i }, opts: { removeOnComplete: true },
    })),
  });
  // Every child gets its row in the group before any of them runs. (A child that
  // BullMQ removes before the bridge first reads its entries is found through its
  // parent instead: test/bridge-flow.test.js.)
  await caughtUp(bridge);
  for (let i = 0; i < 3; i++) worker(name, async () => {}, { concurrency: 25 });
  await waitFor(async () => (await q.getJobState(tree.job.id)) === 'completed', { what: 'flow done' });
  await caughtUp(bridge);

  const g = jt.toId((await jt.query('SELECT id FROM jobtrack.job_group WHERE title = $1',
    [`bullmq flow bull:${name}:${tree.job.id}`])).rows[0].id);
  const rows = await jt.groupJobs(g);
  assert.equal(rows.length, CHILDREN);
  const wrong = rows.filter((r) => r.status !== 'succeeded' || r.attempts !== 1);
  assert.equal(wrong.length, 0, `${wrong.length} of ${CHILDREN} rows are not succeeded with attempts 1, e.g. ` +
    JSON.stringify(wrong.slice(0, 3).map((r) => [r.external_id, r.status, r.attempts])));

  // The moment the last child finished: its 'completed' stream entry.
  const children = new Set(tree.children.map((c) => c.job.id));
  const entries = await redis.xrange(bridge.eventsKey, '-', '+');
  const done = entries.filter(([, f]) => f[1] === 'completed' && children.has(f[3]));
  assert.equal(done.length, CHILDREN, 'the stream still holds every completed entry');
  const lastDone = Number(done[done.length - 1][0].split('-')[0]);

  await waitFor(async () => (await jt.groupEvents()).some((e) => e.groupId === g && e.event === 'group.completed'),
    { what: 'group.completed' });
  await sleep(300); // a false finish would raise a second run; give it time to show
  const events = (await jt.groupEvents()).filter((e) => e.groupId === g);
  assert.deepEqual(events.map((e) => [e.event, e.run]), [['group.started', 1], ['group.completed', 1]]);
  assert.ok(events[1].createdAt.getTime() >= lastDone,
    `group.completed at ${events[1].createdAt.toISOString()}, the last child finished at ${new Date(lastDone).toISOString()}`);
});

/**
 * Run one removeOnComplete job to its end with no bridge, then let a bridge
 * read only the stream's first 3 entries (added, waiting, active: the batch a
 * bridge reads just before the job finishes) and stop; the job is gone by then.
 */
async function goneAfterFirstBatch(q) {
  worker(q.name, async () => {});
  const job = await q.add('Quick', {}, { removeOnComplete: true });
  await waitFor(async () => !(await q.getJob(job.id)), { what: 'job done and removed' });
  const first = await redis.xrange(`bull:${q.name}:events`, '-', '+', 'COUNT', 3);
  assert.deepEqual(first.map(([, f]) => f[1]), ['added', 'waiting', 'active']);
  const bridge = trackQueue(q, { pool: jt.pool, batchSize: 3 });
  const stopped = new Promise((resolve) => bridge.once('batch', () => resolve(bridge.close())));
  await stopped;
  assert.equal(bridge.position, first[2][0]);
  return job;
}

test('a gone job whose batch does not say how it ended is left as it is; its completed entry ends it', async () => {
  const q = queue(`trl_${unique()}`);
  const job = await goneAfterFirstBatch(q);
  assert.deepEqual([(await rowOf(q, job.id)).status], ['queued'], 'not cancelled');
  const bridge = bridgeOf(q);
  await bridge.ready;
  await caughtUp(bridge);
  const r = await rowOf(q, job.id);
  assert.deepEqual([r.status, r.attempts], ['succeeded', 1]);
});

// When the entry that says how it ended is trimmed away before the bridge
// reads it, gap() sees the stream's head pass the stored position and the
// resync settles the row: the job is not in Redis, so it is cancelled (the
// resync's rule for every job whose entries were trimmed), not left queued.
test('a gone job whose ending entry was trimmed away: the resync settles its row', async () => {
  const q = queue(`trt_${unique()}`, { streams: { events: { maxLen: 20 } } });
  const job = await goneAfterFirstBatch(q);
  assert.equal((await rowOf(q, job.id)).status, 'queued');
  await q.addBulk(Array.from({ length: 300 }, () => ({ name: 'Filler', data: {}, opts: { delay: 600000 } })));
  const left = await redis.xrange(`bull:${q.name}:events`, '-', '+');
  assert.ok(!left.some(([, f]) => f[3] === job.id), 'the job\'s completed entry was trimmed away');
  const bridge = bridgeOf(q);
  let resyncs = 0;
  bridge.on('resync', () => { resyncs++; });
  await bridge.ready;
  await caughtUp(bridge);
  assert.equal(resyncs, 1);
  assert.equal((await rowOf(q, job.id)).status, 'cancelled');
});
