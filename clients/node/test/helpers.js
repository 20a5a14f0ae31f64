'use strict';

// Shared by the tests: where test.sh started PostgreSQL and Redis, and how to
// restart PostgreSQL. test.sh exports JT_PGHOST, JT_PGPORT, JT_PGDATA, JT_REDIS_PORT.
const { execFileSync } = require('child_process');
const pg = require('pg');

const PGBIN = process.env.JT_PGBIN || '/usr/lib/postgresql/15/bin';
const env = {
  pgHost: process.env.JT_PGHOST || '/tmp/jtnode-dev',
  pgPort: Number(process.env.JT_PGPORT || 5494),
  pgData: process.env.JT_PGDATA || '/tmp/jtnode-dev/data',
  redisPort: Number(process.env.JT_REDIS_PORT || 6390),
};

function pgConfig(database = 'postgres', extra = {}) {
  return { host: env.pgHost, port: env.pgPort, user: 'postgres', database, ...extra };
}

function redisConnection() {
  return { host: '127.0.0.1', port: env.redisPort, maxRetriesPerRequest: null };
}

/** Restart the test cluster (fast shutdown): every connection is cut. */
function restartPostgres() {
  execFileSync('runuser', ['-u', 'postgres', '--', `${PGBIN}/pg_ctl`, '-D', env.pgData, '-m', 'fast', '-w', 'restart',
    '-l', `${env.pgData}/../server.log`], { stdio: 'ignore' });
}

async function withClient(database, fn) {
  const c = new pg.Client(pgConfig(database));
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

/** Create the extension in the worker's database if missing. */
async function ensureExtension() {
  await withClient('postgres', (c) => c.query('CREATE EXTENSION IF NOT EXISTS jobtrack'));
}

/** Retry fn while PostgreSQL is restarting or a connection was cut. */
async function retrying(fn, { tries = 100, delay = 100 } = {}) {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const transient = ['57P01', '57P02', '57P03', '08006', '08003', '08001', 'ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE']
        .includes(err.code) || /Connection terminated|not queryable|connection.*(closed|ended)/i.test(err.message);
      if (!transient || i >= tries) throw err;
      await sleep(delay);
    }
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(fn, { timeout = 60000, interval = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(interval);
  }
}

/** A small seeded PRNG (mulberry32) so the big test is repeatable. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const unique = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

module.exports = { env, pgConfig, redisConnection, restartPostgres, withClient, ensureExtension, retrying, sleep, waitFor, rng, unique };
