'use strict';

const pg = require('pg');
const { translate, InvalidInput } = require('./errors');
const { EventSubscription } = require('./events');

const STATUSES = ['queued', 'delayed', 'started', 'paused', 'stuck', 'succeeded', 'failed', 'cancelled'];

/** A job id as the text of a bigint parameter: numbers, bigints and digit strings are accepted. */
function idParam(id, what = 'job id') {
  if (typeof id === 'bigint') return id.toString();
  if (typeof id === 'number') {
    if (!Number.isSafeInteger(id)) throw new TypeError(`${what} must be a safe integer, got ${id}`);
    return String(id);
  }
  if (typeof id === 'string' && /^-?\d+$/.test(id)) return id;
  throw new TypeError(`${what} must be a number, a bigint or a string of digits, got ${typeof id}`);
}

/** An interval parameter: milliseconds as a number, or PostgreSQL interval text. */
function intervalParam(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError('an interval in milliseconds must be finite');
    return `${v} milliseconds`;
  }
  return String(v);
}

function jsonParam(v) {
  return v === undefined || v === null ? null : JSON.stringify(v);
}

class JobTrack {
  /**
   * @param {object} [options]
   *   pool: a pg.Pool to use (not closed by end()); otherwise the remaining
   *   options (connectionString, host, port, ...) configure a pool of our own.
   *   ids: 'number' (default) or 'bigint', the type ids are returned as.
   */
  constructor(options = {}) {
    const { pool, ids = 'number', ...config } = options;
    if (ids !== 'number' && ids !== 'bigint') throw new TypeError("ids must be 'number' or 'bigint'");
    this.idType = ids;
    if (pool) {
      this.pool = pool;
      this.ownPool = false;
      this.config = { ...pool.options };
    } else {
      this.pool = new pg.Pool(config);
      this.ownPool = true;
      this.config = config;
    }
    // A pool emits 'error' for idle clients whose connection dies (a server
    // restart): the next query gets a fresh connection, so do not crash.
    if (this.ownPool) this.pool.on('error', () => {});
  }

  /** Convert a bigint column (text from pg) to the configured id type. */
  toId(v) {
    if (v === null || v === undefined) return null;
    if (this.idType === 'bigint') return BigInt(v);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new RangeError(`id ${v} is beyond Number.MAX_SAFE_INTEGER; use { ids: 'bigint' }`);
    return n;
  }

  async query(text, params, kind = 'job') {
    try {
      return await this.pool.query(text, params);
    } catch (err) {
      throw translate(err, kind);
    }
  }

  async scalar(text, params, kind) {
    const r = await this.query(text, params, kind);
    return r.rows[0] ? r.rows[0].v : null;
  }

  // ---- jobs -------------------------------------------------------------

  /**
   * Create a job; with an externalId that already exists, return that job's id
   * and change nothing (an idempotent find-or-create).
   */
  async createJob(jobType, { alias, tags, groupId, data, externalId, delay } = {}) {
    const v = await this.scalar(
      'SELECT jobtrack.create_job(job_type => $1::text, alias => $2::text, tags => COALESCE($3::jsonb, \'{}\'::jsonb), ' +
        'group_id => $4::bigint, data => $5::jsonb, external_id => $6::text, delay => $7::interval) AS v',
      [jobType, alias ?? null, jsonParam(tags), groupId == null ? null : idParam(groupId, 'group id'),
        jsonParam(data), externalId ?? null, intervalParam(delay)],
    );
    return this.toId(v);
  }

  /** The jobtrack id of the job with this external id, or null. */
  async findJob(externalId) {
    const v = await this.scalar('SELECT id AS v FROM jobtrack.job_status WHERE external_id = $1::text', [String(externalId)]);
    return this.toId(v);
  }

  /** The job's row (ids converted, percentage as a number), or null. */
  async getJob(id) {
    const r = await this.query('SELECT * FROM jobtrack.job_status WHERE id = $1::bigint', [idParam(id)]);
    return r.rows[0] ? this.jobRow(r.rows[0]) : null;
  }

  jobRow(row) {
    return {
      ...row,
      id: this.toId(row.id),
      group_id: this.toId(row.group_id),
      percentage: row.percentage == null ? null : Number(row.percentage),
      progress_current: row.progress_current == null ? null : Number(row.progress_current),
      progress_total: row.progress_total == null ? null : Number(row.progress_total),
    };
  }

  async startJob(id) { return this.scalar('SELECT jobtrack.start_job($1::bigint)::text AS v', [idParam(id)]); }
  async succeedJob(id) { return this.scalar('SELECT jobtrack.succeed_job($1::bigint)::text AS v', [idParam(id)]); }
  async failJob(id, reason = null) {
    return this.scalar('SELECT jobtrack.fail_job($1::bigint, $2::text)::text AS v', [idParam(id), reason]);
  }
  async cancelJob(id) { return this.scalar('SELECT jobtrack.cancel_job($1::bigint)::text AS v', [idParam(id)]); }
  async pauseJob(id) { return this.scalar('SELECT jobtrack.pause_job($1::bigint)::text AS v', [idParam(id)]); }
  async retryJob(id) { return this.scalar('SELECT jobtrack.retry_job($1::bigint)::text AS v', [idParam(id)]); }
  async setStatus(id, status) {
    return this.scalar('SELECT jobtrack.set_status($1::bigint, $2::jobtrack.status)::text AS v', [idParam(id), status]);
  }
  async getStatus(id) { return this.scalar('SELECT jobtrack.get_status($1::bigint)::text AS v', [idParam(id)]); }

