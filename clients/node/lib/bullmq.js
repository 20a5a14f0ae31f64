'use strict';

const { EventEmitter } = require('events');
const pg = require('pg');
const IORedis = require('ioredis');

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

// The rows of jobs named by their external ids, locked.  Found through
// job_external_id, whose primary key is the external id: job_status has no
// index on its own external_id column, and a lookup there read the whole
// table at every batch.
const LOCK_ROWS_SQL =
  'SELECT s.id, s.external_id, s.status::text AS status, s.attempts, s.failed_reason, s.percentage, ' +
  's.progress_current, s.progress_total ' +
  'FROM jobtrack.job_external_id e JOIN jobtrack.job_status s ON s.id = e.job_id ' +
  'WHERE e.external_id = ANY($1::text[]) ORDER BY s.id FOR UPDATE OF s';

// The stream entries that say how a job ended (BullMQ 5, its Lua scripts):
// moveToFinished writes completed or failed (failed only when no retry is
// left), removeJob and the like write removed. Every other entry is a step on
// the way or informational: retries-exhausted follows a final failed and only
// counts the attempts.
const ENDS = new Set(['completed', 'failed', 'removed']);
const REMOVED = { event: 'removed' };
const UNFINISHED = ['queued', 'delayed', 'started', 'paused', 'stuck'];

// Shortest allowed walk (jobtrack's status machine, no retry) from a status to a target.
const PATH = {
  queued: { queued: [], delayed: ['delayed'], started: ['started'], succeeded: ['started', 'succeeded'], failed: ['started', 'failed'], cancelled: ['cancelled'] },
  delayed: { queued: ['queued'], delayed: [], started: ['started'], succeeded: ['started', 'succeeded'], failed: ['started', 'failed'], cancelled: ['cancelled'] },
  started: { queued: ['paused', 'queued'], delayed: ['paused', 'queued', 'delayed'], started: [], succeeded: ['succeeded'], failed: ['failed'], cancelled: ['cancelled'] },
  paused: { queued: ['queued'], delayed: ['queued', 'delayed'], started: ['started'], succeeded: ['started', 'succeeded'], failed: ['started', 'failed'], cancelled: ['cancelled'] },
  stuck: { queued: ['started', 'paused', 'queued'], delayed: ['started', 'paused', 'queued', 'delayed'], started: ['started'], succeeded: ['started', 'succeeded'], failed: ['failed'], cancelled: ['cancelled'] },
};

/** Compare two Redis stream ids ("ms-seq"). */
function cmpId(a, b) {
  const [am, as = '0'] = String(a).split('-');
  const [bm, bs = '0'] = String(b).split('-');
  const x = BigInt(am) - BigInt(bm);
  if (x !== 0n) return x < 0n ? -1 : 1;
  const y = BigInt(as) - BigInt(bs);
  return y === 0n ? 0 : (y < 0n ? -1 : 1);
}

// A checked-out pg client whose connection dies (a server restart) emits
// 'error'; without a listener that would crash the process. The failing query
// rejects anyway, and the batch is retried.
function ignore() {}

async function connect(pool) {
  const client = await pool.connect();
  client.on('error', ignore);
  return client;
}

