-- 05_groups.sql: job groups and their events.  The worker runs in another
-- database, so every evaluation here is an explicit jobtrack.check_groups(),
-- whose return value is the number of events it raised.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(74);

-- start from a drained queue
SELECT jobtrack.check_groups() \g /dev/null

-- create_group, group_id
SELECT jobtrack.create_group('grp A', '{"owner": "me"}', interval '5 minutes') AS ga \gset
SELECT results_eq(format($$SELECT title, payload, time_to_check, status, run, started_at, completed_at
	FROM jobtrack.job_group WHERE id = %s$$, :ga),
	$$VALUES ('grp A', '{"owner": "me"}'::jsonb, interval '5 minutes', 'pending'::jobtrack.group_status, 1,
		NULL::timestamptz, NULL::timestamptz)$$,
	'create_group stores title, payload and time_to_check; a new group is pending in run 1');
SELECT is(jobtrack.group_id('grp A'), :ga::bigint, 'group_id(title) returns the existing group');
SELECT jobtrack.group_id('grp B') AS gb \gset
SELECT results_eq(format($$SELECT title, payload, time_to_check, status, run FROM jobtrack.job_group WHERE id = %s$$, :gb),
	$$VALUES ('grp B', NULL::jsonb, interval '1 minute', 'pending'::jobtrack.group_status, 1)$$,
	'group_id(new title) creates the group with the defaults');
SELECT is(jobtrack.group_id('grp B'), :gb::bigint, 'group_id(title) again returns the same id');
SELECT is((SELECT count(*) FROM jobtrack.job_group WHERE title IN ('grp A', 'grp B')), 2::bigint,
	'first-or-create made one row per title');
SELECT throws_ok($$SELECT jobtrack.create_group('grp A')$$, '23505', NULL,
	'create_group with a taken title raises 23505');

-- pending -> running -> completed, one check at a time
SELECT jobtrack.create_job('G', group_id => :ga) AS a1 \gset
SELECT jobtrack.create_job('G', group_id => :ga) AS a2 \gset
SELECT is(jobtrack.check_groups(), 0, 'queued jobs raise nothing');
SELECT is(status, 'pending', 'a group with only queued jobs is pending') FROM jobtrack.job_group WHERE id = :ga;
SELECT jobtrack.start_job(:a1::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 1, 'a started job raises one event');
SELECT results_eq(format($$SELECT run, event FROM jobtrack.group_event WHERE group_id = %s ORDER BY id$$, :ga),
	$$VALUES (1, 'group.started')$$, '... group.started of run 1');
SELECT results_eq(format($$SELECT status, started_at IS NOT NULL, completed_at FROM jobtrack.job_group WHERE id = %s$$, :ga),
	$$VALUES ('running'::jobtrack.group_status, true, NULL::timestamptz)$$, 'the group is running, with started_at');
SELECT is(jobtrack.check_groups(), 0, 'check_groups returns 0 when nothing changed');
SELECT jobtrack.succeed_job(:a1::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 0, 'one job finished, one queued: no event');
SELECT is(status, 'running', '... the group is still running') FROM jobtrack.job_group WHERE id = :ga;
SELECT jobtrack.start_job(:a2::bigint) \g /dev/null
SELECT jobtrack.fail_job(:a2::bigint, 'boom') \g /dev/null
SELECT is(jobtrack.check_groups(), 1, 'the last job failing raises one event (failed counts as finished)');
SELECT results_eq(format($$SELECT run, event FROM jobtrack.group_event WHERE group_id = %s ORDER BY id$$, :ga),
	$$VALUES (1, 'group.started'), (1, 'group.completed')$$, 'group.started then group.completed, run 1');
SELECT results_eq(format($$SELECT status, completed_at IS NOT NULL, run FROM jobtrack.job_group WHERE id = %s$$, :ga),
	$$VALUES ('completed'::jobtrack.group_status, true, 1)$$, 'the group is completed, with completed_at');
SELECT is(jobtrack.check_groups(), 0, 'a completed group raises nothing more');

-- the event payload
SELECT id AS ev, payload AS pl FROM jobtrack.group_event
 WHERE group_id = :ga AND event = 'group.completed' \gset
SELECT ok((:'pl'::jsonb) ?& ARRAY['event', 'event_id', 'group_id', 'run', 'title', 'at', 'counts'],
	'the payload has event, event_id, group_id, run, title, at, counts');
SELECT results_eq(format($$SELECT p->>'event', (p->>'event_id')::bigint, (p->>'group_id')::bigint, (p->>'run')::int, p->>'title',
		jsonb_typeof(p->'event_id'), jsonb_typeof(p->'group_id'), jsonb_typeof(p->'run'), jsonb_typeof(p->'title')
	FROM (SELECT %L::jsonb) AS x(p)$$, :'pl'),
	format($$VALUES ('group.completed', %s::bigint, %s::bigint, 1, 'grp A', 'number', 'number', 'number', 'string')$$, :ev, :ga),
	'the payload names the event, its id, the group, the run and the title, with JSON types');
