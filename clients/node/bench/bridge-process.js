'use strict';

// The bridge of the benchmark, in its own process as in production. For every
// job it sees completed for the first time it prints the lag from BullMQ's
// finishedOn to the commit of the jobtrack row, as JSON lines on stdout.
const pg = require('pg');
const { trackQueue } = require('..');

const [queueName, pgJson, redisJson] = process.argv.slice(2);
const pool = new pg.Pool({ ...JSON.parse(pgJson), max: 4 });
pool.on('error', () => {});
const bridge = trackQueue(queueName, { connection: JSON.parse(redisJson), pool });
const seen = new Set();
bridge.on('error', (err) => process.stderr.write(`bridge: ${err.message}\n`));
bridge.on('batch', ({ jobs, committedAt }) => {
  const lags = [];
  for (const j of jobs) {
    if (j.state === 'completed' && j.finishedOn && !seen.has(j.key)) {
      seen.add(j.key);
      lags.push(committedAt - j.finishedOn);
    }
  }
  if (lags.length) process.stdout.write(JSON.stringify({ lags }) + '\n');
});
bridge.ready.then(() => process.stdout.write(JSON.stringify({ ready: true }) + '\n'));
process.on('SIGTERM', async () => {
  await bridge.close();
  await pool.end();
  process.exit(0);
});