function release(client, destroy) {
  client.removeListener('error', ignore);
  client.release(destroy ? true : undefined);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function quoteIdent(s) {
  return '"' + String(s).replace(/"/g, '""') + '"';
}

function fieldsOf(arr) {
  const o = {};
  for (let i = 0; i + 1 < arr.length; i += 2) o[arr[i]] = arr[i + 1];
  return o;
}

/**
 * XINFO STREAM's reply as an object of its fields; null when the stream does
 * not exist (Queue.obliterate deletes it, and it is made by the first entry);
 * any other error is thrown. `err` and `reply` as a MULTI hands them out.
 */
function streamFields(err, reply) {
  if (err) {
    if (/no such key/i.test(err.message)) return null;
    throw err;
  }
  return fieldsOf(reply);
}

function parseJson(s) {
  if (s == null) return null;
  try { return JSON.parse(s); } catch (_) { return s; }
}

/** Map a BullMQ job snapshot to the jobtrack status and attempt it must have. */
function targetOf(s) {
  const atm = s.attemptsMade;
  switch (s.state) {
    case 'completed': return { status: 'succeeded', attempts: Math.max(1, atm) };
    case 'failed': return { status: 'failed', attempts: Math.max(1, atm) };
    case 'active': return { status: 'started', attempts: atm + 1 };
    case 'delayed': return { status: 'delayed', attempts: atm + 1 };
    case 'removed': return { status: 'cancelled', attempts: null };
    default: return { status: 'queued', attempts: atm + 1 }; // waiting, paused, prioritized, waiting-children
  }
}

/** Whether a job's hash is there: it has a name, or at least its timestamp. */
function jobExists(name, timestamp) {
  return name !== null || timestamp !== null;
}

/**
 * A job gone from Redis (removed, or removeOnComplete/removeOnFail): `end`,
 * the batch's last entry for it that says how it ended, gives its state. With
 * no such entry the job finished or was removed after the batch's last entry
 * (its ending entry is further on in the stream), and it is left as it is:
 * state 'gone', no steps. Cancelling it would be wrong when it completed, and
 * the next batch would retry it and succeed it with one attempt too many.
 * Should that ending entry be trimmed away before we read it, gap() finds the
 * stream's head past our position and the resync cancels the row, as for any
 * job whose entries were trimmed (test/bridge-race.test.js checks this).
 */
function settleGone(s, end, row, exhaustedAttempts) {
  if (!end) { s.state = 'gone'; return; }
  if (end.event === 'completed') s.state = 'completed';
  else if (end.event === 'failed') { s.state = 'failed'; s.failedReason = end.failedReason; }
  // else 'removed' stays: the row is cancelled
  s.attemptsMade = Math.max(row ? row.attempts : 1, exhaustedAttempts || 0);
}

/**
 * Mirrors one BullMQ queue into jobtrack. It reads the queue's event stream
 * (`<prefix>:<queue>:events`) from its stored position, and for every job an
 * event names it reads the job's current state from Redis (atomically, in a
 * MULTI) and moves the jobtrack row there along allowed transitions, in one
 * PostgreSQL transaction per batch that also stores the new stream position.
 * Replaying a batch is therefore harmless, and a restart resumes where the
 * last committed batch ended. When the stream was trimmed past the stored
 * position, the bridge re-reads every job of the queue instead (a resync).
 */
class QueueBridge extends EventEmitter {
  constructor(queue, options = {}) {
    super();
    const {
      connection, pool, jobtrack, pg: pgConfig, prefix, data = false, schema = 'jobtrack_bullmq',
      batchSize = 500, blockMs = 1000, maxBackoff = 5000, from = '0-0', checkMs = 60000,
    } = options;
    this.queueName = typeof queue === 'string' ? queue : queue.name;
    const qopts = typeof queue === 'string' ? {} : (queue.opts || {});
    this.prefix = prefix || qopts.prefix || 'bull';
    this.base = `${this.prefix}:${this.queueName}:`;
    this.eventsKey = `${this.base}events`;
    this.connection = connection || qopts.connection;
    if (!this.connection) throw new TypeError('trackQueue needs a Redis connection');
    if (pool) this.pool = pool;
    else if (jobtrack) this.pool = jobtrack.pool;
    else if (pgConfig) { this.pool = new pg.Pool(pgConfig); this.ownPool = true; }
    else throw new TypeError('trackQueue needs a pg pool (pool), a JobTrack client (jobtrack) or pg settings (pg)');
    if (this.ownPool) this.pool.on('error', () => {});
    this.data = data;
    this.schema = schema;
    this.table = `${quoteIdent(schema)}.position`;
    this.batchSize = batchSize;
    this.blockMs = blockMs;
    this.maxBackoff = maxBackoff;
    this.from = from;
    this.checkMs = checkMs;
    this.nextCheck = 0; // the first check runs once the bridge is ready
    this.suspects = new Map(); // key of a job found gone with its row unfinished -> the stream's last id then
    this.streamSeen = false;
    this.position = null;
    this.stopped = false;
    this.populated = new Set(); // parent keys whose children all have rows
    this.stats = { batches: 0, events: 0, jobs: 0, resyncs: 0, errors: 0, checks: 0, settled: 0 };
  }

  newRedis() {
    const c = this.connection;
    if (c && typeof c.duplicate === 'function') return c.duplicate();
    return new IORedis({ ...c, maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
  }

  /** Start the bridge; `ready` resolves when its position is loaded. */
  start() {
    if (this.running) return this;
    this.redis = this.newRedis();
    this.reader = this.newRedis();
    this.redis.on('error', () => {});
    this.reader.on('error', () => {});
    let readyResolve;
    this.ready = new Promise((r) => { readyResolve = r; });
    this.readyResolve = readyResolve;
    this.running = this.loop(readyResolve);
    this.running.catch(() => {});
    return this;
  }

  /** Stop reading; a batch in flight is finished or rolled back. `ready` resolves too. */
  async close() {
    this.stopped = true;
    if (this.readyResolve) this.readyResolve();
    if (this.reader) this.reader.disconnect();
    try { await this.running; } catch (_) { /* reported */ }
    if (this.redis) this.redis.disconnect();
    if (this.ownPool) await this.pool.end();
  }

  async setup() {
    const client = await connect(this.pool);
    let ok = false;
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('jobtrack_bullmq setup'))");
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        stream text PRIMARY KEY,
        last_id text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        resynced_at timestamptz)`);
      // Runs a batch's steps in order in one round trip; every call names the job by its id, typed.
      await client.query(`CREATE OR REPLACE FUNCTION ${quoteIdent(this.schema)}.apply_steps(steps jsonb) RETURNS void
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
        DECLARE s record;
        BEGIN
          FOR s IN SELECT * FROM jsonb_to_recordset(steps)
                     AS x(id bigint, op text, reason text, value numeric, current bigint, total bigint, n int)
                   ORDER BY n
          LOOP
            CASE s.op
              WHEN 'retry' THEN PERFORM jobtrack.retry_job(s.id::bigint);
              WHEN 'failed' THEN PERFORM jobtrack.fail_job(s.id::bigint, s.reason::text);
              WHEN 'reason' THEN UPDATE jobtrack.job_status SET failed_reason = s.reason WHERE id = s.id;
              WHEN 'percentage' THEN PERFORM jobtrack.set_progress(s.id::bigint, s.value::numeric);
              WHEN 'progress' THEN PERFORM jobtrack.set_progress(s.id::bigint, s.current::bigint, s.total::bigint);
              ELSE PERFORM jobtrack.set_status(s.id::bigint, s.op::jobtrack.status);
            END CASE;
          END LOOP;
        END $f$`);
      await client.query(`INSERT INTO ${this.table} (stream, last_id) VALUES ($1, $2) ON CONFLICT (stream) DO NOTHING`,
        [this.eventsKey, this.from]);
      const r = await client.query(`SELECT last_id FROM ${this.table} WHERE stream = $1`, [this.eventsKey]);
      await client.query('COMMIT');
      ok = true;
      return r.rows[0].last_id;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      release(client, !ok);
    }
  }

  async loop(readyResolve) {
    let attempt = 0;
    let needSetup = true;
    while (!this.stopped) {
      try {
        if (needSetup) {
          this.position = await this.setup();
          needSetup = false;
          if (await this.gap(this.position)) await this.resync();
          readyResolve();
        }
        const res = await this.reader.xread('COUNT', this.batchSize, 'BLOCK', this.blockMs, 'STREAMS', this.eventsKey, this.position);
        if (this.stopped) break;
        if (res && res[0] && res[0][1].length) {
          const entries = res[0][1];
          this.streamSeen = true;
          if (await this.gap(this.position)) await this.resync();
          else await this.processBatch(entries);
        } else if (await this.vanished()) this.nextCheck = 0;
        await this.housekeep();
        attempt = 0;
      } catch (err) {
        if (this.stopped) break;
        this.stats.errors++;
        if (this.listenerCount('error')) this.emit('error', err);
        const delay = Math.min(this.maxBackoff, 100 * 2 ** attempt++);
        await sleep(delay / 2 + Math.random() * delay / 2);
      }
    }
  }

  /** True when the stream lost entries after `pos` (BullMQ trims it to about maxLenEvents). */
  async gap(pos) {
    const info = await this.streamInfo();
    if (!info) return false;
    // Trimming (XADD MAXLEN ~) removes entries from the head: when entries were
    // removed and the oldest one left is newer than our position, some entries
    // after our position may be gone. (Redis 7.0 does not count trimmed entries
    // in max-deleted-entry-id, so that field cannot tell.) This can be a false
    // alarm when exactly our own last entry was trimmed; a resync is harmless.
    const first = info['first-entry'];
    if (!first) return false;
    const trimmed = info['entries-added'] === undefined || Number(info['entries-added']) > Number(info.length);
    return trimmed && cmpId(first[0], pos) > 0;
  }

  /** True once when the stream we read is gone (Queue.obliterate deletes it): its jobs went silently. */
  async vanished() {
    if (!this.streamSeen || this.stopped) return false;
    this.streamSeen = (await this.redis.exists(this.eventsKey)) === 1;
    return !this.streamSeen;
  }

  /** Run the check when it is due, and settle the suspects the position has passed. */
  async housekeep() {
    if (this.stopped) return;
    if (this.checkMs && Date.now() >= this.nextCheck) {
      // Set first: a check that fails is retried after the interval, and never holds up the batches.
      this.nextCheck = Date.now() + this.checkMs;
      await this.check();
    }
    if (this.suspects.size) await this.settle();
  }

  /**
   * This queue's unfinished rows (their external ids). The status index and the
   * tags index (jobtrack's GIN on tags, whose partial predicate is restated)
   * find them; starts_with keeps this prefix's only, whatever the collation.
   */
  async unfinished() {
    const r = await this.pool.query(
      'SELECT external_id FROM jobtrack.job_status WHERE status = ANY($1::jobtrack.status[]) ' +
        "AND tags <> '{}'::jsonb AND tags @> $2::jsonb AND starts_with(external_id, $3) ORDER BY id",
      [UNFINISHED, JSON.stringify({ queue: this.queueName }), this.base]);
    return r.rows.map((x) => x.external_id).filter((k) => !k.slice(this.base.length).includes(':'));
  }

  /**
   * Which of these jobs are gone from Redis, and the stream's last id read in
   * the same MULTI, after them: a gone job's ending entry, if it has one, is
   * written in the script that deletes it, so it is at or before that id.
   * With no stream (obliterated) there is nothing to wait for: '0-0'.
   */
  async missing(keys) {
    const multi = this.redis.multi();
    for (const key of keys) multi.hmget(key, 'name', 'timestamp');
    multi.xinfo('STREAM', this.eventsKey);
    const out = await multi.exec();
    const info = streamFields(...out.pop());
    const mark = info ? info['last-generated-id'] : '0-0';
    const gone = keys.filter((key, i) => {
      const [err, h] = out[i];
      if (err) throw err;
      return !jobExists(h[0], h[1]);
    });
    return { gone, mark };
  }

  /**
   * Find this queue's unfinished rows whose job is gone from Redis (Queue.clean,
   * Queue.drain, orphan removal and Queue.obliterate delete jobs and write no
   * entry for them), in batches, and note each with the stream's last id.
   */
  async check() {
    this.stats.checks++;
    const keys = (await this.unfinished()).filter((k) => !this.suspects.has(k));
    let gone = 0;
    for (let i = 0; i < keys.length && !this.stopped; i += this.batchSize) {
      const found = await this.missing(keys.slice(i, i + this.batchSize));
      for (const key of found.gone) this.suspects.set(key, found.mark);
      gone += found.gone.length;
    }
    this.emit('check', { rows: keys.length, gone, suspects: this.suspects.size });
  }

  /**
   * Cancel the suspects whose mark the position `upTo` has reached: every
   * entry written before their job went missing has been applied, so a job
   * that completed, failed or was removed has its row finished by now; a row
   * still unfinished lost its job silently. apply() reads the job again and
   * locks the row: a finished row is left alone, a job back in Redis (the
   * same id added again) is reconciled instead.
   */
  async settle(upTo = this.position) {
    const due = [];
    for (const [key, mark] of this.suspects) if (upTo && cmpId(upTo, mark) >= 0) due.push(key);
    for (let i = 0; i < due.length; i += this.batchSize) {
      const chunk = due.slice(i, i + this.batchSize);
      await this.apply(chunk, { ends: new Map(chunk.map((k) => [k, REMOVED])), position: null });
      for (const key of chunk) this.suspects.delete(key);
      this.stats.settled += chunk.length;
    }
  }

  /** Read many jobs' state atomically. keys: full Redis keys of jobs. */
  async snapshot(keys) {
    const multi = this.redis.multi();
    for (const key of keys) {
      const cut = key.lastIndexOf(':');
      const base = key.slice(0, cut + 1);
      const id = key.slice(cut + 1);
      multi.hmget(key, 'name', 'data', 'progress', 'atm', 'failedReason', 'parentKey', 'delay', 'timestamp', 'finishedOn');
      multi.lpos(`${base}active`, id);
      multi.zscore(`${base}completed`, id);
      multi.zscore(`${base}failed`, id);
      multi.zscore(`${base}delayed`, id);
      multi.zscore(`${base}prioritized`, id);
      multi.zscore(`${base}waiting-children`, id);
    }
    const out = await multi.exec();
    const snaps = new Map();
    keys.forEach((key, i) => {
      const r = out.slice(i * 7, i * 7 + 7).map(([err, v]) => { if (err) throw err; return v; });
      const [h, active, completed, failed, delayed, prioritized, waitingChildren] = r;
      const cut = key.lastIndexOf(':');
      const s = {
        key, id: key.slice(cut + 1), queue: key.slice(0, cut).split(':').pop(),
        exists: jobExists(h[0], h[7]),
        name: h[0], data: parseJson(h[1]), progress: parseJson(h[2]), attemptsMade: Number(h[3] || 0),
        failedReason: h[4], parentKey: h[5] || null, delay: Number(h[6] || 0), timestamp: Number(h[7] || 0),
        finishedOn: h[8] ? Number(h[8]) : null,
      };
      if (!s.exists) s.state = 'removed';
      else if (active !== null) s.state = 'active';
      else if (completed !== null) s.state = 'completed';
      else if (failed !== null) s.state = 'failed';
      else if (delayed !== null) s.state = 'delayed';
      else if (prioritized !== null) s.state = 'prioritized';
      else if (waitingChildren !== null) s.state = 'waiting-children';
      else s.state = 'waiting';
      snaps.set(key, s);
    });
    return snaps;
  }

  /**
   * The flows of these snapshots, for the parents not populated yet: the
   * parents they name (parentKey), and the jobs `waiting` (their batch holds
   * their waiting-children entry: BullMQ writes it in the script that adds a
   * flow parent, before any of its children is added). Returns `parents`, the
   * parents read; `parentOf`, each child key those parents name -> its
   * parent; `extra`, those children not among the snapshots. A child BullMQ
   * has already deleted (removeOnComplete) no longer names its parent, but its
   * parent still names it: its :processed hash (or :failed, :unsuccessful)
   * keeps the child's key.
   */
  async family(snaps, waiting) {
    const parents = new Set();
    for (const s of snaps.values()) {
      if (s.parentKey && !this.populated.has(s.parentKey)) parents.add(s.parentKey);
    }
    for (const key of waiting) if (!this.populated.has(key)) parents.add(key);
    const parentOf = new Map();
    if (!parents.size) return { parents, parentOf, extra: [] };
    const pipe = this.redis.pipeline();
    for (const p of parents) {
      pipe.hkeys(`${p}:processed`);
      pipe.smembers(`${p}:dependencies`);
      pipe.hkeys(`${p}:failed`);
      pipe.zrange(`${p}:unsuccessful`, 0, -1);
    }
    const res = await pipe.exec();
    const list = [...parents];
    res.forEach(([err, children], i) => {
      if (err) throw err;
      const parent = list[Math.floor(i / 4)]; // four reads per parent, above
      for (const k of children) if (!parentOf.has(k)) parentOf.set(k, parent);
    });
    return { parents, parentOf, extra: [...parentOf.keys()].filter((k) => !snaps.has(k)) };
  }

  /**
   * The names of these jobs of this queue, from their "added" entries after
   * `from` up to the stream's last id (read now: a job we found gone was added
   * before). Read in chunks, until every name is found.
   */
  async namesAfter(from, keys) {
    const want = new Set(keys.map((k) => k.slice(this.base.length)));
    const names = new Map();
    const end = await this.lastId();
    let start = from;
    while (want.size && cmpId(start, end) < 0) {
      const chunk = await this.redis.xrange(this.eventsKey, `(${start}`, end, 'COUNT', Math.max(this.batchSize, 1000));
      if (!chunk.length) break;
      for (const [, arr] of chunk) {
        const f = fieldsOf(arr);
        if (f.event === 'added' && f.name && want.has(f.jobId)) {
          names.set(this.base + f.jobId, f.name);
          want.delete(f.jobId);
        }
      }
      start = chunk[chunk.length - 1][0];
    }
    return names;
  }

  async processBatch(entries) {
    const order = [];
    const seen = new Set();
    const ends = new Map(); // key -> its last entry that says how it ended, for a job gone when we read it
    const exhausted = new Map(); // key -> attemptsMade of its retries-exhausted entry
    const progressed = new Set();
    const waiting = new Set(); // flow parents: their children are read from them
    const names = new Map(); // a job removed before we read it keeps the name its 'added' entry gave
    for (const [, arr] of entries) {
      const f = fieldsOf(arr);
      if (f.event === 'cleaned') this.nextCheck = 0; // Queue.clean names no job: check at once
      if (!f.jobId) continue;
      const key = this.base + f.jobId;
      if (!seen.has(key)) { seen.add(key); order.push(key); }
      if (ENDS.has(f.event)) ends.set(key, f);
      if (f.event === 'retries-exhausted') exhausted.set(key, Number(f.attemptsMade));
      if (f.event === 'added' && f.name) names.set(key, f.name);
      if (f.event === 'progress') progressed.add(key);
      if (f.event === 'waiting-children') waiting.add(key);
    }
    await this.apply(order, {
      ends, exhausted, progressed, waiting, names, position: entries[entries.length - 1][0], events: entries.length,
    });
  }

  /** Reconcile the jobs `keys` (and the rest of their flows) and store `position`, in one transaction. */
  async apply(keys, {
    ends = new Map(), exhausted = new Map(), progressed = new Set(), waiting = new Set(), names = new Map(), position, events = 0,
    inTransaction = null,
  }) {
    const snaps = keys.length ? await this.snapshot(keys) : new Map();
    const { parents, parentOf, extra } = await this.family(snaps, waiting);
    if (extra.length) {
      const more = await this.snapshot(extra);
      for (const [k, v] of more) snaps.set(k, v);
    }
    // Siblings first: a flow's rows all exist before any of them moves.
    const all = [...extra, ...keys];
    const client = await connect(this.pool);
    let committed = false;
    try {
      await client.query('BEGIN');
      await client.query(`SELECT last_id FROM ${this.table} WHERE stream = $1 FOR UPDATE`, [this.eventsKey]);
      const rows = await this.lockRows(client, all);
      const nameless = [];
      for (const key of all) {
        const s = snaps.get(key);
        if (s.state !== 'removed') continue;
        const row = rows.get(key);
        settleGone(s, ends.get(key), row, exhausted.get(key));
        if (row) continue;
        // A gone job's parentKey went with its hash; a parent read above may still name it.
        s.parentKey = parentOf.get(key) || null;
        s.name = names.get(key) || null;
        if (!s.name && s.parentKey && position && key.startsWith(this.base)) nameless.push(key);
      }
      // Children gone before a batch that ends after their parent's entries
      // and before theirs (a flow's are the parent's, then the children's):
      // their names are further on; their rows are made now, with their siblings'.
      if (nameless.length) {
        for (const [key, name] of await this.namesAfter(position, nameless)) snaps.get(key).name = name;
      }
      // 1. Create the missing rows, all in one statement.
      const missing = all.filter((key) => !rows.has(key) && snaps.get(key).name);
      if (missing.length) {
        const groups = new Map();
        const specs = [];
        for (const key of missing) {
          const sn = snaps.get(key);
          let groupId = null;
          if (sn.parentKey) {
            if (!groups.has(sn.parentKey)) {
              const g = await client.query('SELECT jobtrack.group_id($1::text) AS id', [`bullmq flow ${sn.parentKey}`]);
              groups.set(sn.parentKey, g.rows[0].id);
            }
            groupId = groups.get(sn.parentKey);
          }
          const tags = { queue: sn.queue, bullmq_id: sn.id };
          if (sn.parentKey) tags.parent = sn.parentKey;
          let data = null;
          if (this.data === true) data = sn.data;
          else if (typeof this.data === 'function') data = this.data(sn);
          specs.push({
            type: sn.name, tags, group_id: groupId, data: data === undefined ? null : data, key,
            delay: sn.state === 'delayed' ? `${Math.max(0, sn.timestamp + sn.delay - Date.now())} milliseconds` : null,
          });
        }
        await client.query(
          'SELECT jobtrack.create_job(job_type => x.type, tags => x.tags, group_id => x.group_id, data => x.data, ' +
            'external_id => x.key, delay => x.delay) ' +
            'FROM (SELECT * FROM jsonb_to_recordset($1::jsonb) ' +
            '      AS x(type text, tags jsonb, group_id bigint, data jsonb, key text, delay interval, n int) ' +
            '      ORDER BY n OFFSET 0) x',
          [JSON.stringify(specs.map((sp, n) => ({ ...sp, n })))]);
        for (const [k, v] of await this.lockRows(client, missing)) rows.set(k, v);
      }
      // 2. Work out every row's steps, then run them all, in order, in one call.
      const steps = [];
      for (const key of all) {
        const row = rows.get(key);
        if (row && snaps.get(key).state !== 'gone') this.plan(snaps.get(key), row, progressed.has(key), steps);
      }
      if (steps.length) {
        await client.query(`SELECT ${quoteIdent(this.schema)}.apply_steps($1::jsonb)`,
          [JSON.stringify(steps.map((st, n) => ({ ...st, n })))]);
      }
      if (inTransaction) await inTransaction(client);
      if (position) {
        await client.query(`UPDATE ${this.table} SET last_id = $2, updated_at = now() WHERE stream = $1`, [this.eventsKey, position]);
      }
      await client.query('COMMIT');
      committed = true;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      release(client, !committed);
    }
    if (this.populated.size > 100000) this.populated.clear(); // only an optimisation: bounded
    for (const p of parents) this.populated.add(p);
    if (position) this.position = position;
    this.stats.batches++;
    this.stats.events += events;
    this.stats.jobs += all.length;
    if (this.listenerCount('batch')) {
      this.emit('batch', { position, events, jobs: [...snaps.values()], committedAt: Date.now() });
    }
  }

  /** Read and lock the rows of these external ids (in id order, so two bridges cannot deadlock). */
  async lockRows(client, keys) {
    if (!keys.length) return new Map();
    const r = await client.query(LOCK_ROWS_SQL, [keys]);
    return new Map(r.rows.map((row) => [row.external_id, row]));
  }

  /**
   * The steps that move one row to what its BullMQ snapshot says, along
   * allowed transitions only; appended to `steps` as { id, op, ... }.
   */
  plan(s, row, progressed, steps) {
    const id = row.id;
    const step = (op, reason) => steps.push({ id, op, reason: reason ?? null });
    const target = targetOf(s);
    let cur = row.status;
    let att = row.attempts;
    if (target.status === 'cancelled') {
      if (!FINAL.has(cur)) step('cancelled');
      return;
    }
    // Retries first: a BullMQ retry is failed -> queued in jobtrack (attempts + 1).
    while (att < target.attempts && cur !== 'succeeded') {
      if (!FINAL.has(cur) && cur !== 'stuck') {
        for (const st of PATH[cur].failed) step(st, s.failedReason);
        cur = 'failed';
      }
      step('retry');
      att++;
      cur = 'queued';
    }
    if (cur !== target.status) {
      if (cur === 'succeeded') {
        this.emit('mismatch', { key: s.key, jobtrack: cur, bullmq: s.state });
        return;
      }
      if (cur === 'failed' || cur === 'cancelled') {
        if (FINAL.has(target.status) && target.status !== 'succeeded') return;
        step('retry');
        cur = 'queued';
      }
      for (const st of PATH[cur][target.status]) step(st, s.failedReason);
      cur = target.status;
    } else if (cur === 'failed' && s.failedReason != null && row.failed_reason !== s.failedReason) {
      step('reason', s.failedReason);
    }
    if ((progressed || cur === 'started') && cur !== 'succeeded') {
      const p = s.progress;
      if (typeof p === 'number') {
        if (!Number.isFinite(p) || p < 0 || p > 100) return;
        if (row.percentage != null && Number(row.percentage) === p && row.progress_total == null) return;
        steps.push({ id, op: 'percentage', value: p });
      } else if (p && typeof p === 'object' && Number.isSafeInteger(p.current) && Number.isSafeInteger(p.total)) {
        if (p.current < 0 || p.total <= 0 || p.current > p.total) return;
        if (Number(row.progress_current) === p.current && Number(row.progress_total) === p.total) return;
        steps.push({ id, op: 'progress', current: p.current, total: p.total });
      }
    }
  }

  /**
   * Re-read every job of the queue and reconcile it; then settle the rows of
   * this queue's jobs that the scan did not find; then store the position the
   * stream had before the scan (events after it are replayed, harmlessly).
   * A job that ended during the scan is not in it, and its ending entry comes
   * after that position: such rows wait, as suspects marked with the stream's
   * last id after the scan, for the replay to end them; the rest (no entry
   * after the position: removed silently, or its entries trimmed) are
   * cancelled now.
   */
  async resync() {
    this.stats.resyncs++;
    const position = await this.lastId();
    const { keys, mark } = await this.scan();
    const present = new Set(keys);
    for (let i = 0; i < keys.length; i += this.batchSize) {
      await this.apply(keys.slice(i, i + this.batchSize), { position: null });
    }
    for (const key of await this.unfinished()) {
      if (!present.has(key)) this.suspects.set(key, mark);
    }
    await this.settle(position);
    await this.apply([], {
      position,
      inTransaction: (client) => client.query(`UPDATE ${this.table} SET resynced_at = now() WHERE stream = $1`, [this.eventsKey]),
    });
    this.emit('resync', { jobs: keys.length, position });
  }

  /** The event stream's XINFO STREAM fields, or null when there is no stream. */
  async streamInfo() {
    let reply;
    try {
      reply = await this.redis.xinfo('STREAM', this.eventsKey);
    } catch (err) {
      return streamFields(err);
    }
    return streamFields(null, reply);
  }

  /** The stream's last id ('0-0' when there is no stream). */
  async lastId() {
    const info = await this.streamInfo();
    return info ? info['last-generated-id'] : '0-0';
  }

  /** Every job key of the queue, and the stream's last id read after them. */
  async scan() {
    const b = this.base;
    const pipe = this.redis.pipeline();
    for (const l of ['wait', 'paused', 'active']) pipe.lrange(b + l, 0, -1);
    for (const z of ['prioritized', 'waiting-children', 'delayed', 'completed', 'failed']) pipe.zrange(b + z, 0, -1);
    const res = await pipe.exec();
    const ids = new Set();
    for (const [err, list] of res) {
      if (err) throw err;
      for (const id of list) ids.add(id);
    }
    return { keys: [...ids].map((id) => b + id), mark: await this.lastId() };
  }
}

/** Mirror a BullMQ queue into jobtrack; returns the running bridge. */
function trackQueue(queue, options) {
  return new QueueBridge(queue, options).start();
}

module.exports = { QueueBridge, trackQueue, cmpId, targetOf, LOCK_ROWS_SQL };