SELECT ok((:'pl'::jsonb->>'at')::timestamptz BETWEEN now() AND clock_timestamp(), 'the payload''s "at" is the event''s time');
SELECT ok((:'pl'::jsonb->'counts') ?& ARRAY['total', 'queued', 'running', 'not_finished', 'finished', 'succeeded', 'failed', 'cancelled'],
	'counts has total, queued, running, not_finished, finished, succeeded, failed, cancelled');
SELECT is_empty(format($$SELECT k FROM jsonb_each(%L::jsonb->'counts') AS e(k, v) WHERE jsonb_typeof(v) <> 'number'$$, :'pl'),
	'every count is a number');
SELECT results_eq(format($$SELECT (c->>'total')::bigint, (c->>'queued')::bigint, (c->>'running')::bigint,
		(c->>'not_finished')::bigint, (c->>'finished')::bigint, (c->>'succeeded')::bigint,
		(c->>'failed')::bigint, (c->>'cancelled')::bigint FROM (SELECT %L::jsonb->'counts') AS x(c)$$, :'pl'),
	format($$SELECT count(*), count(*) FILTER (WHERE status IN ('queued', 'delayed')), count(*) FILTER (WHERE status = 'started'),
		count(*) FILTER (WHERE status NOT IN ('succeeded', 'failed', 'cancelled')),
		count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')), count(*) FILTER (WHERE status = 'succeeded'),
		count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'cancelled')
	  FROM jobtrack.in_group(%s)$$, :ga),
	'the counts equal count(*) FILTER over the group''s jobs (2 total, 1 succeeded, 1 failed)');
SELECT is((SELECT jsonb_object_agg(k, v) FROM jobtrack.group_event, jsonb_each(payload->'counts') AS e(k, v)
			 WHERE id = :ev AND k IN ('total', 'queued', 'running', 'not_finished', 'finished', 'succeeded', 'failed', 'cancelled')),
	'{"total": 2, "queued": 0, "running": 0, "not_finished": 0, "finished": 2, "succeeded": 1, "failed": 1, "cancelled": 0}'::jsonb,
	'the completed event counts 2 jobs: 1 succeeded, 1 failed');
SELECT is((SELECT payload->'counts'->>'running' FROM jobtrack.group_event WHERE group_id = :ga AND event = 'group.started'),
	'1', 'the started event counted the one running job');

-- reopen by retrying a failed job: run 2
SELECT jobtrack.retry_job(:a2::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 0, 'a retry reopens the group without an event');
SELECT results_eq(format($$SELECT status, run, completed_at FROM jobtrack.job_group WHERE id = %s$$, :ga),
	$$VALUES ('pending'::jobtrack.group_status, 2, NULL::timestamptz)$$, 'the reopened group is pending in run 2');
SELECT jobtrack.start_job(:a2::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 1, 'starting the retried job raises group.started of run 2');
SELECT jobtrack.succeed_job(:a2::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 1, 'finishing it raises group.completed of run 2');
SELECT results_eq(format($$SELECT run, event FROM jobtrack.group_events() WHERE group_id = %s$$, :ga),
	$$VALUES (1, 'group.started'), (1, 'group.completed'), (2, 'group.started'), (2, 'group.completed')$$,
	'run 1 and run 2 each raised started then completed, in event id order');
SELECT results_eq(format($$SELECT (payload->>'run')::int, payload->>'event', (payload->>'event_id')::bigint = id
	FROM jobtrack.group_event WHERE group_id = %s ORDER BY id$$, :ga),
	$$VALUES (1, 'group.started', true), (1, 'group.completed', true), (2, 'group.started', true), (2, 'group.completed', true)$$,
	'each payload carries its own run, event and event_id');

-- both events when every job finished between two checks; reopen by adding a job
SELECT jobtrack.create_group('grp C') AS gc \gset
SELECT jobtrack.create_job('G', group_id => :gc) AS c1 \gset
SELECT jobtrack.create_job('G', group_id => :gc) AS c2 \gset
SELECT jobtrack.start_job(:c1::bigint), jobtrack.succeed_job(:c1::bigint),
	   jobtrack.start_job(:c2::bigint), jobtrack.cancel_job(:c2::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 2, 'all jobs finished between two checks: two events');
SELECT results_eq(format($$SELECT run, event FROM jobtrack.group_event WHERE group_id = %s ORDER BY id$$, :gc),
	$$VALUES (1, 'group.started'), (1, 'group.completed')$$, 'started then completed, in event id order');
