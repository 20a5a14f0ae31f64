-- 01_contract.sql: the public SQL contract of jobtrack (its tables,
-- functions and statuses): every function with its argument and result
-- types, the tables, the view, the types and the enum labels in order.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(211);

SELECT has_schema('jobtrack');
SELECT has_extension('jobtrack');

-- types
SELECT has_type('jobtrack', 'status', 'type jobtrack.status exists');
SELECT has_type('jobtrack', 'group_status', 'type jobtrack.group_status exists');
SELECT has_type('jobtrack', 'message_level', 'type jobtrack.message_level exists');
SELECT has_enum('jobtrack', 'status', 'jobtrack.status is an enum');
SELECT enum_has_labels('jobtrack', 'status',
	ARRAY['queued', 'delayed', 'started', 'paused', 'stuck', 'succeeded', 'failed', 'cancelled'],
	'jobtrack.status has the eight labels in SPEC order');
SELECT enum_has_labels('jobtrack', 'group_status', ARRAY['pending', 'running', 'completed'],
	'jobtrack.group_status is pending, running, completed');
SELECT enum_has_labels('jobtrack', 'message_level', ARRAY['debug', 'info', 'success', 'warning', 'error'],
	'jobtrack.message_level is debug, info, success, warning, error');
SELECT ok('queued'::jobtrack.status < 'delayed' AND 'delayed'::jobtrack.status < 'started'
		  AND 'started'::jobtrack.status < 'paused' AND 'paused'::jobtrack.status < 'stuck'
		  AND 'stuck'::jobtrack.status < 'succeeded' AND 'succeeded'::jobtrack.status < 'failed'
		  AND 'failed'::jobtrack.status < 'cancelled',
	'jobtrack.status values sort in SPEC order');

-- tables and view
SELECT has_table('jobtrack', 'job_status', 'table jobtrack.job_status exists');
SELECT has_table('jobtrack', 'job_group', 'table jobtrack.job_group exists');
SELECT has_table('jobtrack', 'job_message', 'table jobtrack.job_message exists');
SELECT has_table('jobtrack', 'job_signal', 'table jobtrack.job_signal exists');
SELECT has_table('jobtrack', 'group_event', 'table jobtrack.group_event exists');
SELECT has_view('jobtrack', 'stats', 'view jobtrack.stats exists');
SELECT has_pk('jobtrack', 'job_status', 'job_status has a primary key');
SELECT col_is_pk('jobtrack', 'job_status', 'id', 'job_status.id is the primary key');
SELECT has_sequence('jobtrack', 'job_status_id_seq', 'job ids come from a sequence');
SELECT is((SELECT attidentity FROM pg_attribute
			WHERE attrelid = 'jobtrack.job_status'::regclass AND attname = 'id'), '',
	'job_status.id is not an identity column (a sequence default leaves partitioning open)');
SELECT ok(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%job_status_id_seq%',
	'job_status.id defaults to nextval of its sequence')
  FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
 WHERE d.adrelid = 'jobtrack.job_status'::regclass AND a.attname = 'id';

