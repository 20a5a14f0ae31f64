'use strict';

const pg = require('pg');
const { translate, EventsExpired } = require('./errors');

function quoteIdent(s) {
  return '"' + String(s).replace(/"/g, '""') + '"';
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One LISTEN connection for group events. On every (re)connect it LISTENs first,
 * then replays group_events(lastId), then hands out live notifications whose
 * event_id is above the last one handed out; a notification without counts or
 * title (the slim payload) or with a truncated title is completed from
 * group_events(). Each event reaches onEvent once, in id order.
 */
class EventSubscription {
  constructor(jt, options = {}) {
    const {
      afterId = null, onEvent, onError, onConnect, channel = 'jobtrack_events',
      minBackoff = 100, maxBackoff = 5000, pingInterval = 15000, connection,
    } = options;
    if (typeof onEvent !== 'function') throw new TypeError('events() needs an onEvent function');
    this.jt = jt;
    this.onEvent = onEvent;
    this.onError = onError || (() => {});
    this.onConnect = onConnect || (() => {});
    this.channel = channel;
    this.minBackoff = minBackoff;
    this.maxBackoff = maxBackoff;
    this.pingInterval = pingInterval;
    this.connection = { application_name: 'jobtrack-events', ...(connection || jt.config), keepAlive: true };
    delete this.connection.max;
    delete this.connection.idleTimeoutMillis;
    // null: from the oldest kept event (group_events() without an argument).
    this.last = afterId == null ? null : BigInt(afterId);
    this.stopped = false;
    this.client = null;
    this.connects = 0;
    this.wakeup = null;
    this.pending = [];
  }

  /** The id of the last event handed out (a number or bigint as the client's ids). */
  get lastId() {
    return this.last === null ? null : this.jt.toId(this.last.toString());
  }

  seen(id) {
    return this.last !== null && id <= this.last;
  }

  start() {
    this.done = this.run();
    // A caller that never awaits done must not see an unhandled rejection.
    this.done.catch(() => {});
    return this;
  }

  async stop() {
    this.stopped = true;
    this.wake();
    if (this.client) this.client.end().catch(() => {});
    try { await this.done; } catch (_) { /* reported already */ }
  }

  wake() {
    if (this.wakeup) { const w = this.wakeup; this.wakeup = null; w(); }
  }

  async run() {
    let attempt = 0;
    while (!this.stopped) {
      let err;
      try {
        await this.session(() => { attempt = 0; });
      } catch (e) {
        err = e;
      }
      if (this.stopped) break;
      if (err instanceof EventsExpired) {
        this.stopped = true;
        this.onError(err);
        throw err;
      }
      if (err) this.onError(err);
      const delay = Math.min(this.maxBackoff, this.minBackoff * 2 ** attempt);
      attempt++;
      await sleep(delay / 2 + Math.random() * delay / 2);
    }
  }

  async session(connected) {
    const client = new pg.Client(this.connection);
    this.client = client;
    this.pending = [];
    let failure = null;
    const fail = (e) => { if (!failure) failure = e; this.wake(); };
    client.on('error', fail);
    client.on('end', () => fail(new Error('jobtrack events: connection ended')));
    client.on('notification', (msg) => {
      if (msg.channel === this.channel) { this.pending.push(msg.payload); this.wake(); }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
      await this.replay(client);
      this.connects++;
      connected();
      this.onConnect();
      let lastPing = Date.now();
      while (!this.stopped && !failure) {
        while (this.pending.length && !this.stopped) {
          await this.notification(client, this.pending.shift());
        }
        if (this.stopped || failure) break;
        const wait = Math.max(0, this.pingInterval - (Date.now() - lastPing));
        let timer;
        await new Promise((resolve) => {
          this.wakeup = resolve;
          timer = setTimeout(resolve, wait);
          if (this.pending.length || failure || this.stopped) resolve();
        });
        clearTimeout(timer);
        this.wakeup = null;
        if (Date.now() - lastPing >= this.pingInterval && !failure && !this.stopped) {
          // A cheap round trip notices a silently dead connection.
          await client.query('SELECT 1');
          lastPing = Date.now();
        }
      }
      if (failure && !this.stopped) throw failure;
    } finally {
      this.client = null;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
    }
  }

  /** Hand out every stored event above the last one handed out. */
  async replay(client) {
    let r;
    try {
      r = this.last === null
        ? await client.query('SELECT * FROM jobtrack.group_events() ORDER BY id')
        : await client.query('SELECT * FROM jobtrack.group_events($1::bigint) ORDER BY id', [this.last.toString()]);
    } catch (err) {
      throw translate(err, 'group', { afterId: this.lastId });
    }
    for (const row of r.rows) {
      if (this.stopped) return;
      const p = row.payload || {};
      await this.deliver(BigInt(row.id), {
        groupId: this.jt.toId(row.group_id),
        run: row.run,
        event: row.event,
        at: p.at ?? row.created_at,
        title: p.title ?? null,
        counts: p.counts ?? null,
        payload: p,
      });
    }
  }

  async notification(client, text) {
    let p;
    try {
      p = JSON.parse(text);
    } catch (_) {
      await this.replay(client); // not ours to parse: treat as a hint
      return;
    }
    if (p == null || p.event_id == null) { await this.replay(client); return; }
    const id = BigInt(p.event_id);
    if (this.seen(id)) return; // seen in the replay already
    if (p.counts == null || p.title == null || p.title_truncated) {
      // Slim or cut payload: the stored rows have everything.
      await this.replay(client);
      return;
    }
    await this.deliver(id, {
      groupId: this.jt.toId(String(p.group_id)),
      run: p.run,
      event: p.event,
      at: p.at,
      title: p.title,
      counts: p.counts,
      payload: p,
    });
  }

  async deliver(id, ev) {
    if (this.seen(id)) return;
    this.last = id;
    try {
      await this.onEvent({ id: this.jt.toId(id.toString()), ...ev });
    } catch (err) {
      this.onError(err);
    }
  }
}

module.exports = { EventSubscription };
