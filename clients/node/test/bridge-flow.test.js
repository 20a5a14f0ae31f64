'use strict';

// Flow children that BullMQ has already deleted (removeOnComplete) when the
// bridge first meets them: their hash, which named the parent, is gone. The
// parent still names them (its :processed hash), so their rows must end in
// the flow's group all the same, created with their siblings in one
// transaction, and the group must finish exactly once.
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

/** Add a flow of children (each with its own opts) under one parent in q; returns the tree. */
async function addFlow(q, childOpts) {
  const flow = new FlowProducer({ connection: redisConnection() });
  F.closeAfter(() => flow.close());
  return flow.add({
    name: 'Parent', queueName: q.name, data: {},
    children: childOpts.map((opts, i) => ({ name: `Child${i}`, queueName: q.name, data: { i }, opts })),
  });
}

/** The flow's group id (null when there is none). */
async function flowGroup(q, parentId) {
  const r = await jt.query('SELECT id FROM jobtrack.job_group WHERE title = $1', [`bullmq flow bull:${q.name}:${parentId}`]);
  return r.rows[0] ? jt.toId(r.rows[0].id) : null;
}

/** The group's events as [event, run], once group.completed is in and a while after (a second run would show). */
async function groupEventsSettled(g) {
  await waitFor(async () => (await jt.groupEvents()).some((e) => e.groupId === g && e.event === 'group.completed'),
    { timeout: 15000, what: 'group.completed' });
  await sleep(300);
  return (await jt.groupEvents()).filter((e) => e.groupId === g).map((e) => [e.event, e.run]);
}

/** Run a flow of `n` removeOnComplete children and their parent to the end, with no bridge. */
async function finishedFlow(q, n) {
  const tree = await addFlow(q, Array.from({ length: n }, () => ({ removeOnComplete: true })));
  const w = worker(q.name, async () => {});
  await waitFor(async () => (await q.getJobState(tree.job.id)) === 'completed', { what: 'flow done' });
  await w.close();
  for (const c of tree.children) assert.equal(await q.getJob(c.job.id), undefined, 'the child is gone from Redis');
  return tree;
}

/** Every child's row: in group g, with the parent tag, succeeded once. */
async function assertChildrenInGroup(q, tree, g) {
  for (const c of tree.children) {
    const r = await rowOf(q, c.job.id);
    assert.ok(r, `child ${c.job.id} has a row`);
    assert.deepEqual([r.job_type, r.group_id, r.tags.parent, r.status, r.attempts],
      [c.job.name, g, `bull:${q.name}:${tree.job.id}`, 'succeeded', 1], `child ${c.job.id}`);
  }
  assert.equal((await jt.groupJobs(g)).length, tree.children.length);
}

test('a flow whose children were removed on completion before the bridge started: every child is in the group', async () => {
  const q = queue(`tfa_${unique()}`);
  const tree = await finishedFlow(q, 6);
  const bridge = bridgeOf(q);
  await bridge.ready;
  await caughtUp(bridge);
  const g = await flowGroup(q, tree.job.id);
  assert.ok(g, 'the flow has a group');
  await assertChildrenInGroup(q, tree, g);
  const parent = await rowOf(q, tree.job.id);
  assert.deepEqual([parent.status, parent.group_id], ['succeeded', null]);
  assert.deepEqual(await groupEventsSettled(g), [['group.started', 1], ['group.completed', 1]]);
});

test('the first child met is gone while a sibling is still in Redis: both rows are in the group', async () => {
  const q = queue(`tfb_${unique()}`);
  const tree = await addFlow(q, [{ removeOnComplete: true }, { delay: 600000 }]);
  const [gone, kept] = tree.children.map((c) => c.job);
  const w = worker(q.name, async () => {});
  await waitFor(async () => !(await q.getJob(gone.id)), { what: 'the first child done and removed' });
  await w.close();
  const bridge = bridgeOf(q);
  await bridge.ready;
  await caughtUp(bridge);
  const g = await flowGroup(q, tree.job.id);
  assert.ok(g, 'the flow has a group');
  let r = await rowOf(q, gone.id);
  assert.deepEqual([r.group_id, r.status, r.attempts], [g, 'succeeded', 1], 'the gone child');
  r = await rowOf(q, kept.id);
  assert.deepEqual([r.group_id, r.status], [g, 'delayed'], 'the waiting child');
  // the rest of the flow runs while the bridge follows
  await (await q.getJob(kept.id)).promote();
  worker(q.name, async () => {});
  await waitFor(async () => (await q.getJobState(tree.job.id)) === 'completed', { what: 'flow done' });
  await caughtUp(bridge);
  assert.deepEqual([(await rowOf(q, kept.id)).status], ['succeeded']);
  assert.deepEqual(await groupEventsSettled(g), [['group.started', 1], ['group.completed', 1]]);
});

