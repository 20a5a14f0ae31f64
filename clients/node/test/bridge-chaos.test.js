'use strict';

// 1,000 jobs across 3 queues with random failures, retries, delays and a flow
// of 100 children; the bridge (a child process) is SIGKILLed twice and
// PostgreSQL is restarted once during the run. At the end every BullMQ job's
// final state, attempts and failure reason equal jobtrack's row, and the
// flow's group has exactly one group.started and one group.completed event.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const fs = require('fs');
const { spawn } = require('child_process');
const { Queue, Worker, FlowProducer } = require('bullmq');
const IORedis = require('ioredis');
const { JobTrack } = require('..');
const { pgConfig, redisConnection, ensureExtension, restartPostgres, retrying, waitFor, sleep, rng, unique } = require('./helpers');

const TOTAL = 1000;
const CHILDREN = 100;

test('the bridge survives two SIGKILLs and a PostgreSQL restart without losing or doubling anything', { timeout: 240000 }, async () => {
  await ensureExtension();
  const jt = new JobTrack(pgConfig());
  const redis = new IORedis(redisConnection());
  const tag = unique();
  const names = ['a', 'b', 'c'].map((x) => `chaos_${x}_${tag}`);
  const queues = names.map((n) => new Queue(n, { connection: redisConnection() }));
  const flow = new FlowProducer({ connection: redisConnection() });
  const random = rng(20261205);
  const log = path.join(process.env.JT_LOGDIR || '/tmp', `bridge-chaos-${tag}.log`);
  const logFd = fs.openSync(log, 'a');

  let bridge;
  let bridgeStarts = 0;
  const startBridge = async () => {
    bridgeStarts++;
    bridge = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'bridge-process.js'), ...names],
      { stdio: ['ignore', 'pipe', logFd], env: process.env });
    await new Promise((resolve, reject) => {
      bridge.stdout.on('data', (d) => { if (String(d).includes('ready')) resolve(); });
      bridge.on('exit', (code) => reject(new Error(`bridge exited with ${code} before it was ready; see ${log}`)));
      bridge.unref();
    });
  };
  const killBridge = async () => {
    const b = bridge;
    assert.equal(b.exitCode, null, `the bridge is still running (see ${log})`);
    const exited = new Promise((resolve) => b.on('exit', resolve));
    b.kill('SIGKILL');
    await exited;
  };

  const workers = names.map((n) => {
    const w = new Worker(n, async (job) => {
      const d = job.data;
      if (d.progress) {
        await job.updateProgress(d.progress === 'number' ? 30 : { current: 2, total: 5 });
      }
      await sleep(d.ms || 0);
      if (job.attemptsMade < (d.failTimes || 0)) throw new Error(`${job.name} ${job.id} failed attempt ${job.attemptsMade + 1}`);
      return job.id;
    }, { connection: redisConnection(), concurrency: 8 });
    w.on('error', () => {});
    return w;
  });

  const added = names.map(() => []); // [queueIndex] -> job ids
  let flowTree;
  try {
    await startBridge();
    const plain = TOTAL - CHILDREN - 1;
    const waves = 20;
    let made = 0;
    for (let wave = 0; wave < waves; wave++) {
      const count = Math.round(plain * (wave + 1) / waves) - made;
      made += count;
      const perQueue = names.map(() => []);
      for (let i = 0; i < count; i++) {
        const qi = Math.floor(random() * 3);
        const r = random();
        const failTimes = r < 0.6 ? 0 : r < 0.8 ? 1 : r < 0.9 ? 2 : 5;
        const attempts = 1 + Math.floor(random() * 3);
        const opts = { attempts };
        if (random() < 0.5) opts.backoff = { type: 'fixed', delay: 100 + Math.floor(random() * 200) };
        if (random() < 0.15) opts.delay = 200 + Math.floor(random() * 1500);
        const pr = random();
        const data = { failTimes, ms: 5 + Math.floor(random() * 60), progress: pr < 0.15 ? 'number' : pr < 0.3 ? 'object' : null };
        perQueue[qi].push({ name: `Job${qi}`, data, opts });
      }
      for (const [qi, list] of perQueue.entries()) {
        if (!list.length) continue;
        const jobs = await queues[qi].addBulk(list);
        for (const j of jobs) added[qi].push(j.id);
      }
      if (wave === 5) {
        flowTree = await flow.add({
          name: 'FlowParent', queueName: names[2], data: { ms: 5 },
          children: Array.from({ length: CHILDREN }, (_, i) => ({
            name: 'FlowChild', queueName: names[2],
            data: { ms: 5 + Math.floor(random() * 40), failTimes: i % 7 === 0 ? 1 : 0 },
            opts: { attempts: 2 },
          })),
        });
        added[2].push(flowTree.job.id, ...flowTree.children.map((c) => c.job.id));
      }
      if (wave === 4 || wave === 13) {
        await killBridge();
        await sleep(700);
        await startBridge();
      }
      if (wave === 9) restartPostgres();
      await sleep(250);
    }
    const expected = added.reduce((n, l) => n + l.length, 0);
    assert.equal(expected, TOTAL);

    // Every job finished in BullMQ.
    await waitFor(async () => {
      assert.equal(bridge.exitCode, null, `the bridge is still running (see ${log})`);
      let done = 0;
      for (const q of queues) {
        const c = await q.getJobCounts('completed', 'failed');
        done += c.completed + c.failed;
      }
      return done === TOTAL;
    }, { timeout: 120000, interval: 250, what: 'all BullMQ jobs finished' });

    // The bridge has stored the end of every queue's stream.
    await waitFor(async () => {
      for (const n of names) {
        const last = await redis.xrevrange(`bull:${n}:events`, '+', '-', 'COUNT', 1);
        const r = await retrying(() => jt.query('SELECT last_id FROM jobtrack_bullmq.position WHERE stream = $1', [`bull:${n}:events`]));
        if (!r.rows[0] || r.rows[0].last_id !== last[0][0]) return false;
      }
      return true;
    }, { timeout: 60000, interval: 200, what: 'the bridge caught up' });

    // Every job: final state, attempts and failure reason equal.
    let failed = 0;
    let retried = 0;
    const mismatches = [];
    for (const [qi, q] of queues.entries()) {
      const r = await jt.query(
        'SELECT external_id, status::text, attempts, failed_reason FROM jobtrack.job_status WHERE external_id LIKE $1',
        [`bull:${names[qi]}:%`]);
      const rows = new Map(r.rows.map((x) => [x.external_id, x]));
      assert.equal(rows.size, added[qi].length, `one row per job of ${names[qi]}`);
      for (const id of added[qi]) {
        const job = await q.getJob(id);
        const state = await q.getJobState(id);
        const row = rows.get(`bull:${names[qi]}:${id}`);
        const want = {
          status: state === 'completed' ? 'succeeded' : state,
          attempts: job.attemptsMade,
          failed_reason: state === 'failed' ? job.failedReason : null,
        };
        const got = row && { status: row.status, attempts: row.attempts, failed_reason: row.failed_reason };
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ id: `${names[qi]}:${id}`, want, got });
        if (state === 'failed') failed++;
        if (job.attemptsMade > 1) retried++;
      }
    }
    assert.deepEqual(mismatches, []);
    assert.ok(failed > 20, `some jobs failed for good (${failed})`);
    assert.ok(retried > 100, `some jobs were retried (${retried})`);

    // The flow: one group of 100 jobs, one started and one completed event.
    const childRow = await jt.query('SELECT group_id FROM jobtrack.job_status WHERE external_id = $1',
      [`bull:${names[2]}:${flowTree.children[0].job.id}`]);
    const g = Number(childRow.rows[0].group_id);
    assert.equal((await jt.groupJobs(g)).length, CHILDREN);
    const events = await waitFor(async () => {
      const ev = (await jt.groupEvents()).filter((e) => e.groupId === g);
      return ev.some((e) => e.event === 'group.completed') && ev;
    }, { timeout: 20000, what: 'flow group completed' });
    await sleep(500);
    const all = (await jt.groupEvents(events[0].id - 1)).filter((e) => e.groupId === g);
    assert.deepEqual(all.map((e) => [e.event, e.run]), [['group.started', 1], ['group.completed', 1]]);
    assert.equal(bridgeStarts, 3);
  } finally {
    if (bridge && bridge.exitCode === null) {
      const exited = new Promise((resolve) => bridge.on('exit', resolve));
      bridge.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (bridge.exitCode === null) bridge.kill('SIGKILL');
    }
    await Promise.all(workers.map((w) => w.close()));
    await flow.close();
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
    await jt.end();
    fs.closeSync(logFd);
  }
});