-- job_status columns
SELECT col_type_is('jobtrack', 'job_status', 'id', 'bigint', 'job_status.id is bigint');
SELECT col_type_is('jobtrack', 'job_status', 'external_id', 'text', 'job_status.external_id is text');
SELECT col_type_is('jobtrack', 'job_status', 'job_type', 'text', 'job_status.job_type is text');
SELECT col_type_is('jobtrack', 'job_status', 'alias', 'text', 'job_status.alias is text');
SELECT col_type_is('jobtrack', 'job_status', 'group_id', 'bigint', 'job_status.group_id is bigint');
SELECT col_type_is('jobtrack', 'job_status', 'tags', 'jsonb', 'job_status.tags is jsonb');
SELECT col_type_is('jobtrack', 'job_status', 'status', 'jobtrack', 'status', 'job_status.status is jobtrack.status');
SELECT col_type_is('jobtrack', 'job_status', 'percentage', 'numeric', 'job_status.percentage is numeric');
SELECT col_type_is('jobtrack', 'job_status', 'progress_current', 'bigint', 'job_status.progress_current is bigint');
SELECT col_type_is('jobtrack', 'job_status', 'progress_total', 'bigint', 'job_status.progress_total is bigint');
SELECT col_type_is('jobtrack', 'job_status', 'attempts', 'integer', 'job_status.attempts is integer');
SELECT col_type_is('jobtrack', 'job_status', 'data', 'jsonb', 'job_status.data is jsonb');
SELECT col_type_is('jobtrack', 'job_status', 'failed_reason', 'text', 'job_status.failed_reason is text');
SELECT col_type_is('jobtrack', 'job_status', 'created_at', 'timestamp with time zone', 'job_status.created_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_status', 'available_at', 'timestamp with time zone', 'job_status.available_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_status', 'started_at', 'timestamp with time zone', 'job_status.started_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_status', 'finished_at', 'timestamp with time zone', 'job_status.finished_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_status', 'heartbeat_at', 'timestamp with time zone', 'job_status.heartbeat_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_status', 'updated_at', 'timestamp with time zone', 'job_status.updated_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_status', 'owner', 'name', 'job_status.owner is name');
SELECT col_not_null('jobtrack', 'job_status', 'job_type', 'job_status.job_type is NOT NULL');
SELECT col_not_null('jobtrack', 'job_status', 'status', 'job_status.status is NOT NULL');
SELECT col_not_null('jobtrack', 'job_status', 'tags', 'job_status.tags is NOT NULL');
SELECT col_default_is('jobtrack', 'job_status', 'tags', '{}'::text, 'job_status.tags defaults to {}');
SELECT col_default_is('jobtrack', 'job_status', 'status', 'queued'::text, 'job_status.status defaults to queued');
SELECT col_default_is('jobtrack', 'job_status', 'attempts', 1, 'job_status.attempts defaults to 1');
SELECT col_default_is('jobtrack', 'job_status', 'owner', 'CURRENT_USER'::text, 'job_status.owner defaults to current_user');

-- job_group, job_message, job_signal, group_event columns
SELECT col_type_is('jobtrack', 'job_group', 'id', 'bigint', 'job_group.id is bigint');
SELECT col_type_is('jobtrack', 'job_group', 'title', 'text', 'job_group.title is text');
SELECT ok((SELECT indisunique FROM pg_index WHERE indexrelid = 'jobtrack.job_group_title_key'::regclass)
	   AND pg_get_indexdef('jobtrack.job_group_title_key'::regclass) LIKE '%md5(title)%',
	   'job_group.title is unique (by a unique index on its hash, so long titles fit)');
