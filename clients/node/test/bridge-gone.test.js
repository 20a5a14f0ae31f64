'use strict';

// Jobs that BullMQ deletes without a stream entry naming them (Queue.clean,
// Queue.drain, orphan removal, Queue.obliterate): the bridge's check finds
// their rows unfinished and their jobs gone, and cancels them once its
// position has passed every entry written before they went; a job whose
// ending entry is still to be read is left to that entry.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Queue, FlowProducer } = require('bullmq');
const { trackQueue, QueueBridge } = require('..');
const { cmpId } = require('../lib/bullmq');
const { redisConnection, waitFor, sleep, unique } = require('./helpers');
const { bridgeFixture } = require('./bridge-fixture');

let jt;
let redis;
const F = bridgeFixture(test, (f) => { ({ jt, redis } = f); });
const { queue, worker, bridgeOf, rowOf, caughtUp } = F;

async function statuses(q, ids) {
  return Promise.all(ids.map(async (id) => (await rowOf(q, id)).status));
}

/** Wait (at most `timeout` ms, well under a long check interval) until these rows are all cancelled. */
async function allCancelled(q, ids, timeout) {
  await waitFor(async () => (await statuses(q, ids)).every((s) => s === 'cancelled'),
    { timeout, what: `rows cancelled (now ${(await statuses(q, ids)).join(',')})` });
}

/** A flow of `n` children (with `opts`), mirrored: returns the tree and the children's group. */
async function mirroredFlow(q, bridge, n, opts) {
  const flow = new FlowProducer({ connection: redisConnection() });
  F.closeAfter(() => flow.close());
  const tree = await flow.add({
    name: 'Parent', queueName: q.name, data: {},
    children: Array.from({ length: n }, (_, i) => ({ name: 'Child', queueName: q.name, data: { i }, opts })),
  });
  await caughtUp(bridge);
  const ids = tree.children.map((c) => c.job.id);
  const g = (await rowOf(q, ids[0])).group_id;
  assert.ok(g);
  return { ids, g };
}

/** The group's events, once group.completed is in, and a while after (a second run would show). */
async function groupFinishedOnce(g) {
  await waitFor(async () => (await jt.groupEvents()).some((e) => e.groupId === g && e.event === 'group.completed'),
    { timeout: 10000, what: 'group.completed' });
  await sleep(300);
  const done = (await jt.groupEvents()).filter((e) => e.groupId === g && e.event === 'group.completed');
  assert.deepEqual(done.map((e) => e.run), [1], 'group.completed exactly once');
}

test('Queue.clean of delayed jobs: its cleaned entry triggers the check; rows cancelled, the group completes once', async () => {
  const q = queue(`tgc_${unique()}`);
  const bridge = bridgeOf(q, { checkMs: 60000 }); // only the cleaned entry can make it check in time
  await bridge.ready;
  const { ids, g } = await mirroredFlow(q, bridge, 5, { delay: 600000 });
  assert.deepEqual(await statuses(q, ids), Array(5).fill('delayed'));
  const cleaned = await q.clean(0, 0, 'delayed');
  assert.equal(cleaned.length, 5);
  await allCancelled(q, ids, 10000);
  await groupFinishedOnce(g);
});

test('Queue.drain of waiting jobs: the periodic check cancels their rows; the group completes once', async () => {
  const q = queue(`tgd_${unique()}`);
  const bridge = bridgeOf(q, { checkMs: 300 });
  await bridge.ready;
  const { ids, g } = await mirroredFlow(q, bridge, 4, {});
  const plain = await q.add('Plain', {});
  await caughtUp(bridge);
  assert.deepEqual(await statuses(q, [...ids, plain.id]), Array(5).fill('queued'));
  await q.drain();
  await allCancelled(q, [...ids, plain.id], 10000);
  await groupFinishedOnce(g);
  assert.ok(bridge.stats.settled >= 5);
});

test('orphan removal: a job hash in no state set, then deleted, ends cancelled', async () => {
  const q = queue(`tgo_${unique()}`);
  const bridge = bridgeOf(q, { checkMs: 300 });
  await bridge.ready;
  const job = await q.add('Orphan', {});
  await caughtUp(bridge);
  assert.equal((await rowOf(q, job.id)).status, 'queued');
  await redis.lrem(`bull:${q.name}:wait`, 0, job.id); // the hash stays: an orphan
  assert.ok((await q.removeOrphanedJobs()) >= 1);
  await allCancelled(q, [job.id], 10000);
});

