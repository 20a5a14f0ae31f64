'use strict';

// What the bridge's test files share: for the file, a jobtrack client and a
// Redis connection; queues, workers and bridges made by the helpers below are
// closed after the file's last test, newest first.
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');
const { JobTrack, trackQueue } = require('..');
const { pgConfig, redisConnection, ensureExtension, waitFor } = require('./helpers');

/** ready(f) is called once f.jt and f.redis are set, before the file's first test. */
function bridgeFixture(test, ready = () => {}) {
  const f = { jt: null, redis: null };
  const closers = [];
  test.before(async () => {
    await ensureExtension();
    f.jt = new JobTrack(pgConfig());
    f.redis = new IORedis(redisConnection());
    ready(f);
  });
  test.after(async () => {
    for (const c of closers.reverse()) await c();
    f.redis.disconnect();
    await f.jt.end();
  });

  /** Closers to run after the file's last test. */
  f.closeAfter = (...cs) => closers.push(...cs);

  f.queue = (name, opts = {}) => {
    const q = new Queue(name, { connection: redisConnection(), ...opts });
    f.closeAfter(() => q.close());
    return q;
  };

  f.worker = (name, fn, opts = {}) => {
    const w = new Worker(name, fn, { connection: redisConnection(), concurrency: 5, ...opts });
    w.on('error', () => {});
    f.closeAfter(() => w.close());
    return w;
  };

  f.bridgeOf = (q, opts = {}) => {
    const bridge = trackQueue(q, { pool: f.jt.pool, ...opts });
    f.closeAfter(() => bridge.close());
    return bridge;
  };

  /** The jobtrack row of a BullMQ job, by its external id. */
  f.rowOf = async (q, id) => {
    const r = await f.jt.query('SELECT * FROM jobtrack.job_status WHERE external_id = $1::text', [`bull:${q.name}:${id}`]);
    return r.rows[0] && f.jt.jobRow(r.rows[0]);
  };

  /** Wait until the bridge has read the queue's whole event stream. */
  f.caughtUp = async (bridge) => {
    await waitFor(async () => {
      const last = await f.redis.xrevrange(bridge.eventsKey, '+', '-', 'COUNT', 1);
      return !last.length || bridge.position === last[0][0];
    }, { timeout: 30000, what: 'bridge caught up' });
  };
  return f;
}

module.exports = { bridgeFixture };