SELECT is(status, 'completed', 'the group is completed') FROM jobtrack.job_group WHERE id = :gc;
SELECT jobtrack.create_job('G', group_id => :gc) AS c3 \gset
SELECT is(jobtrack.check_groups(), 0, 'a job added to a completed group reopens it without an event');
SELECT results_eq(format($$SELECT status, run FROM jobtrack.job_group WHERE id = %s$$, :gc),
	$$VALUES ('pending'::jobtrack.group_status, 2)$$, 'the group is pending in run 2');
SELECT jobtrack.cancel_job(:c3::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 2, 'the new job finishing (cancelled while queued) raises both events of run 2');
SELECT results_eq(format($$SELECT run, event FROM jobtrack.group_event WHERE group_id = %s ORDER BY id$$, :gc),
	$$VALUES (1, 'group.started'), (1, 'group.completed'), (2, 'group.started'), (2, 'group.completed')$$,
	'the group raised both events for each run');
SELECT results_eq(format($$SELECT (payload->'counts'->>'total')::int, (payload->'counts'->>'cancelled')::int
	FROM jobtrack.group_event WHERE group_id = %s AND run = 2 AND event = 'group.completed'$$, :gc),
	$$VALUES (3, 2)$$, 'run 2''s completed event counts all three jobs, two cancelled');

-- a job added and finished between two checks of a completed group
SELECT jobtrack.create_job('G', group_id => :gc) AS c4 \gset
SELECT jobtrack.start_job(:c4::bigint), jobtrack.succeed_job(:c4::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 2, 'a job added and finished between two checks still opens run 3 with both events');
SELECT results_eq(format($$SELECT event FROM jobtrack.group_event WHERE group_id = %s AND run = 3 ORDER BY id$$, :gc),
	$$VALUES ('group.started'), ('group.completed')$$, 'run 3 raised started then completed');

-- a plain UPDATE counts like a function call
SELECT jobtrack.create_group('grp D') AS gd \gset
SELECT jobtrack.create_job('G', group_id => :gd) AS d1 \gset
UPDATE jobtrack.job_status SET status = 'started' WHERE id = :d1;
SELECT is(jobtrack.check_groups(), 1, 'a plain UPDATE that starts a job raises group.started');

-- paused and stuck jobs are not finished
SELECT jobtrack.create_job('G', group_id => :gd) AS d2 \gset
SELECT jobtrack.pause_job(:d2::bigint), jobtrack.succeed_job(:d1::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 0, 'a paused job keeps the group from completing');
SELECT jobtrack.start_job(:d2::bigint), jobtrack.set_status(:d2::bigint, 'stuck') \g /dev/null
SELECT is(jobtrack.check_groups(), 0, 'a stuck job keeps the group from completing');
SELECT is(status, 'running', 'the group stays running') FROM jobtrack.job_group WHERE id = :gd;
SELECT jobtrack.fail_job(:d2::bigint, 'stuck for good') \g /dev/null
SELECT is(jobtrack.check_groups(), 1, 'the stuck job failing completes the group');

-- a rolled-back job change raises nothing
SELECT jobtrack.create_group('grp E') AS ge \gset
SELECT jobtrack.create_job('G', group_id => :ge) AS e1 \gset
SELECT is(jobtrack.check_groups(), 0, 'a new group with a queued job: no event');
SAVEPOINT before_start;
SELECT jobtrack.start_job(:e1::bigint), jobtrack.succeed_job(:e1::bigint) \g /dev/null
ROLLBACK TO SAVEPOINT before_start;
SELECT is(jobtrack.check_groups(), 0, 'a job change rolled back to a savepoint raises nothing');
SELECT results_eq(format($$SELECT g.status, (SELECT count(*) FROM jobtrack.group_event e WHERE e.group_id = g.id)
	FROM jobtrack.job_group g WHERE g.id = %s$$, :ge),
	$$VALUES ('pending'::jobtrack.group_status, 0::bigint)$$, 'the group is still pending, with no event');
SAVEPOINT before_add;
SELECT jobtrack.create_job('G', group_id => :ge) \g /dev/null
ROLLBACK TO SAVEPOINT before_add;
SELECT jobtrack.start_job(:e1::bigint), jobtrack.succeed_job(:e1::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 2, 'after a rolled-back create_job the one real job completes the group');
SELECT is((SELECT payload->'counts'->>'total' FROM jobtrack.group_event WHERE group_id = :ge AND event = 'group.completed'),
	'1', 'the rolled-back job is not counted');

-- a deleted job no longer holds the group open
SELECT jobtrack.create_group('grp F') AS gf \gset
SELECT jobtrack.create_job('G', group_id => :gf) AS f1 \gset
SELECT jobtrack.create_job('G', group_id => :gf) AS f2 \gset
SELECT jobtrack.start_job(:f1::bigint), jobtrack.succeed_job(:f1::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 1, 'one of two jobs finished: group.started only');
DELETE FROM jobtrack.job_status WHERE id = :f2;
SELECT is(jobtrack.check_groups(), 1, 'deleting the unfinished job completes the group');
SELECT is((SELECT payload->'counts'->>'total' FROM jobtrack.group_event WHERE group_id = :gf AND event = 'group.completed'),
	'1', 'the deleted job is not counted');