  async percentage(id) {
    const v = await this.scalar('SELECT jobtrack.percentage($1::bigint) AS v', [idParam(id)]);
    return v == null ? null : Number(v);
  }

  /** setProgress(id, percentage) or setProgress(id, current, total). */
  async setProgress(id, a, b) {
    if (b === undefined) {
      if (a && typeof a === 'object') return this.setProgress(id, a.current, a.total);
      await this.query('SELECT jobtrack.set_progress($1::bigint, $2::numeric)', [idParam(id), a == null ? null : String(a)]);
    } else {
      await this.query('SELECT jobtrack.set_progress($1::bigint, $2::bigint, $3::bigint)',
        [idParam(id), a == null ? null : String(a), b == null ? null : String(b)]);
    }
  }

  async heartbeat(id) { await this.query('SELECT jobtrack.heartbeat($1::bigint)', [idParam(id)]); }

  async addMessage(id, message, level = 'info') {
    return this.toId(await this.scalar('SELECT jobtrack.add_message($1::bigint, $2::text, $3::text) AS v',
      [idParam(id), message, level]));
  }

  async sendSignal(id, signal, parameters = {}, cancelJob = false) {
    return this.toId(await this.scalar(
      'SELECT jobtrack.send_signal($1::bigint, $2::text, $3::jsonb, $4::boolean) AS v',
      [idParam(id), signal, jsonParam(parameters ?? {}), !!cancelJob]));
  }

  async requestCancel(id) {
    return this.toId(await this.scalar('SELECT jobtrack.request_cancel($1::bigint) AS v', [idParam(id)]));
  }

  async takeSignals(id) {
    const r = await this.query('SELECT * FROM jobtrack.take_signals($1::bigint) ORDER BY id', [idParam(id)]);
    return r.rows.map((row) => ({ ...row, id: this.toId(row.id), job_id: this.toId(row.job_id), group_id: this.toId(row.group_id) }));
  }

  // ---- groups -----------------------------------------------------------

  async createGroup(title, { payload, timeToCheck } = {}) {
    return this.toId(await this.scalar(
      'SELECT jobtrack.create_group($1::text, $2::jsonb, COALESCE($3::interval, \'1 minute\'::interval)) AS v',
      [title, jsonParam(payload), intervalParam(timeToCheck)], 'group'));
  }

  /** The id of the group with this title, created if missing. */
  async groupId(title) {
    return this.toId(await this.scalar('SELECT jobtrack.group_id($1::text) AS v', [title], 'group'));
  }

  async getGroup(id) {
    const r = await this.query('SELECT * FROM jobtrack.job_group WHERE id = $1::bigint', [idParam(id, 'group id')], 'group');
    return r.rows[0] ? { ...r.rows[0], id: this.toId(r.rows[0].id) } : null;
  }

  /** The jobs of a group, in id order. */
  async groupJobs(groupId) {
    const r = await this.query('SELECT * FROM jobtrack.in_group($1::bigint) ORDER BY id', [idParam(groupId, 'group id')], 'group');
    return r.rows.map((row) => this.jobRow(row));
  }

  /**
   * Group events with an id above afterId, in id order; without afterId,
   * every kept event. EventsExpired when events after afterId aged out.
   */
  async groupEvents(afterId) {
    let r;
    try {
      r = afterId == null
        ? await this.pool.query('SELECT * FROM jobtrack.group_events() ORDER BY id')
        : await this.pool.query('SELECT * FROM jobtrack.group_events($1::bigint) ORDER BY id', [idParam(afterId, 'event id')]);
    } catch (err) {
      throw translate(err, 'group', { afterId });
    }
    return r.rows.map((row) => this.eventRow(row));
  }

  eventRow(row) {
    return {
      id: this.toId(row.id),
      groupId: this.toId(row.group_id),
      run: row.run,
      event: row.event,
      createdAt: row.created_at,
      payload: row.payload,
    };
  }

  async checkGroups() {
    return this.scalar('SELECT jobtrack.check_groups() AS v', []);
  }

  /**
   * Subscribe to group events: replays group_events(afterId) and then takes
   * live notifications, reconnecting with backoff; each event once, in id order.
   */
  events(options) {
    const sub = new EventSubscription(this, options);
    sub.start();
    return sub;
  }

  async end() {
    if (this.ownPool) await this.pool.end();
  }
}

module.exports = { JobTrack, idParam, intervalParam, STATUSES, InvalidInput };