// A failed child removed on failure is still named by its parent when the
// flow goes on or fails with it: ignoreDependencyOnFailure and
// continueParentOnFailure keep it in the parent's :failed hash,
// failParentOnFailure in its :unsuccessful set.
test('failed children removed on failure, still named by their parent: their rows are in the group, failed', async () => {
  const q = queue(`tff_${unique()}`);
  const tree = await addFlow(q, [
    { removeOnComplete: true },
    { removeOnFail: true, ignoreDependencyOnFailure: true },
    { removeOnFail: true, continueParentOnFailure: true },
  ]);
  const w = worker(q.name, async (job) => { if (job.name === 'Child1' || job.name === 'Child2') throw new Error(`no ${job.name}`); });
  await waitFor(async () => (await q.getJobState(tree.job.id)) === 'completed', { what: 'flow done' });
  await w.close();
  const fpof = await addFlow(q, [{ removeOnFail: true, failParentOnFailure: true }]);
  const w2 = worker(q.name, async () => { throw new Error('no Child0'); });
  await waitFor(async () => (await q.getJobState(fpof.job.id)) === 'failed', { what: 'the second flow failed' });
  await w2.close();
  for (const c of [...tree.children, ...fpof.children]) assert.equal(await q.getJob(c.job.id), undefined);
  const bridge = bridgeOf(q);
  await bridge.ready;
  await caughtUp(bridge);
  for (const [t, want] of [[tree, [['succeeded', null], ['failed', 'no Child1'], ['failed', 'no Child2']]], [fpof, [['failed', 'no Child0']]]]) {
    const g = await flowGroup(q, t.job.id);
    assert.ok(g, 'the flow has a group');
    const got = [];
    for (const c of t.children) {
      const r = await rowOf(q, c.job.id);
      assert.equal(r.group_id, g, `child ${c.job.name}'s row is in the group`);
      got.push([r.status, r.failed_reason]);
    }
    assert.deepEqual(got, want);
    assert.deepEqual(await groupEventsSettled(g), [['group.started', 1], ['group.completed', 1]]);
  }
});

// The flow's entries (one MULTI) are the parent's, then the children's. A
// bridge whose batch ends after the parent's entries meets the parent with
// its children already gone and their "added" entries (their names) further
// on in the stream: it reads them there and creates every child's row in the
// group in that batch; a bridge restarted after it finds them there.
test('a batch that ends before the gone children\'s entries creates their rows with the parent\'s', async () => {
  const q = queue(`tfc_${unique()}`);
  const tree = await finishedFlow(q, 5);
  const first = await redis.xrange(`bull:${q.name}:events`, '-', '+', 'COUNT', 2);
  assert.deepEqual(first.map(([, f]) => [f[1], f[3]]), [['added', tree.job.id], ['waiting-children', tree.job.id]]);
  const early = trackQueue(q, { pool: jt.pool, batchSize: 2, checkMs: 0 });
  await new Promise((resolve) => early.once('batch', () => resolve(early.close())));
  assert.equal(early.position, first[1][0]);
  const g = await flowGroup(q, tree.job.id);
  assert.ok(g, 'the first batch created the group');
  for (const c of tree.children) {
    const r = await rowOf(q, c.job.id);
    assert.deepEqual([r && r.job_type, r && r.group_id, r && r.status], [c.job.name, g, 'queued'], `child ${c.job.id}`);
  }
  const bridge = bridgeOf(q, { batchSize: 2 });
  await bridge.ready;
  await caughtUp(bridge);
  await assertChildrenInGroup(q, tree, g);
  assert.deepEqual(await groupEventsSettled(g), [['group.started', 1], ['group.completed', 1]]);
});