SELECT col_type_is('jobtrack', 'job_group', 'payload', 'jsonb', 'job_group.payload is jsonb');
SELECT col_type_is('jobtrack', 'job_group', 'time_to_check', 'interval', 'job_group.time_to_check is interval');
SELECT col_default_is('jobtrack', 'job_group', 'time_to_check', '00:01:00'::text, 'job_group.time_to_check defaults to 1 minute');
SELECT col_type_is('jobtrack', 'job_group', 'status', 'jobtrack', 'group_status', 'job_group.status is jobtrack.group_status');
SELECT col_type_is('jobtrack', 'job_group', 'run', 'integer', 'job_group.run is integer');
SELECT col_type_is('jobtrack', 'job_group', 'created_at', 'timestamp with time zone', 'job_group.created_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_group', 'started_at', 'timestamp with time zone', 'job_group.started_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_group', 'completed_at', 'timestamp with time zone', 'job_group.completed_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_group', 'checked_at', 'timestamp with time zone', 'job_group.checked_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_message', 'job_id', 'bigint', 'job_message.job_id is bigint');
SELECT col_type_is('jobtrack', 'job_message', 'level', 'jobtrack', 'message_level', 'job_message.level is jobtrack.message_level');
SELECT col_type_is('jobtrack', 'job_message', 'message', 'text', 'job_message.message is text');
SELECT col_type_is('jobtrack', 'job_message', 'created_at', 'timestamp with time zone', 'job_message.created_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_signal', 'job_id', 'bigint', 'job_signal.job_id is bigint');
SELECT col_type_is('jobtrack', 'job_signal', 'signal', 'text', 'job_signal.signal is text');
SELECT col_type_is('jobtrack', 'job_signal', 'parameters', 'jsonb', 'job_signal.parameters is jsonb');
SELECT col_type_is('jobtrack', 'job_signal', 'cancel_job', 'boolean', 'job_signal.cancel_job is boolean');
SELECT col_type_is('jobtrack', 'job_signal', 'created_at', 'timestamp with time zone', 'job_signal.created_at is timestamptz');
SELECT col_type_is('jobtrack', 'job_signal', 'handled_at', 'timestamp with time zone', 'job_signal.handled_at is timestamptz');
SELECT col_type_is('jobtrack', 'group_event', 'id', 'bigint', 'group_event.id is bigint');
SELECT col_type_is('jobtrack', 'group_event', 'group_id', 'bigint', 'group_event.group_id is bigint');
SELECT col_type_is('jobtrack', 'group_event', 'run', 'integer', 'group_event.run is integer');
SELECT col_type_is('jobtrack', 'group_event', 'event', 'text', 'group_event.event is text');
SELECT col_type_is('jobtrack', 'group_event', 'created_at', 'timestamp with time zone', 'group_event.created_at is timestamptz');
SELECT col_type_is('jobtrack', 'group_event', 'payload', 'jsonb', 'group_event.payload is jsonb');
SELECT col_is_unique('jobtrack', 'group_event', ARRAY['group_id', 'run', 'event'],
	'group_event is unique on (group_id, run, event)');

-- the stats view (common brief)
SELECT columns_are('jobtrack', 'stats',
	ARRAY['worker_pid', 'worker_state', 'checks', 'wakeups', 'events', 'last_check_at',
		  'last_event_at', 'recent_events', 'latency_p50_ms', 'latency_p99_ms', 'latency_max_ms',
		  'databases_not_served', 'groups_set_aside', 'set_aside_group_ids', 'live_slots_used', 'live_slots', 'live_slots_full'],
	'jobtrack.stats has the documented columns');
SELECT is((SELECT count(*) FROM jobtrack.stats), 1::bigint, 'jobtrack.stats is one row');

-- writing functions: a job is named by its jobtrack id; jobtrack.job() turns an external id into it
SELECT has_function('jobtrack', 'create_job',
	ARRAY['text', 'text', 'jsonb', 'bigint', 'jsonb', 'text', 'interval'],
	'create_job(job_type, alias, tags, group_id, data, external_id, delay)');
SELECT function_returns('jobtrack', 'create_job',
	ARRAY['text', 'text', 'jsonb', 'bigint', 'jsonb', 'text', 'interval'], 'bigint',
	'create_job returns bigint');
SELECT is(pg_get_function_arguments('jobtrack.create_job(text,text,jsonb,bigint,jsonb,text,interval)'::regprocedure),
	'job_type text, alias text DEFAULT NULL::text, tags jsonb DEFAULT ''{}''::jsonb, group_id bigint DEFAULT NULL::bigint, data jsonb DEFAULT NULL::jsonb, external_id text DEFAULT NULL::text, delay interval DEFAULT NULL::interval',
	'create_job has the SPEC argument names and defaults');

SELECT has_function('jobtrack', f, ARRAY[t], format('%s(%s)', f, t))
  FROM unnest(ARRAY['start_job', 'succeed_job', 'cancel_job', 'pause_job', 'retry_job',
					'heartbeat', 'request_cancel', 'take_signals', 'get_status', 'percentage',
					'runtime', 'is_successful', 'is_failed', 'is_cancelled', 'is_running',
					'is_queued', 'has_finished']) AS f,
	   unnest(ARRAY['bigint']) AS t
 ORDER BY f, t;
