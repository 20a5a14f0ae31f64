'use strict';

// The wrong-job reproduction through node-postgres itself, with the
// parameters untyped as the driver sends them: job B's external id is job
// A's id as text, so a call that resolved an untyped $1 to an external-id
// overload would act on B.  Against jobtrack 2.0 it acts on A, and an
// external id reaches a job only through jobtrack.job().
const test = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('pg');
const { pgConfig, ensureExtension, unique } = require('./helpers');

let client;
test.before(async () => {
  await ensureExtension();
  client = new Client(pgConfig());
  await client.connect();
});
test.after(async () => { await client.end(); });

async function value(sql, params) {
  const r = await client.query(sql, params);
  return Object.values(r.rows[0])[0];
}

test('untyped $1 names the jobtrack id, never a colliding external id', async () => {
  const version = await value("SELECT extversion FROM pg_extension WHERE extname = 'jobtrack'");
  const a = await value("SELECT jobtrack.create_job($1)", ['A']);
  const b = await value("SELECT jobtrack.create_job($1, external_id => $2)", ['B', String(a)]);
  await value('SELECT jobtrack.start_job($1::bigint)', [a]);
  await value('SELECT jobtrack.start_job($1::bigint)', [b]);
  if (version < '2.0') return;   // 1.x resolves an untyped $1 to the text twin
  assert.equal(await value('SELECT jobtrack.succeed_job($1)', [a]), 'succeeded');
  assert.equal(await value('SELECT status FROM jobtrack.job_status WHERE id = $1', [a]), 'succeeded');
  assert.equal(await value('SELECT status FROM jobtrack.job_status WHERE id = $1', [b]), 'started');
  // named, untyped
  assert.equal(await value('SELECT jobtrack.fail_job(job_id => $1, reason => $2)', [b, 'named']), 'failed');
  assert.equal(await value('SELECT status FROM jobtrack.job_status WHERE id = $1', [a]), 'succeeded');
  // the external id that looks like A's id names B, through job() only
  assert.equal(String(await value('SELECT jobtrack.job($1)', [String(a)])), String(b));
});

test('a wrong kind of reference is a clear error', async () => {
  const version = await value("SELECT extversion FROM pg_extension WHERE extname = 'jobtrack'");
  if (version < '2.0') return;
  const ext = `bull-${unique()}`;
  await value('SELECT jobtrack.create_job($1, external_id => $2)', ['C', ext]);
  await assert.rejects(client.query('SELECT jobtrack.start_job($1)', [ext]), { code: '22P02' });
  await assert.rejects(client.query('SELECT jobtrack.start_job($1::text)', [ext]), { code: '42883' });
  await assert.rejects(client.query('SELECT jobtrack.start_job(jobtrack.job($1))', ['no-such-job']), { code: 'P0002' });
  assert.equal(await value('SELECT jobtrack.start_job(jobtrack.job($1))', [ext]), 'started');
});
