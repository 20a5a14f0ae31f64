'use strict';
// Shared set-up of the dashboard tests: a fresh database with jobtrack, the
// views, a reader and a writer role (the grants of the README), Chromium.
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { Client } = require('pg');

const HOST = process.env.JT_PGHOST || '127.0.0.1';
const PORT = process.env.JT_PGPORT || '5498';
const ROOT = path.join(__dirname, '..');
const SHOTS = path.join(__dirname, 'screenshots');

function url(role, db) { return `postgres://${role}@${HOST}:${PORT}/${db}`; }

async function admin(db, fn) {
  const c = new Client({ connectionString: url('postgres', db) });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

const ROLES = `
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dash_reader') THEN CREATE ROLE dash_reader LOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dash_writer') THEN CREATE ROLE dash_writer LOGIN; END IF;
END $$;
GRANT USAGE ON SCHEMA jobtrack TO dash_writer;
GRANT SELECT, INSERT, UPDATE ON jobtrack.job_status, jobtrack.job_message, jobtrack.job_signal TO dash_writer;
GRANT SELECT ON jobtrack.job_external_id, jobtrack.job_group, jobtrack.group_event, jobtrack.group_count TO dash_writer;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA jobtrack TO dash_writer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack TO dash_writer;
REVOKE EXECUTE ON FUNCTION jobtrack.check_groups(), jobtrack.run_maintenance(),
      jobtrack.update_status_running(bigint) FROM dash_writer;
GRANT USAGE ON SCHEMA jobtrack TO dash_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA jobtrack TO dash_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack TO dash_reader;
REVOKE EXECUTE ON FUNCTION jobtrack.check_groups(), jobtrack.run_maintenance(),
      jobtrack.update_status_running(bigint), jobtrack.create_group(text, jsonb, interval),
      jobtrack.group_id(text) FROM dash_reader;
-- from jobtrack 2.0 the scopes' helpers live in jobtrack_internal
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_namespace WHERE nspname = 'jobtrack_internal') THEN
    GRANT USAGE ON SCHEMA jobtrack_internal TO dash_reader, dash_writer;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack_internal TO dash_reader, dash_writer;
  END IF;
END $$;
`;

// a fresh database with jobtrack, the views and the roles' grants
async function freshDatabase(db) {
  await admin('postgres', async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${db}`);
    // the worker serves one database (jobtrack.database): point it at this one
    // (and look for a new CREATE EXTENSION every second, not every minute)
    await c.query(`ALTER SYSTEM SET jobtrack.database = '${db}'`);
    await c.query(`ALTER SYSTEM SET jobtrack.check_interval = '1s'`);
    await c.query('SELECT pg_reload_conf()');
  });
  await admin(db, async (c) => {
    await c.query('CREATE EXTENSION jobtrack');
    await c.query(ROLES);
  });
  // wait until the worker runs in the new database
  const t0 = Date.now();
  for (;;) {
    const r = await admin(db, (c) => c.query('SELECT worker_state FROM jobtrack.stats'));
    if (r.rows[0] && r.rows[0].worker_state === 'running') break;
    if (Date.now() - t0 > 20000) throw new Error('the jobtrack worker did not start in ' + db + ': ' + JSON.stringify(r.rows));
    await sleep(100);
  }
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// starts the one command, bin/jobtrack-dashboard, and returns its URL
function startCommand(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'jobtrack-dashboard'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error('dashboard did not start: ' + out + err)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+\/)/);
      if (m) { clearTimeout(timer); resolve({ url: m[1], child, output: () => out + err }); }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`dashboard exited ${code}: ${out}${err}`)); });
  });
}

function stopCommand(d) {
  if (!d || !d.child || d.child.exitCode !== null) return Promise.resolve();
  return new Promise((r) => { d.child.once('exit', r); d.child.kill('SIGTERM'); });
}

async function launchBrowser() {
  const puppeteer = require('puppeteer-core');
  fs.mkdirSync(SHOTS, { recursive: true });
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name + '.png') });
}

module.exports = { ROLES, HOST, PORT, ROOT, SHOTS, url, admin, freshDatabase, sleep, startCommand, stopCommand, launchBrowser, shot };