test('Queue.obliterate: the stream vanishing triggers the check; rows cancelled, the bridge goes on', async () => {
  const q = queue(`tgx_${unique()}`);
  const bridge = bridgeOf(q, { checkMs: 60000, blockMs: 200 }); // only the vanished stream can make it check in time
  await bridge.ready;
  const jobs = await q.addBulk([{ name: 'A', data: {} }, { name: 'B', data: {}, opts: { delay: 600000 } }]);
  await caughtUp(bridge);
  await q.obliterate({ force: true });
  assert.equal(await redis.exists(bridge.eventsKey), 0, 'obliterate deletes the stream');
  await allCancelled(q, jobs.map((j) => j.id), 10000);
  const next = await q.add('After', {}, { jobId: 'after' });
  await caughtUp(bridge);
  assert.equal((await rowOf(q, next.id)).status, 'queued');
});

test('a job gone with its completed entry not yet read is not cancelled by the check', async () => {
  const q = queue(`tgn_${unique()}`);
  worker(q.name, async () => {});
  const job = await q.add('Quick', {}, { removeOnComplete: true });
  await waitFor(async () => !(await q.getJob(job.id)), { what: 'job done and removed' });
  const entries = await redis.xrange(`bull:${q.name}:events`, '-', '+');
  assert.deepEqual(entries.slice(0, 3).map(([, f]) => f[1]), ['added', 'waiting', 'active']);
  const completed = entries.find(([, f]) => f[1] === 'completed')[0];
  // A bridge that reads the first 3 entries only, then runs its check (due at start) and stops.
  const early = trackQueue(q, { pool: jt.pool, batchSize: 3, checkMs: 60000 });
  F.closeAfter(() => early.close());
  const checked = new Promise((resolve, reject) => {
    early.once('check', resolve);
    setTimeout(() => reject(new Error('no check ran')), 10000).unref();
  });
  assert.equal((await checked).gone, 1, 'the check finds the job gone');
  await early.close(); // lets the check's settle run first
  assert.equal(early.position, entries[2][0]);
  assert.equal((await rowOf(q, job.id)).status, 'queued', 'not cancelled');
  const mark = early.suspects.get(`bull:${q.name}:${job.id}`);
  assert.ok(mark && cmpId(mark, completed) >= 0, `the mark ${mark} is at or after the completed entry ${completed}`);
  const bridge = bridgeOf(q, { checkMs: 100 });
  await bridge.ready;
  await caughtUp(bridge);
  await sleep(300); // a few checks run
  const r = await rowOf(q, job.id);
  assert.deepEqual([r.status, r.attempts], ['succeeded', 1]);
});

/** A bridge whose Redis runs `hook` once, just before its first pipeline: the resync's scan. */
class Hooked extends QueueBridge {
  newRedis() {
    const c = super.newRedis();
    if (this.hook && !this.hooked) {
      this.hooked = true;
      const pipeline = c.pipeline.bind(c);
      c.pipeline = (...args) => {
        const p = pipeline(...args);
        const exec = p.exec.bind(p);
        p.exec = async (...a) => {
          const h = this.hook;
          this.hook = null;
          if (h) await h();
          return exec(...a);
        };
        return p;
      };
    }
    return c;
  }
}

// Deterministic: the job runs to its end (removeOnComplete) inside the resync,
// after it read the stream's last id and before it scans the queue.
test('a job that ends during a resync is left to its replayed completed entry, not cancelled', async () => {
  const q = queue(`tgr_${unique()}`, { streams: { events: { maxLen: 20 } } });
  const job = await q.add('Quick', {}, { removeOnComplete: true });
  const first = bridgeOf(q);
  await first.ready;
  await caughtUp(first);
  await first.close();
  assert.equal((await rowOf(q, job.id)).status, 'queued');
  await q.addBulk(Array.from({ length: 300 }, () => ({ name: 'Filler', data: {}, opts: { delay: 600000 } })));
  const bridge = new Hooked(q, { pool: jt.pool, checkMs: 100 });
  let ran = false;
  bridge.hook = async () => {
    const w = worker(q.name, async () => {});
    await waitFor(async () => !(await q.getJob(job.id)), { what: 'job done and removed' });
    await w.close();
    ran = true;
  };
  bridge.start();
  F.closeAfter(() => bridge.close());
  await bridge.ready;
  assert.ok(ran, 'the job ended inside the resync');
  assert.equal(bridge.stats.resyncs, 1);
  await caughtUp(bridge);
  await sleep(300);
  const r = await rowOf(q, job.id);
  assert.deepEqual([r.status, r.attempts], ['succeeded', 1]);
});