-- an empty group never completes, even when it is checked on schedule
SELECT jobtrack.create_group('grp empty', NULL, interval '1 second') AS gz \gset
-- make it due now rather than wait for its time_to_check
UPDATE jobtrack.job_group SET next_check_at = now() - interval '1 second' WHERE id = :gz;
SELECT is(jobtrack.check_groups(), 0, 'an empty group raises nothing');
SELECT results_eq(format($$SELECT status, checked_at IS NOT NULL FROM jobtrack.job_group WHERE id = %s$$, :gz),
	$$VALUES ('pending'::jobtrack.group_status, true)$$,
	'an empty group whose time_to_check passed was checked and stays pending');

-- update_status_running
SELECT jobtrack.create_group('grp R') AS gr \gset
SELECT jobtrack.create_job('G', group_id => :gr) AS r1 \gset
SELECT is(jobtrack.check_groups(), 0, 'a queued job raises nothing');
SELECT is(jobtrack.update_status_running(:gr), 'running', 'update_status_running marks a pending group running');
SELECT results_eq(format($$SELECT run, event FROM jobtrack.group_event WHERE group_id = %s ORDER BY id$$, :gr),
	$$VALUES (1, 'group.started')$$, 'update_status_running raises group.started');
SELECT results_eq(format($$SELECT status, started_at IS NOT NULL FROM jobtrack.job_group WHERE id = %s$$, :gr),
	$$VALUES ('running'::jobtrack.group_status, true)$$, 'the group is running with started_at');
SELECT is(jobtrack.update_status_running(:gr), 'running', 'update_status_running of a running group returns running');
SELECT jobtrack.start_job(:r1::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 0, 'a job starting in a group already running raises no second group.started');
SELECT jobtrack.succeed_job(:r1::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 1, 'its last job finishing raises group.completed');
SELECT results_eq(format($$SELECT run, event FROM jobtrack.group_event WHERE group_id = %s ORDER BY id$$, :gr),
	$$VALUES (1, 'group.started'), (1, 'group.completed')$$, 'exactly one started and one completed');
SELECT jobtrack.create_job('G', group_id => :gr) AS r2 \gset
SELECT is(jobtrack.update_status_running(:gr), 'running',
	'update_status_running right after a job was added to a completed group marks the reopened group running');
SELECT results_eq(format($$SELECT run, event FROM jobtrack.group_event WHERE group_id = %s ORDER BY id$$, :gr),
	$$VALUES (1, 'group.started'), (1, 'group.completed'), (2, 'group.started')$$,
	'... raising group.started of run 2');
SELECT is(jobtrack.check_groups(), 0, '... and check_groups() then raises nothing more');

-- a 4,000-byte title (the longest allowed) and a 1 MB payload
SELECT jobtrack.create_group(repeat('T', 4000), jsonb_build_object('blob', repeat('x', 1048576))) AS gl \gset
SELECT jobtrack.create_job('G', group_id => :gl) AS l1 \gset
SELECT jobtrack.start_job(:l1::bigint), jobtrack.succeed_job(:l1::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 2, 'a group with a 4,000-byte title and a 1 MB payload raises both events');
SELECT results_eq(format($$SELECT event, length(payload->>'title'), payload->>'title' = repeat('T', 4000)
	FROM jobtrack.group_event WHERE group_id = %s ORDER BY id$$, :gl),
	$$VALUES ('group.started', 4000, true), ('group.completed', 4000, true)$$,
	'the stored payloads keep the whole 4,000-character title');
SELECT is(length(payload->>'blob'), 1048576, 'the group''s 1 MB payload is stored whole') FROM jobtrack.job_group WHERE id = :gl;

-- events are unique per (group, run, event) and follow id order
SELECT is_empty($$SELECT group_id, run, event FROM jobtrack.group_event GROUP BY 1, 2, 3 HAVING count(*) > 1$$,
	'no group raised an event twice in one run');
SELECT is_empty($$SELECT c.group_id, c.run FROM jobtrack.group_event c
	 WHERE c.event = 'group.completed' AND NOT EXISTS (
		SELECT 1 FROM jobtrack.group_event s
		 WHERE s.group_id = c.group_id AND s.run = c.run AND s.event = 'group.started' AND s.id < c.id)$$,
	'every group.completed follows its run''s group.started');
SELECT is(jobtrack.check_groups(), 0, 'at the end nothing is left to raise');

SELECT * FROM finish();
ROLLBACK;
