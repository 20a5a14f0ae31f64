'use strict';

// The cost of the BullMQ bridge: BullMQ alone vs BullMQ with the bridge running
// (jobs/s), the lag from BullMQ's completion to the commit of jobtrack's row
// (p50, p99), and BullMQ's default event stream length. Uses the PostgreSQL and
// Redis of test/helpers.js (run it with `./test.sh --bench`).
const path = require('path');
const readline = require('readline');
const { spawn } = require('child_process');
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');
const { pgConfig, redisConnection, ensureExtension, sleep, unique } = require('../test/helpers');

const N = Number(process.env.BENCH_JOBS || 10000);
const RATE = Number(process.env.BENCH_RATE || 200);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS || 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 50);

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function startBridge(name) {
  const child = spawn(process.execPath, [path.join(__dirname, 'bridge-process.js'), name,
    JSON.stringify(pgConfig()), JSON.stringify(redisConnection())], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lags = [];
  let readyResolve;
  const ready = new Promise((r) => { readyResolve = r; });
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const m = JSON.parse(line);
    if (m.ready) readyResolve();
    if (m.lags) lags.push(...m.lags);
  });
  await ready;
  return {
    lags,
    async stop() {
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitCompleted(q, n) {
  for (;;) {
    const c = await q.getJobCounts('completed');
    if (c.completed >= n) return;
    await sleep(20);
  }
}

/** Add n jobs, then run a worker until all are completed: jobs/s of the processing. */
async function throughput(name, n) {
  const q = new Queue(name, { connection: redisConnection() });
  for (let i = 0; i < n; i += 1000) {
    await q.addBulk(Array.from({ length: Math.min(1000, n - i) }, () => ({ name: 'Noop', data: {} })));
  }
  const t0 = process.hrtime.bigint();
  const w = new Worker(name, async () => 1, { connection: redisConnection(), concurrency: CONCURRENCY });
  await waitCompleted(q, n);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await w.close();
  return { q, rate: n / secs, secs };
}

/** Add jobs at a steady rate with a worker running. */
async function steady(name, rate, seconds) {
  const q = new Queue(name, { connection: redisConnection() });
  const w = new Worker(name, async () => 1, { connection: redisConnection(), concurrency: CONCURRENCY });
  const total = rate * seconds;
  const t0 = Date.now();
  for (let i = 0; i < total; i += rate / 10) {
    await q.addBulk(Array.from({ length: rate / 10 }, () => ({ name: 'Noop', data: {} })));
    const next = t0 + ((i + rate / 10) / rate) * 1000;
    await sleep(Math.max(0, next - Date.now()));
  }
  await waitCompleted(q, total);
  await w.close();
  return { q, total };
}

async function caughtUp(redis, pgClient, name) {
  for (;;) {
    const last = await redis.xrevrange(`bull:${name}:events`, '+', '-', 'COUNT', 1);
    const r = await pgClient.query('SELECT last_id FROM jobtrack_bullmq.position WHERE stream = $1', [`bull:${name}:events`]);
    if (r.rows[0] && last[0] && r.rows[0].last_id === last[0][0]) return;
    await sleep(20);
  }
}

async function main() {
  await ensureExtension();
  const pg = require('pg');
  const pgClient = new pg.Client(pgConfig());
  await pgClient.connect();
  const redis = new IORedis(redisConnection());
  const tag = unique();
  const out = [];

  // 0. Warm-up (Redis, the JIT), not reported.
  const warm = await throughput(`bench_warm_${tag}`, 2000);

  // 1. BullMQ alone.
  const alone = await throughput(`bench_alone_${tag}`, N);
  out.push(['BullMQ alone, no-op jobs (jobs/s)', alone.rate.toFixed(0)]);

  // 2. BullMQ with the bridge running in its own process.
  const name = `bench_bridge_${tag}`;
  const b = await startBridge(name);
  const t0 = Date.now();
  const withBridge = await throughput(name, N);
  await caughtUp(redis, pgClient, name);
  const allIn = (Date.now() - t0) / 1000;
  out.push(['BullMQ with the bridge (jobs/s)', withBridge.rate.toFixed(0)]);
  out.push(['ratio with/without', (withBridge.rate / alone.rate).toFixed(2)]);
  out.push(['bridge: jobs in jobtrack per second (added to last row committed)', (N / allIn).toFixed(0)]);
  let lags = [...b.lags].sort((x, y) => x - y);
  out.push([`lag completion -> jobtrack row, saturated run of ${N} (ms, p50 / p99)`, `${pct(lags, 50)} / ${pct(lags, 99)}`]);
  await b.stop();

  // 3. Lag at a steady rate.
  const sname = `bench_steady_${tag}`;
  const sb = await startBridge(sname);
  const st = await steady(sname, RATE, RATE_SECONDS);
  await caughtUp(redis, pgClient, sname);
  lags = [...sb.lags].sort((x, y) => x - y);
  out.push([`lag completion -> jobtrack row, steady ${RATE} jobs/s for ${RATE_SECONDS} s (ms, p50 / p99)`, `${pct(lags, 50)} / ${pct(lags, 99)}`]);
  await sb.stop();

  // 4. BullMQ's default event stream length (XADD ... MAXLEN ~ 10000).
  const tname = `bench_trim_${tag}`;
  const tq = new Queue(tname, { connection: redisConnection() });
  for (let i = 0; i < 15000; i += 1000) await tq.addBulk(Array.from({ length: 1000 }, () => ({ name: 'T', data: {} })));
  const xlen = await redis.xlen(`bull:${tname}:events`);
  const maxLen = await redis.hget(`bull:${tname}:meta`, 'opts.maxLenEvents');
  out.push(['default event stream: opts.maxLenEvents / XLEN after 15,000 adds (30,000 events)', `${maxLen} / ${xlen}`]);

  for (const q of [warm.q, alone.q, withBridge.q, st.q, tq]) {
    await q.obliterate({ force: true });
    await q.close();
  }
  redis.disconnect();
  await pgClient.end();

  console.log(`\n| measure (${N} no-op jobs, worker concurrency ${CONCURRENCY}) | value |\n|---|---:|`);
  for (const [k, v] of out) console.log(`| ${k} | ${v} |`);
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