SELECT hasnt_function('jobtrack', f, ARRAY['text'], format('no %s(text): an untyped parameter could only mean a job id', f))
  FROM unnest(ARRAY['start_job', 'succeed_job', 'cancel_job', 'pause_job', 'retry_job',
					'heartbeat', 'request_cancel', 'take_signals', 'get_status', 'percentage',
					'runtime', 'is_successful', 'is_failed', 'is_cancelled', 'is_running',
					'is_queued', 'has_finished']) AS f
 ORDER BY f;
SELECT has_function('jobtrack', 'job', ARRAY['text'], 'job(external_id)');
SELECT function_returns('jobtrack', 'job', ARRAY['text'], 'bigint', 'job(external_id) returns bigint');

SELECT function_returns('jobtrack', f, ARRAY[t], 'jobtrack.status', format('%s(%s) returns jobtrack.status', f, t))
  FROM unnest(ARRAY['start_job', 'succeed_job', 'cancel_job', 'pause_job', 'retry_job', 'get_status']) AS f,
	   unnest(ARRAY['bigint']) AS t
 ORDER BY f, t;

SELECT has_function('jobtrack', 'fail_job', ARRAY[t, 'text'], format('fail_job(%s, text)', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT function_returns('jobtrack', 'fail_job', ARRAY[t, 'text'], 'jobtrack.status', format('fail_job(%s, text) returns jobtrack.status', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT has_function('jobtrack', 'set_status', ARRAY[t, 'jobtrack.status'], format('set_status(%s, jobtrack.status)', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT function_returns('jobtrack', 'set_status', ARRAY[t, 'jobtrack.status'], 'jobtrack.status', format('set_status(%s, jobtrack.status) returns jobtrack.status', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT has_function('jobtrack', 'set_progress', ARRAY[t, 'numeric'], format('set_progress(%s, numeric)', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT has_function('jobtrack', 'set_progress', ARRAY[t, 'bigint', 'bigint'], format('set_progress(%s, bigint, bigint)', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT function_returns('jobtrack', 'set_progress', ARRAY[t, 'numeric'], 'void', format('set_progress(%s, numeric) returns void', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT function_returns('jobtrack', 'heartbeat', ARRAY[t], 'void', format('heartbeat(%s) returns void', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT has_function('jobtrack', 'add_message', ARRAY[t, 'text', 'text'], format('add_message(%s, text, text)', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT function_returns('jobtrack', 'add_message', ARRAY[t, 'text', 'text'], 'bigint', format('add_message(%s, text, text) returns bigint', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT has_function('jobtrack', 'send_signal', ARRAY[t, 'text', 'jsonb', 'boolean'], format('send_signal(%s, text, jsonb, boolean)', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT function_returns('jobtrack', 'send_signal', ARRAY[t, 'text', 'jsonb', 'boolean'], 'bigint', format('send_signal(%s, ...) returns bigint', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT function_returns('jobtrack', 'request_cancel', ARRAY[t], 'bigint', format('request_cancel(%s) returns bigint', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT function_returns('jobtrack', 'take_signals', ARRAY[t], 'setof jobtrack.job_signal', format('take_signals(%s) returns setof jobtrack.job_signal', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT function_returns('jobtrack', 'percentage', ARRAY[t], 'numeric', format('percentage(%s) returns numeric', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT function_returns('jobtrack', 'runtime', ARRAY[t], 'interval', format('runtime(%s) returns interval', t))
  FROM unnest(ARRAY['bigint']) AS t;
SELECT is(pg_get_function_arguments('jobtrack.add_message(bigint,text,text)'::regprocedure),
	'job_id bigint, message text, level text DEFAULT ''info''::text',
	'add_message level defaults to info');
SELECT is(pg_get_function_arguments('jobtrack.send_signal(bigint,text,jsonb,boolean)'::regprocedure),
	'job_id bigint, signal text, parameters jsonb DEFAULT ''{}''::jsonb, cancel_job boolean DEFAULT false',
	'send_signal parameters default to {} and cancel_job to false');

-- predicates on a status, status_from_text
SELECT has_function('jobtrack', f, ARRAY['jobtrack.status'], format('%s(jobtrack.status)', f))
  FROM unnest(ARRAY['is_successful', 'is_failed', 'is_cancelled', 'is_running', 'is_queued', 'has_finished']) AS f
 ORDER BY f;
SELECT function_returns('jobtrack', f, ARRAY[t], 'boolean', format('%s(%s) returns boolean', f, t))
  FROM unnest(ARRAY['is_successful', 'is_failed', 'is_cancelled', 'is_running', 'is_queued', 'has_finished']) AS f,
	   unnest(ARRAY['bigint', 'jobtrack.status']) AS t
 ORDER BY f, t;
SELECT has_function('jobtrack', 'status_from_text', ARRAY['text'], 'status_from_text(text)');
SELECT function_returns('jobtrack', 'status_from_text', ARRAY['text'], 'jobtrack.status', 'status_from_text returns jobtrack.status');

-- scopes
SELECT has_function('jobtrack', 'for_job', ARRAY['text'], 'for_job(text)');
SELECT has_function('jobtrack', 'for_job_alias', ARRAY['text'], 'for_job_alias(text)');
SELECT has_function('jobtrack', 'where_tag', ARRAY['text', 'text', 'text'], 'where_tag(key, op, value)');
SELECT has_function('jobtrack', 'where_tag', ARRAY['text', 'text'], 'where_tag(key, value)');
SELECT has_function('jobtrack', 'where_status', ARRAY['jobtrack.status[]'], 'where_status(VARIADIC jobtrack.status[])');
SELECT has_function('jobtrack', 'where_not_status', ARRAY['jobtrack.status[]'], 'where_not_status(VARIADIC jobtrack.status[])');
SELECT has_function('jobtrack', 'in_group', ARRAY['bigint'], 'in_group(bigint)');
SELECT is(p.provariadic::regtype, 'jobtrack.status'::regtype, format('%s is VARIADIC', p.proname))
  FROM pg_proc p
 WHERE p.pronamespace = 'jobtrack'::regnamespace AND p.proname IN ('where_status', 'where_not_status')
 ORDER BY p.proname;
SELECT is(p.prorettype::regtype::text || CASE WHEN p.proretset THEN ' setof' ELSE '' END,
		  'jobtrack.job_status setof', format('%s returns SETOF jobtrack.job_status', p.oid::regprocedure))
  FROM pg_proc p
 WHERE p.pronamespace = 'jobtrack'::regnamespace
   AND p.proname IN ('for_job', 'for_job_alias', 'where_tag', 'where_status', 'where_not_status', 'in_group')
 ORDER BY p.oid::regprocedure::text;
-- SPEC: scopes are inlinable, i.e. LANGUAGE sql, not STRICT, no SET, not SECURITY DEFINER, not VOLATILE
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	 WHERE p.pronamespace = 'jobtrack'::regnamespace
	   AND p.proname IN ('for_job', 'for_job_alias', 'where_tag', 'where_status', 'where_not_status', 'in_group')
	   AND (p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'sql')
			OR p.proisstrict OR p.prosecdef OR p.proconfig IS NOT NULL OR p.provolatile = 'v')
	$$, 'every scope is an inlinable SQL function (not strict, no SET, not definer, not volatile)');

-- aggregates (C, parallel safe)
SELECT has_function('jobtrack', a, ARRAY['jobtrack.status'], format('%s(jobtrack.status)', a))
  FROM unnest(ARRAY['count_finished', 'count_successful', 'count_failed', 'count_cancelled',
					'count_running', 'count_queued', 'count_not_finished']) AS a
 ORDER BY a;
SELECT is_aggregate('jobtrack', a, ARRAY['jobtrack.status'], format('%s is an aggregate', a))
  FROM unnest(ARRAY['count_finished', 'count_successful', 'count_failed', 'count_cancelled',
					'count_running', 'count_queued', 'count_not_finished']) AS a
 ORDER BY a;
SELECT is_empty($$
	SELECT p.proname FROM pg_proc p JOIN pg_aggregate g ON g.aggfnoid = p.oid
	 WHERE p.pronamespace = 'jobtrack'::regnamespace
	   AND (p.proparallel <> 's' OR g.aggcombinefn = 0)
	$$, 'every count_* aggregate is parallel safe and has a combine function');

-- groups and events
SELECT has_function('jobtrack', 'create_group', ARRAY['text', 'jsonb', 'interval'], 'create_group(title, payload, time_to_check)');
SELECT function_returns('jobtrack', 'create_group', ARRAY['text', 'jsonb', 'interval'], 'bigint', 'create_group returns bigint');
SELECT is(pg_get_function_arguments('jobtrack.create_group(text,jsonb,interval)'::regprocedure),
	'title text, payload jsonb DEFAULT NULL::jsonb, time_to_check interval DEFAULT ''00:01:00''::interval',
	'create_group has the SPEC argument names and defaults');
SELECT has_function('jobtrack', 'group_id', ARRAY['text'], 'group_id(title)');
SELECT function_returns('jobtrack', 'group_id', ARRAY['text'], 'bigint', 'group_id returns bigint');
SELECT has_function('jobtrack', 'update_status_running', ARRAY['bigint'], 'update_status_running(group_id)');
SELECT function_returns('jobtrack', 'update_status_running', ARRAY['bigint'], 'jobtrack.group_status', 'update_status_running returns jobtrack.group_status');
SELECT has_function('jobtrack', 'check_groups', ARRAY[]::text[], 'check_groups()');
SELECT function_returns('jobtrack', 'check_groups', ARRAY[]::text[], 'integer', 'check_groups returns integer');
SELECT has_function('jobtrack', 'group_events', ARRAY['bigint'], 'group_events(after_id)');
SELECT function_returns('jobtrack', 'group_events', ARRAY['bigint'], 'setof jobtrack.group_event', 'group_events returns SETOF jobtrack.group_event');
SELECT is(pg_get_function_arguments('jobtrack.group_events(bigint)'::regprocedure),
	'after_id bigint DEFAULT 0', 'group_events after_id defaults to 0');
SELECT has_function('jobtrack', 'run_maintenance', ARRAY[]::text[], 'run_maintenance()');

-- no function but jobtrack.job() takes an external id, so no call can reach the wrong job
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	 WHERE p.pronamespace = 'jobtrack'::regnamespace
	   AND 'external_id' = ANY (p.proargnames) AND p.proname NOT IN ('job', 'create_job')
	$$, 'only job() and create_job() take an external id');
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	 WHERE p.pronamespace = 'jobtrack'::regnamespace
	   AND p.proargnames[1] = 'job_id' AND p.proargtypes[0] <> 'bigint'::regtype
	$$, 'every job_id argument is a bigint');
SELECT cmp_ok((SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'jobtrack'::regnamespace
				AND p.proargnames[1] = 'job_id' AND p.proargtypes[0] = 'bigint'::regtype),
	'>=', 23::bigint, 'the check covered at least the 23 job_id functions (start, succeed, fail, cancel, pause, retry, set_status, 2 set_progress, heartbeat, add_message, send_signal, request_cancel, take_signals, get_status, percentage, runtime, 6 predicates)');
-- \df jobtrack.* lists what users call; the helpers live in jobtrack_internal
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	 WHERE p.pronamespace = 'jobtrack'::regnamespace
	   AND (p.prorettype = 'trigger'::regtype OR p.proname ~ '^(check_scope|check_tag|check_event|tag_|other_statuses|worker_stats|count_.*_accum)')
	$$, 'no trigger function or internal helper in schema jobtrack');

SELECT * FROM finish();
ROLLBACK;
