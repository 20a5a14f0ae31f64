-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION jobtrack" to load this file. \quit

/*
 * jobtrack: job and job-group status tracking with group events.
 *
 * This file is the whole current schema and its documentation.  Every name
 * is schema-qualified and every operator inside a function body, default or
 * policy is spelled OPERATOR(pg_catalog.x), so that neither the installer's
 * nor a caller's search_path can capture anything.
 */

-- refuse a jobtrack schema that somebody else prepared for us
DO $guard$
DECLARE
	schema_owner pg_catalog.oid;
	member_count pg_catalog.int8;
BEGIN
	SELECT n.nspowner INTO schema_owner
	  FROM pg_catalog.pg_namespace n
	 WHERE n.nspname OPERATOR(pg_catalog.=) 'jobtrack';
	IF schema_owner OPERATOR(pg_catalog.<>) (SELECT r.oid FROM pg_catalog.pg_roles r
											  WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'schema "jobtrack" is not owned by the installing role'
			USING ERRCODE = '42501',
				  DETAIL = 'The extension must own a schema no other role can have prepared.',
				  HINT = 'Drop or rename the existing schema "jobtrack", then run CREATE EXTENSION again.';
	END IF;
	SELECT pg_catalog.count(*) INTO member_count
	  FROM pg_catalog.pg_class c
	 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'jobtrack'::pg_catalog.regnamespace;
	SELECT member_count OPERATOR(pg_catalog.+) pg_catalog.count(*) INTO member_count
	  FROM pg_catalog.pg_proc p
	 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'jobtrack'::pg_catalog.regnamespace;
	SELECT member_count OPERATOR(pg_catalog.+) pg_catalog.count(*) INTO member_count
	  FROM pg_catalog.pg_type t
	 WHERE t.typnamespace OPERATOR(pg_catalog.=) 'jobtrack'::pg_catalog.regnamespace;
	IF member_count OPERATOR(pg_catalog.>) 0 THEN
		RAISE EXCEPTION 'schema "jobtrack" already contains objects'
			USING ERRCODE = '42P06',
				  DETAIL = 'CREATE EXTENSION jobtrack needs an empty schema of its own.',
				  HINT = 'Move the existing objects out of schema "jobtrack" first.';
	END IF;
END
$guard$;

/*
 * What the extension calls but users do not: trigger functions, the scopes'
 * helpers, the aggregates' transition functions and the worker's figures.
 * Kept apart so that \df jobtrack.* lists what users call.  The scopes
 * are inlined into the caller's query, so a role that uses them needs USAGE
 * on this schema and EXECUTE on its functions (README.md "Roles").
 */
CREATE SCHEMA jobtrack_internal;
COMMENT ON SCHEMA jobtrack_internal IS 'jobtrack''s helpers: nothing here is called by users directly';

-- types

CREATE TYPE jobtrack.status AS ENUM
	('queued', 'delayed', 'started', 'paused', 'stuck', 'succeeded', 'failed', 'cancelled');
COMMENT ON TYPE jobtrack.status IS 'lifecycle state of one job';

CREATE TYPE jobtrack.group_status AS ENUM ('pending', 'running', 'completed');
COMMENT ON TYPE jobtrack.group_status IS 'state of a job group in its current run';

CREATE TYPE jobtrack.message_level AS ENUM ('debug', 'info', 'success', 'warning', 'error');
COMMENT ON TYPE jobtrack.message_level IS 'severity of a job message';

-- tables

CREATE SEQUENCE jobtrack.job_status_id_seq;
CREATE TABLE jobtrack.job_status (
	id					pg_catalog.int8 NOT NULL
						DEFAULT pg_catalog.nextval('jobtrack.job_status_id_seq'::pg_catalog.regclass),
	external_id			pg_catalog.text,
	job_type			pg_catalog.text NOT NULL,
	alias				pg_catalog.text,
	group_id			pg_catalog.int8,
	tags				pg_catalog.jsonb NOT NULL DEFAULT '{}'::pg_catalog.jsonb,
	status				jobtrack.status NOT NULL DEFAULT 'queued',
	percentage			pg_catalog.numeric NOT NULL DEFAULT 0,
	progress_current	pg_catalog.int8,
	progress_total		pg_catalog.int8,
	attempts			pg_catalog.int4 NOT NULL DEFAULT 1,
	data				pg_catalog.jsonb,
	failed_reason		pg_catalog.text,
	created_at			pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	available_at		pg_catalog.timestamptz,
	started_at			pg_catalog.timestamptz,
	finished_at			pg_catalog.timestamptz,
	heartbeat_at		pg_catalog.timestamptz,
	updated_at			pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	owner				pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
	PRIMARY KEY (id)
) WITH (fillfactor = 85);
ALTER SEQUENCE jobtrack.job_status_id_seq OWNED BY jobtrack.job_status.id;
COMMENT ON TABLE jobtrack.job_status IS 'one row per job; every change is checked by the job_status_guard trigger';
COMMENT ON COLUMN jobtrack.job_status.external_id IS 'the job system''s own id, unique when not null (see job_external_id)';
COMMENT ON COLUMN jobtrack.job_status.group_id IS 'the job group, fixed at create_job';
COMMENT ON COLUMN jobtrack.job_status.tags IS 'a JSON object of tags, searched with jobtrack.where_tag';
COMMENT ON COLUMN jobtrack.job_status.attempts IS 'the attempt this is, 1 at first; every retry adds one';
COMMENT ON COLUMN jobtrack.job_status.heartbeat_at IS 'last heartbeat of the current attempt';
COMMENT ON COLUMN jobtrack.job_status.owner IS 'the role that created the job';

-- every index here is one a reading function or the worker needs
CREATE INDEX job_status_job_type_idx ON jobtrack.job_status (job_type);
CREATE INDEX job_status_alias_idx ON jobtrack.job_status (alias) WHERE alias IS NOT NULL;
CREATE INDEX job_status_status_idx ON jobtrack.job_status (status);
CREATE INDEX job_status_group_idx ON jobtrack.job_status (group_id, status) WHERE group_id IS NOT NULL;
-- jsonb_path_ops: where_tag '=' probes {key: value} as one hashed path.  No
-- pending list (fastupdate = off): with it, every insert and status change of
-- a job wrote the list's meta page, the largest WAL record of a job's life; a
-- direct insert into the index writes a third of that.  Jobs without tags are
-- left out: a status change is not a HOT update, so each one added an entry
-- for the empty object to one posting tree that every such job shares, 15%
-- of the instructions of such a job's life, for rows no where_tag can match.
-- where_tag states the same condition, so the planner can use the index.
CREATE INDEX job_status_tags_idx ON jobtrack.job_status USING gin (tags jsonb_path_ops)
	WITH (fastupdate = off) WHERE tags OPERATOR(pg_catalog.<>) '{}'::pg_catalog.jsonb;

-- external ids live in a side table so job_status can later be partitioned by id
CREATE TABLE jobtrack.job_external_id (
	external_id			pg_catalog.text NOT NULL,
	job_id				pg_catalog.int8 NOT NULL,
	PRIMARY KEY (external_id)
);
CREATE INDEX job_external_id_job_idx ON jobtrack.job_external_id (job_id);
COMMENT ON TABLE jobtrack.job_external_id IS 'unique external ids of jobs, kept by the job_status_record trigger as the extension owner';

CREATE SEQUENCE jobtrack.job_group_id_seq;
CREATE TABLE jobtrack.job_group (
	id					pg_catalog.int8 NOT NULL
						DEFAULT pg_catalog.nextval('jobtrack.job_group_id_seq'::pg_catalog.regclass),
	title				pg_catalog.text NOT NULL,
	payload				pg_catalog.jsonb,
	time_to_check		pg_catalog.interval NOT NULL DEFAULT '1 minute'
						CHECK (time_to_check OPERATOR(pg_catalog.>=) '1 second'::pg_catalog.interval),
	status				jobtrack.group_status NOT NULL DEFAULT 'pending',
	run					pg_catalog.int4 NOT NULL DEFAULT 1,
	created_at			pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	started_at			pg_catalog.timestamptz,
	completed_at		pg_catalog.timestamptz,
	checked_at			pg_catalog.timestamptz,
	next_check_at		pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	owner				pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
	PRIMARY KEY (id)
);
ALTER SEQUENCE jobtrack.job_group_id_seq OWNED BY jobtrack.job_group.id;
-- titles are unique by their hash, so a title may be longer than a btree entry
CREATE UNIQUE INDEX job_group_title_key ON jobtrack.job_group (pg_catalog.md5(title));
CREATE INDEX job_group_due_idx ON jobtrack.job_group (next_check_at)
	WHERE status OPERATOR(pg_catalog.<>) 'completed';
COMMENT ON TABLE jobtrack.job_group IS 'job groups; only the group evaluator (check_groups) changes their status';
COMMENT ON COLUMN jobtrack.job_group.run IS 'how many times the group has been opened; a reopened group starts a new run';
COMMENT ON COLUMN jobtrack.job_group.checked_at IS 'when the evaluator last checked the group on schedule or changed its status';
COMMENT ON COLUMN jobtrack.job_group.next_check_at IS 'when the evaluator checks the group next on schedule';

CREATE SEQUENCE jobtrack.job_message_id_seq;
CREATE TABLE jobtrack.job_message (
	id					pg_catalog.int8 NOT NULL
						DEFAULT pg_catalog.nextval('jobtrack.job_message_id_seq'::pg_catalog.regclass),
	job_id				pg_catalog.int8 NOT NULL,
	group_id			pg_catalog.int8,
	level				jobtrack.message_level NOT NULL DEFAULT 'info',
	message				pg_catalog.text NOT NULL,
	created_at			pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	owner				pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
	-- job_id first: a sharded job_message (jobtrack.distribute) keeps a job's messages with the job
	PRIMARY KEY (job_id, id)
);
ALTER SEQUENCE jobtrack.job_message_id_seq OWNED BY jobtrack.job_message.id;
COMMENT ON TABLE jobtrack.job_message IS 'messages a job reported with add_message';
COMMENT ON COLUMN jobtrack.job_message.owner IS 'the owner of the job, copied at insert for the row-level security policy';

CREATE SEQUENCE jobtrack.job_signal_id_seq;
CREATE TABLE jobtrack.job_signal (
	id					pg_catalog.int8 NOT NULL
						DEFAULT pg_catalog.nextval('jobtrack.job_signal_id_seq'::pg_catalog.regclass),
	job_id				pg_catalog.int8 NOT NULL,
	group_id			pg_catalog.int8,
	signal				pg_catalog.text NOT NULL,
	parameters			pg_catalog.jsonb NOT NULL DEFAULT '{}'::pg_catalog.jsonb,
	cancel_job			pg_catalog.bool NOT NULL DEFAULT false,
	created_at			pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	handled_at			pg_catalog.timestamptz,
	owner				pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
	PRIMARY KEY (job_id, id)
);
ALTER SEQUENCE jobtrack.job_signal_id_seq OWNED BY jobtrack.job_signal.id;
COMMENT ON COLUMN jobtrack.job_signal.owner IS 'the owner of the job, copied at insert for the row-level security policy';
CREATE INDEX job_signal_job_idx ON jobtrack.job_signal (job_id) WHERE handled_at IS NULL;
COMMENT ON TABLE jobtrack.job_signal IS 'signals sent to jobs; the job''s code polls take_signals';

CREATE SEQUENCE jobtrack.group_event_id_seq;
CREATE TABLE jobtrack.group_event (
	id					pg_catalog.int8 NOT NULL
						DEFAULT pg_catalog.nextval('jobtrack.group_event_id_seq'::pg_catalog.regclass),
	group_id			pg_catalog.int8 NOT NULL,
	run					pg_catalog.int4 NOT NULL,
	event				pg_catalog.text NOT NULL,
	created_at			pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	payload				pg_catalog.jsonb NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (group_id, run, event)
) WITH (autovacuum_vacuum_scale_factor = 0.02);
ALTER SEQUENCE jobtrack.group_event_id_seq OWNED BY jobtrack.group_event.id;
COMMENT ON TABLE jobtrack.group_event IS 'every group event ever raised; ids follow commit order, so group_events(after_id) never skips one';

/*
 * Changes to a group's jobs, written by the job_status_guard trigger in the
 * job's own transaction and consumed by check_groups() with DELETE ...
 * RETURNING.  Writers only ever insert here, so they never lock or update a
 * group row.  Dumped, so that a change not yet evaluated when the dump was
 * taken is evaluated after the restore; the restored jobs add one row each,
 * which rebuild the counts (restored rows add only what moved).
 */
CREATE TABLE jobtrack.group_change (
	group_id			pg_catalog.int8 NOT NULL,
	job_id				pg_catalog.int8 NOT NULL,
	old_status			jobtrack.status,
	new_status			jobtrack.status,
	created_at			pg_catalog.timestamptz NOT NULL,
	restored			pg_catalog.bool NOT NULL DEFAULT false
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);
COMMENT ON TABLE jobtrack.group_change IS 'internal: job changes not yet seen by the group evaluator';

/*
 * On a Citus cluster (jobtrack.distribute()) job_status is sharded, and its
 * triggers fire on the node that holds the job's shard, where no evaluator
 * runs.  There the job_status_record trigger writes the change into this
 * table's shard that is colocated with the job, in the job's own local
 * transaction.  The coordinator's evaluator moves the rows into its
 * group_change with one DELETE ... RETURNING over every shard; Citus
 * commits that delete with two-phase commit, and the coordinator's events
 * with it, so a change is moved once and evaluated once.  Logged, as
 * group_change is: a worker node's crash must not lose a change.  Not dumped:
 * a dump restores the jobs, whose own rows rebuild the counts.  Always
 * empty on one server.
 */
CREATE TABLE jobtrack.group_change_outbox (
	group_id			pg_catalog.int8 NOT NULL,
	job_id				pg_catalog.int8 NOT NULL,
	old_status			jobtrack.status,
	new_status			jobtrack.status,
	created_at			pg_catalog.timestamptz NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);
COMMENT ON TABLE jobtrack.group_change_outbox IS 'internal: on a Citus cluster, job changes written on the job''s node, not yet moved to the coordinator''s group_change';

/*
 * Job counts per group, kept by the evaluator from group_change alone, so a
 * check costs what changed and not the size of the group.  Not dumped: the
 * restored jobs' group_change rows rebuild it exactly.
 */
CREATE TABLE jobtrack.group_count (
	group_id			pg_catalog.int8 NOT NULL,
	queued				pg_catalog.int8 NOT NULL DEFAULT 0,
	delayed				pg_catalog.int8 NOT NULL DEFAULT 0,
	started				pg_catalog.int8 NOT NULL DEFAULT 0,
	paused				pg_catalog.int8 NOT NULL DEFAULT 0,
	stuck				pg_catalog.int8 NOT NULL DEFAULT 0,
	succeeded			pg_catalog.int8 NOT NULL DEFAULT 0,
	failed				pg_catalog.int8 NOT NULL DEFAULT 0,
	cancelled			pg_catalog.int8 NOT NULL DEFAULT 0,
	PRIMARY KEY (group_id)
) WITH (fillfactor = 50);
COMMENT ON TABLE jobtrack.group_count IS 'internal: number of jobs in each status, per group';

/*
 * Groups whose evaluation failed, set aside so that every other group's
 * events still arrive.  Their changes stay in group_change; the evaluator
 * tries again at retry_at, with a delay that doubles up to an hour, and
 * forgets the row once the group is evaluated.
 */
CREATE TABLE jobtrack.group_failure (
	group_id			pg_catalog.int8 NOT NULL,
	failures			pg_catalog.int4 NOT NULL,
	first_failed_at		pg_catalog.timestamptz NOT NULL,
	last_failed_at		pg_catalog.timestamptz NOT NULL,
	retry_at			pg_catalog.timestamptz NOT NULL,
	sqlstate			pg_catalog.text NOT NULL,
	error				pg_catalog.text NOT NULL,
	PRIMARY KEY (group_id)
);
COMMENT ON TABLE jobtrack.group_failure IS 'groups set aside after their evaluation failed, with the error and when they are tried again';

/*
 * Every event id up to deleted_through has been deleted by retention, so
 * group_events(after_id) can refuse to return a silent gap.  One row at
 * most, written by the first deletion (so a restore loads it unchallenged).
 */
CREATE TABLE jobtrack.event_horizon (
	one_row				pg_catalog.bool NOT NULL DEFAULT true CHECK (one_row),
	deleted_through		pg_catalog.int8 NOT NULL,
	PRIMARY KEY (one_row)
);
COMMENT ON TABLE jobtrack.event_horizon IS 'internal: the highest group event id deleted by retention';

-- job functions

CREATE FUNCTION jobtrack_internal.job_status_guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'jobtrack_job_status_guard'
	LANGUAGE C;
COMMENT ON FUNCTION jobtrack_internal.job_status_guard() IS 'checks every new or changed job row: transitions, values, and the times a status moves';
CREATE TRIGGER job_status_guard
	BEFORE INSERT OR UPDATE ON jobtrack.job_status
	FOR EACH ROW EXECUTE FUNCTION jobtrack_internal.job_status_guard();

/*
 * After the row is written: group changes and external ids.  No WHEN clause
 * on insert and update: PostgreSQL parses a trigger's WHEN anew for every
 * statement, which cost a status change more than the call it saves; the
 * function itself passes over a row with no group, no external id or no
 * change of status.  A bulk UPDATE of other columns queues one call per
 * row, as it does for any AFTER ROW trigger.
 */
CREATE FUNCTION jobtrack_internal.job_status_record() RETURNS trigger
	AS 'MODULE_PATHNAME', 'jobtrack_job_status_record'
	LANGUAGE C;
COMMENT ON FUNCTION jobtrack_internal.job_status_record() IS 'records job changes for the group evaluator and keeps external ids';
CREATE TRIGGER job_status_record_insert
	AFTER INSERT ON jobtrack.job_status FOR EACH ROW
	EXECUTE FUNCTION jobtrack_internal.job_status_record();
CREATE TRIGGER job_status_record_update
	AFTER UPDATE ON jobtrack.job_status FOR EACH ROW
	EXECUTE FUNCTION jobtrack_internal.job_status_record();
CREATE TRIGGER job_status_record_delete
	AFTER DELETE ON jobtrack.job_status FOR EACH ROW
	WHEN (OLD.group_id IS NOT NULL OR OLD.external_id IS NOT NULL)
	EXECUTE FUNCTION jobtrack_internal.job_status_record();

CREATE FUNCTION jobtrack_internal.job_status_truncated() RETURNS trigger
	AS 'MODULE_PATHNAME', 'jobtrack_job_status_truncated'
	LANGUAGE C;
COMMENT ON FUNCTION jobtrack_internal.job_status_truncated() IS 'clears external ids, group counts, messages and signals when job_status is truncated';
CREATE TRIGGER job_status_truncated
	AFTER TRUNCATE ON jobtrack.job_status
	FOR EACH STATEMENT EXECUTE FUNCTION jobtrack_internal.job_status_truncated();

/*
 * The evaluator writes group_change rows straight into the heap, so this
 * trigger fires only for rows loaded by SQL: a restore.  Such a row says
 * what moved before the dump; the evaluator takes its flags, not its counts.
 * The trigger marks it restored and has the worker's next pass read the
 * whole change log, as no commit tells where such a row went.
 */
CREATE FUNCTION jobtrack_internal.group_change_restored() RETURNS trigger
	AS 'MODULE_PATHNAME', 'jobtrack_group_change_restored'
	LANGUAGE C;
COMMENT ON FUNCTION jobtrack_internal.group_change_restored() IS 'internal: marks group changes loaded by a restore';
CREATE TRIGGER group_change_restored
	BEFORE INSERT ON jobtrack.group_change
	FOR EACH ROW EXECUTE FUNCTION jobtrack_internal.group_change_restored();

/* a job's messages and signals go with it, whoever deletes it */
CREATE FUNCTION jobtrack_internal.job_status_deleted() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	-- only on jobtrack's own tables: a temporary table of the same name,
	-- with this trigger attached, would otherwise run it as the owner
	IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'jobtrack' THEN
		RAISE EXCEPTION 'jobtrack triggers can only be used on jobtrack''s own tables'
			USING ERRCODE = '42501';
	END IF;
	IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'job_status' THEN
		DELETE FROM jobtrack.job_message m USING gone g WHERE m.job_id OPERATOR(pg_catalog.=) g.id;
		DELETE FROM jobtrack.job_signal s USING gone g WHERE s.job_id OPERATOR(pg_catalog.=) g.id;
		RETURN NULL;
	END IF;
	-- a shard on a Citus node: the jobs' messages and signals are in the colocated shards here
	EXECUTE pg_catalog.format('DELETE FROM %s m USING gone g WHERE m.job_id OPERATOR(pg_catalog.=) g.id',
		jobtrack_internal.colocated_shard(TG_RELID, 'jobtrack.job_message'));
	EXECUTE pg_catalog.format('DELETE FROM %s s USING gone g WHERE s.job_id OPERATOR(pg_catalog.=) g.id',
		jobtrack_internal.colocated_shard(TG_RELID, 'jobtrack.job_signal'));
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.job_status_deleted() IS 'internal: deletes the messages and signals of deleted jobs, as the extension owner';
CREATE TRIGGER job_status_deleted
	AFTER DELETE ON jobtrack.job_status REFERENCING OLD TABLE AS gone
	FOR EACH STATEMENT EXECUTE FUNCTION jobtrack_internal.job_status_deleted();

/*
 * A message or signal belongs to its job's owner, whoever inserts it, so
 * that under row-level security no role can leave one on another role's
 * job (the policies compare this column; a subquery there would keep the
 * tables from being sharded).  The owner is read from the job's row as the
 * extension's owner; on a Citus node from the colocated job_status shard.
 */
CREATE FUNCTION jobtrack_internal.job_child_owner() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	job_owner pg_catalog.name;
BEGIN
	-- only on jobtrack's own tables: a temporary table of the same name,
	-- with this trigger attached, would otherwise run it as the owner
	IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'jobtrack' THEN
		RAISE EXCEPTION 'jobtrack triggers can only be used on jobtrack''s own tables'
			USING ERRCODE = '42501';
	END IF;
	IF TG_TABLE_NAME OPERATOR(pg_catalog.=) ANY (ARRAY['job_message', 'job_signal']) THEN
		SELECT j.owner INTO job_owner FROM jobtrack.job_status j WHERE j.id OPERATOR(pg_catalog.=) NEW.job_id;
	ELSE
		EXECUTE pg_catalog.format('SELECT j.owner FROM %s j WHERE j.id OPERATOR(pg_catalog.=) $1',
			jobtrack_internal.colocated_shard(TG_RELID, 'jobtrack.job_status'))
		   INTO job_owner USING NEW.job_id;
	END IF;
	NEW.owner := COALESCE(job_owner, NEW.owner);
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.job_child_owner() IS 'internal: gives a new message or signal the owner of its job';
CREATE TRIGGER job_message_owner
	BEFORE INSERT ON jobtrack.job_message
	FOR EACH ROW EXECUTE FUNCTION jobtrack_internal.job_child_owner();
CREATE TRIGGER job_signal_owner
	BEFORE INSERT ON jobtrack.job_signal
	FOR EACH ROW EXECUTE FUNCTION jobtrack_internal.job_child_owner();

CREATE FUNCTION jobtrack_internal.check_event_horizon(after_id pg_catalog.int8) RETURNS pg_catalog.bool
	LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	horizon pg_catalog.int8;
BEGIN
	IF after_id IS NULL OR after_id OPERATOR(pg_catalog.<=) 0 THEN
		RETURN true;
	END IF;
	SELECT h.deleted_through INTO horizon FROM jobtrack.event_horizon h;
	IF after_id OPERATOR(pg_catalog.<) horizon THEN
		RAISE EXCEPTION 'group events after id % are no longer kept', after_id
			USING ERRCODE = 'JT001',
				  DETAIL = pg_catalog.format('Retention deleted every event up to id %s; the oldest kept event is the first after it.', horizon),
				  HINT = 'Read the current state of the groups from jobtrack.job_group, then resume from the newest event id.';
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.check_event_horizon(pg_catalog.int8) IS 'internal: raises JT001 when events after after_id (above 0) were deleted by retention';

CREATE FUNCTION jobtrack.status_from_text(pg_catalog.text) RETURNS jobtrack.status
	AS 'MODULE_PATHNAME', 'jobtrack_status_from_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack.status_from_text(pg_catalog.text) IS 'status from its name, BullMQ''s (waiting, active, completed) or Laravel''s (released)';

CREATE FUNCTION jobtrack.create_job(job_type pg_catalog.text, alias pg_catalog.text DEFAULT NULL,
		tags pg_catalog.jsonb DEFAULT '{}', group_id pg_catalog.int8 DEFAULT NULL,
		data pg_catalog.jsonb DEFAULT NULL, external_id pg_catalog.text DEFAULT NULL,
		delay pg_catalog.interval DEFAULT NULL)
	RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_create_job'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack.create_job(pg_catalog.text, pg_catalog.text, pg_catalog.jsonb, pg_catalog.int8, pg_catalog.jsonb, pg_catalog.text, pg_catalog.interval)
	IS 'records a new job and returns its id; with a known external_id returns that job''s id and changes nothing';

/*
 * The one way to name a job by its job system's id.  Every other function
 * takes the jobtrack id (bigint) only, so an untyped parameter can never
 * resolve to a lookup by external id: succeed_job($1) with '1' is job 1.
 */
CREATE FUNCTION jobtrack.job(external_id pg_catalog.text) RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_job' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack.job(pg_catalog.text) IS 'the id of the job with this external id; P0002 if there is none';

CREATE FUNCTION jobtrack.start_job(job_id pg_catalog.int8) RETURNS jobtrack.status
	AS 'MODULE_PATHNAME', 'jobtrack_start_job' LANGUAGE C VOLATILE;
CREATE FUNCTION jobtrack.succeed_job(job_id pg_catalog.int8) RETURNS jobtrack.status
	AS 'MODULE_PATHNAME', 'jobtrack_succeed_job' LANGUAGE C VOLATILE;
CREATE FUNCTION jobtrack.fail_job(job_id pg_catalog.int8, reason pg_catalog.text DEFAULT NULL) RETURNS jobtrack.status
	AS 'MODULE_PATHNAME', 'jobtrack_fail_job' LANGUAGE C VOLATILE;
CREATE FUNCTION jobtrack.cancel_job(job_id pg_catalog.int8) RETURNS jobtrack.status
	AS 'MODULE_PATHNAME', 'jobtrack_cancel_job' LANGUAGE C VOLATILE;
CREATE FUNCTION jobtrack.pause_job(job_id pg_catalog.int8) RETURNS jobtrack.status
	AS 'MODULE_PATHNAME', 'jobtrack_pause_job' LANGUAGE C VOLATILE;
CREATE FUNCTION jobtrack.retry_job(job_id pg_catalog.int8) RETURNS jobtrack.status
	AS 'MODULE_PATHNAME', 'jobtrack_retry_job' LANGUAGE C VOLATILE;
CREATE FUNCTION jobtrack.set_status(job_id pg_catalog.int8, status jobtrack.status) RETURNS jobtrack.status
	AS 'MODULE_PATHNAME', 'jobtrack_set_status' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack.start_job(pg_catalog.int8) IS 'moves the job to started and returns its status';
COMMENT ON FUNCTION jobtrack.succeed_job(pg_catalog.int8) IS 'moves the job to succeeded and returns its status';
COMMENT ON FUNCTION jobtrack.fail_job(pg_catalog.int8, pg_catalog.text) IS 'moves the job to failed with a reason';
COMMENT ON FUNCTION jobtrack.cancel_job(pg_catalog.int8) IS 'moves the job to cancelled';
COMMENT ON FUNCTION jobtrack.pause_job(pg_catalog.int8) IS 'moves the job to paused';
COMMENT ON FUNCTION jobtrack.retry_job(pg_catalog.int8) IS 'queues the job again; from failed, stuck or cancelled this is a new attempt';
COMMENT ON FUNCTION jobtrack.set_status(pg_catalog.int8, jobtrack.status) IS 'moves the job to any status its current one allows';

CREATE FUNCTION jobtrack.set_progress(job_id pg_catalog.int8, percentage pg_catalog.numeric) RETURNS pg_catalog.void
	AS 'MODULE_PATHNAME', 'jobtrack_set_progress' LANGUAGE C VOLATILE;
CREATE FUNCTION jobtrack.set_progress(job_id pg_catalog.int8, current pg_catalog.int8, total pg_catalog.int8) RETURNS pg_catalog.void
	AS 'MODULE_PATHNAME', 'jobtrack_set_progress_count' LANGUAGE C VOLATILE;
CREATE FUNCTION jobtrack.heartbeat(job_id pg_catalog.int8) RETURNS pg_catalog.void
	AS 'MODULE_PATHNAME', 'jobtrack_heartbeat' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack.set_progress(pg_catalog.int8, pg_catalog.numeric) IS 'sets the job''s percentage (0 to 100)';
COMMENT ON FUNCTION jobtrack.set_progress(pg_catalog.int8, pg_catalog.int8, pg_catalog.int8) IS 'sets current and total, and the percentage from them';
COMMENT ON FUNCTION jobtrack.heartbeat(pg_catalog.int8) IS 'records that the job''s worker is alive; a stuck job is started again';

CREATE FUNCTION jobtrack.add_message(job_id pg_catalog.int8, message pg_catalog.text, level pg_catalog.text DEFAULT 'info')
	RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_add_message' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack.add_message(pg_catalog.int8, pg_catalog.text, pg_catalog.text) IS 'records a message of the job and returns its id';

CREATE FUNCTION jobtrack.send_signal(job_id pg_catalog.int8, signal pg_catalog.text,
		parameters pg_catalog.jsonb DEFAULT '{}', cancel_job pg_catalog.bool DEFAULT false)
	RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_send_signal' LANGUAGE C VOLATILE;
CREATE FUNCTION jobtrack.request_cancel(job_id pg_catalog.int8) RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_request_cancel' LANGUAGE C VOLATILE;
CREATE FUNCTION jobtrack.take_signals(job_id pg_catalog.int8) RETURNS SETOF jobtrack.job_signal
	AS 'MODULE_PATHNAME', 'jobtrack_take_signals' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack.send_signal(pg_catalog.int8, pg_catalog.text, pg_catalog.jsonb, pg_catalog.bool) IS 'sends a signal to the job and returns its id';
COMMENT ON FUNCTION jobtrack.request_cancel(pg_catalog.int8) IS 'sends the cancel signal, with cancel_job true';
COMMENT ON FUNCTION jobtrack.take_signals(pg_catalog.int8) IS 'returns the job''s unhandled signals, oldest first, and marks them handled';

-- one job: values and predicates
CREATE FUNCTION jobtrack.get_status(job_id pg_catalog.int8) RETURNS jobtrack.status
	AS 'MODULE_PATHNAME', 'jobtrack_get_status' LANGUAGE C STABLE;
CREATE FUNCTION jobtrack.percentage(job_id pg_catalog.int8) RETURNS pg_catalog.numeric
	AS 'MODULE_PATHNAME', 'jobtrack_percentage' LANGUAGE C STABLE;
CREATE FUNCTION jobtrack.runtime(job_id pg_catalog.int8) RETURNS pg_catalog.interval
	AS 'MODULE_PATHNAME', 'jobtrack_runtime' LANGUAGE C STABLE;
COMMENT ON FUNCTION jobtrack.get_status(pg_catalog.int8) IS 'the job''s status';
COMMENT ON FUNCTION jobtrack.percentage(pg_catalog.int8) IS 'the job''s percentage';
COMMENT ON FUNCTION jobtrack.runtime(pg_catalog.int8) IS 'how long the current attempt has run (until now if unfinished); NULL if never started';

CREATE FUNCTION jobtrack.is_successful(jobtrack.status) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_is_successful' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jobtrack.is_failed(jobtrack.status) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_is_failed' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jobtrack.is_cancelled(jobtrack.status) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_is_cancelled' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jobtrack.is_running(jobtrack.status) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_is_running' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jobtrack.is_queued(jobtrack.status) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_is_queued' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jobtrack.has_finished(jobtrack.status) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_has_finished' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack.is_successful(jobtrack.status) IS 'true for succeeded';
COMMENT ON FUNCTION jobtrack.is_failed(jobtrack.status) IS 'true for failed';
COMMENT ON FUNCTION jobtrack.is_cancelled(jobtrack.status) IS 'true for cancelled';
COMMENT ON FUNCTION jobtrack.is_running(jobtrack.status) IS 'true for started';
COMMENT ON FUNCTION jobtrack.is_queued(jobtrack.status) IS 'true for queued and delayed';
COMMENT ON FUNCTION jobtrack.has_finished(jobtrack.status) IS 'true for succeeded, failed and cancelled';

CREATE FUNCTION jobtrack.is_successful(job_id pg_catalog.int8) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_job_is_successful' LANGUAGE C STABLE;
CREATE FUNCTION jobtrack.is_failed(job_id pg_catalog.int8) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_job_is_failed' LANGUAGE C STABLE;
CREATE FUNCTION jobtrack.is_cancelled(job_id pg_catalog.int8) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_job_is_cancelled' LANGUAGE C STABLE;
CREATE FUNCTION jobtrack.is_running(job_id pg_catalog.int8) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_job_is_running' LANGUAGE C STABLE;
CREATE FUNCTION jobtrack.is_queued(job_id pg_catalog.int8) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_job_is_queued' LANGUAGE C STABLE;
CREATE FUNCTION jobtrack.has_finished(job_id pg_catalog.int8) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_job_has_finished' LANGUAGE C STABLE;
COMMENT ON FUNCTION jobtrack.is_successful(pg_catalog.int8) IS 'true if the job succeeded';
COMMENT ON FUNCTION jobtrack.is_failed(pg_catalog.int8) IS 'true if the job failed';
COMMENT ON FUNCTION jobtrack.is_cancelled(pg_catalog.int8) IS 'true if the job was cancelled';
COMMENT ON FUNCTION jobtrack.is_running(pg_catalog.int8) IS 'true if the job is started';
COMMENT ON FUNCTION jobtrack.is_queued(pg_catalog.int8) IS 'true if the job is queued or delayed';
COMMENT ON FUNCTION jobtrack.has_finished(pg_catalog.int8) IS 'true if the job succeeded, failed or was cancelled';

-- scopes

/*
 * The scopes are LANGUAGE sql, STABLE, without SET, STRICT or SECURITY
 * DEFINER, so the planner inlines them and a scope combined with a WHERE
 * clause plans as one index-backed query.  Their helpers are IMMUTABLE so
 * that, with constant arguments, they fold into constants at plan time:
 * a bad argument fails before any row is read.
 */
CREATE FUNCTION jobtrack_internal.check_scope_argument(argument pg_catalog.text, value pg_catalog.text) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_check_scope_argument' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.check_scope_argument(pg_catalog.text, pg_catalog.text) IS 'internal: raises 22004 when a scope argument is NULL';

CREATE FUNCTION jobtrack_internal.check_tag_operator(op pg_catalog.text) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_check_tag_operator' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.check_tag_operator(pg_catalog.text) IS 'internal: raises 22023 unless op is one of = != < <= > >=';

CREATE FUNCTION jobtrack_internal.tag_probes(key pg_catalog.text, value pg_catalog.text) RETURNS pg_catalog.jsonb[]
	AS 'MODULE_PATHNAME', 'jobtrack_tag_probes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.tag_probes(pg_catalog.text, pg_catalog.text) IS 'internal: the objects {key: v} a tag whose text is value may contain, for the GIN index';

CREATE FUNCTION jobtrack_internal.tag_compare(tag pg_catalog.text, op pg_catalog.text, value pg_catalog.text) RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'jobtrack_tag_compare' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.tag_compare(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS 'compares a tag with a value: as numbers when both read as numbers, as text otherwise';

CREATE FUNCTION jobtrack_internal.other_statuses(jobtrack.status[]) RETURNS jobtrack.status[]
	AS 'MODULE_PATHNAME', 'jobtrack_other_statuses' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.other_statuses(jobtrack.status[]) IS 'internal: every status not in the array';

-- live progress (live.c): a started job's slot overlays its stored columns;
-- STABLE so that the scopes that use them stay inlinable
CREATE FUNCTION jobtrack_internal.live_percentage(job_id pg_catalog.int8, status jobtrack.status, stored pg_catalog.numeric)
	RETURNS pg_catalog.numeric
	AS 'MODULE_PATHNAME', 'jobtrack_live_percentage' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.live_percentage(pg_catalog.int8, jobtrack.status, pg_catalog.numeric)
	IS 'internal: a started job''s live percentage, else the stored one';
CREATE FUNCTION jobtrack_internal.live_current(job_id pg_catalog.int8, status jobtrack.status, stored pg_catalog.int8)
	RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_live_current' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.live_current(pg_catalog.int8, jobtrack.status, pg_catalog.int8)
	IS 'internal: a started job''s live progress_current, else the stored one';
CREATE FUNCTION jobtrack_internal.live_total(job_id pg_catalog.int8, status jobtrack.status, stored pg_catalog.int8)
	RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_live_total' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.live_total(pg_catalog.int8, jobtrack.status, pg_catalog.int8)
	IS 'internal: a started job''s live progress_total, else the stored one';
CREATE FUNCTION jobtrack_internal.live_heartbeat(job_id pg_catalog.int8, status jobtrack.status, stored pg_catalog.timestamptz)
	RETURNS pg_catalog.timestamptz
	AS 'MODULE_PATHNAME', 'jobtrack_live_heartbeat' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.live_heartbeat(pg_catalog.int8, jobtrack.status, pg_catalog.timestamptz)
	IS 'internal: a started job''s live heartbeat, else the stored one';
CREATE FUNCTION jobtrack_internal.live_slots(OUT job_id pg_catalog.int8, OUT percentage pg_catalog.numeric,
	OUT progress_current pg_catalog.int8, OUT progress_total pg_catalog.int8,
	OUT heartbeat_at pg_catalog.timestamptz, OUT stored pg_catalog.bool)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'jobtrack_live_slot_list' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack_internal.live_slots() IS 'internal: the live slots of this database';

CREATE VIEW jobtrack.live_progress WITH (security_invoker = true) AS
SELECT s.job_id, s.percentage, s.progress_current, s.progress_total, s.heartbeat_at, s.stored
  FROM jobtrack_internal.live_slots() s
  -- a join, not a correlated EXISTS, so that Citus can run it on a sharded job_status
  JOIN jobtrack.job_status j ON j.id OPERATOR(pg_catalog.=) s.job_id;
COMMENT ON VIEW jobtrack.live_progress IS 'the live progress of started jobs you can see: values not yet in their rows (stored false) or already there (stored true)';

-- runs the flush as the extension's owner, for a caller with UPDATE on
-- job_status and no row-level security (it locks every started job's row)
CREATE FUNCTION jobtrack.flush_progress() RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME', 'jobtrack_flush_progress' LANGUAGE C VOLATILE
	SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION jobtrack.flush_progress() IS 'writes the live progress of this database''s started jobs to their rows now, as the worker does once per jobtrack.live_flush_interval; returns the rows written';

CREATE FUNCTION jobtrack.for_job(job_type pg_catalog.text) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('job_type', $1)
	   AND j.job_type OPERATOR(pg_catalog.=) $1
	$$;
COMMENT ON FUNCTION jobtrack.for_job(pg_catalog.text) IS 'jobs of one type';

CREATE FUNCTION jobtrack.for_job_alias(alias pg_catalog.text) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('alias', $1)
	   AND j.alias OPERATOR(pg_catalog.=) $1
	$$;
COMMENT ON FUNCTION jobtrack.for_job_alias(pg_catalog.text) IS 'jobs with one alias';

CREATE FUNCTION jobtrack.where_tag(key pg_catalog.text, op pg_catalog.text, value pg_catalog.text)
	RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('key', $1)
	   AND jobtrack_internal.check_scope_argument('value', $3)
	   AND jobtrack_internal.check_tag_operator($2)
	   AND CASE
			WHEN $2 OPERATOR(pg_catalog.=) '=' THEN
				j.tags OPERATOR(pg_catalog.<>) '{}'::pg_catalog.jsonb
				AND j.tags OPERATOR(pg_catalog.@>) ANY (jobtrack_internal.tag_probes($1, $3))
				AND (j.tags OPERATOR(pg_catalog.->>) $1) OPERATOR(pg_catalog.=) $3
			WHEN $2 OPERATOR(pg_catalog.=) '!=' THEN
				(j.tags OPERATOR(pg_catalog.->>) $1) OPERATOR(pg_catalog.<>) $3
			ELSE
				jobtrack_internal.tag_compare(j.tags OPERATOR(pg_catalog.->>) $1, $2, $3)
		   END
	$$;
COMMENT ON FUNCTION jobtrack.where_tag(pg_catalog.text, pg_catalog.text, pg_catalog.text)
	IS 'jobs whose tag key compares with value by op (= != < <= > >=); a job without the key never matches';

CREATE FUNCTION jobtrack.where_tag(key pg_catalog.text, value pg_catalog.text) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('key', $1)
	   AND jobtrack_internal.check_scope_argument('value', $2)
	   AND j.tags OPERATOR(pg_catalog.<>) '{}'::pg_catalog.jsonb
	   AND j.tags OPERATOR(pg_catalog.@>) ANY (jobtrack_internal.tag_probes($1, $2))
	   AND (j.tags OPERATOR(pg_catalog.->>) $1) OPERATOR(pg_catalog.=) $2
	$$;
COMMENT ON FUNCTION jobtrack.where_tag(pg_catalog.text, pg_catalog.text) IS 'jobs whose tag key has the text value';

CREATE FUNCTION jobtrack.where_status(VARIADIC statuses jobtrack.status[]) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE j.status OPERATOR(pg_catalog.=) ANY ($1)
	$$;
COMMENT ON FUNCTION jobtrack.where_status(jobtrack.status[]) IS 'jobs in any of the statuses';

CREATE FUNCTION jobtrack.where_not_status(VARIADIC statuses jobtrack.status[]) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE j.status OPERATOR(pg_catalog.=) ANY (jobtrack_internal.other_statuses($1))
	$$;
COMMENT ON FUNCTION jobtrack.where_not_status(jobtrack.status[]) IS 'jobs in none of the statuses';

CREATE FUNCTION jobtrack.in_group(group_id pg_catalog.int8) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('group_id', $1::pg_catalog.text)
	   AND j.group_id OPERATOR(pg_catalog.=) $1
	$$;
COMMENT ON FUNCTION jobtrack.in_group(pg_catalog.int8) IS 'jobs of one group';

-- aggregates

CREATE FUNCTION jobtrack_internal.count_finished_accum(pg_catalog.int8, jobtrack.status) RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_count_finished_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jobtrack_internal.count_successful_accum(pg_catalog.int8, jobtrack.status) RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_count_successful_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jobtrack_internal.count_failed_accum(pg_catalog.int8, jobtrack.status) RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_count_failed_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jobtrack_internal.count_cancelled_accum(pg_catalog.int8, jobtrack.status) RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_count_cancelled_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jobtrack_internal.count_running_accum(pg_catalog.int8, jobtrack.status) RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_count_running_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jobtrack_internal.count_queued_accum(pg_catalog.int8, jobtrack.status) RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_count_queued_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jobtrack_internal.count_not_finished_accum(pg_catalog.int8, jobtrack.status) RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_count_not_finished_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE jobtrack.count_finished(jobtrack.status) (
	SFUNC = jobtrack_internal.count_finished_accum, STYPE = pg_catalog.int8, INITCOND = '0',
	COMBINEFUNC = pg_catalog.int8pl, PARALLEL = SAFE);
CREATE AGGREGATE jobtrack.count_successful(jobtrack.status) (
	SFUNC = jobtrack_internal.count_successful_accum, STYPE = pg_catalog.int8, INITCOND = '0',
	COMBINEFUNC = pg_catalog.int8pl, PARALLEL = SAFE);
CREATE AGGREGATE jobtrack.count_failed(jobtrack.status) (
	SFUNC = jobtrack_internal.count_failed_accum, STYPE = pg_catalog.int8, INITCOND = '0',
	COMBINEFUNC = pg_catalog.int8pl, PARALLEL = SAFE);
CREATE AGGREGATE jobtrack.count_cancelled(jobtrack.status) (
	SFUNC = jobtrack_internal.count_cancelled_accum, STYPE = pg_catalog.int8, INITCOND = '0',
	COMBINEFUNC = pg_catalog.int8pl, PARALLEL = SAFE);
CREATE AGGREGATE jobtrack.count_running(jobtrack.status) (
	SFUNC = jobtrack_internal.count_running_accum, STYPE = pg_catalog.int8, INITCOND = '0',
	COMBINEFUNC = pg_catalog.int8pl, PARALLEL = SAFE);
CREATE AGGREGATE jobtrack.count_queued(jobtrack.status) (
	SFUNC = jobtrack_internal.count_queued_accum, STYPE = pg_catalog.int8, INITCOND = '0',
	COMBINEFUNC = pg_catalog.int8pl, PARALLEL = SAFE);
CREATE AGGREGATE jobtrack.count_not_finished(jobtrack.status) (
	SFUNC = jobtrack_internal.count_not_finished_accum, STYPE = pg_catalog.int8, INITCOND = '0',
	COMBINEFUNC = pg_catalog.int8pl, PARALLEL = SAFE);
COMMENT ON AGGREGATE jobtrack.count_finished(jobtrack.status) IS 'number of jobs in a finished status (succeeded, failed, cancelled)';
COMMENT ON AGGREGATE jobtrack.count_successful(jobtrack.status) IS 'number of succeeded jobs';
COMMENT ON AGGREGATE jobtrack.count_failed(jobtrack.status) IS 'number of failed jobs';
COMMENT ON AGGREGATE jobtrack.count_cancelled(jobtrack.status) IS 'number of cancelled jobs';
COMMENT ON AGGREGATE jobtrack.count_running(jobtrack.status) IS 'number of started jobs';
COMMENT ON AGGREGATE jobtrack.count_queued(jobtrack.status) IS 'number of queued and delayed jobs';
COMMENT ON AGGREGATE jobtrack.count_not_finished(jobtrack.status) IS 'number of jobs not in a finished status';

-- groups and events

CREATE FUNCTION jobtrack.create_group(title pg_catalog.text, payload pg_catalog.jsonb DEFAULT NULL,
		time_to_check pg_catalog.interval DEFAULT '1 minute')
	RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_create_group' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack.create_group(pg_catalog.text, pg_catalog.jsonb, pg_catalog.interval) IS 'creates a job group and returns its id';

CREATE FUNCTION jobtrack.group_id(title pg_catalog.text) RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_group_id' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack.group_id(pg_catalog.text) IS 'the id of the group with this title, created if it does not exist';

/*
 * The evaluator's and housekeeping's functions run without JIT: their
 * statements are short, but a drained change log full of dead rows can
 * lift an estimate over jit_above_cost, and compiling costs each call
 * tens of milliseconds.  The evaluator's run with the plan cache's own
 * choice (plan_cache_mode = auto), so that a role's or database's setting
 * cannot undo the generic plans it asks for (spi_util.c).  The worker does
 * both for itself too.
 */
CREATE FUNCTION jobtrack.update_status_running(group_id pg_catalog.int8) RETURNS jobtrack.group_status
	AS 'MODULE_PATHNAME', 'jobtrack_update_status_running' LANGUAGE C VOLATILE
	SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off
	SET plan_cache_mode = auto;
COMMENT ON FUNCTION jobtrack.update_status_running(pg_catalog.int8) IS 'marks a pending group running now and raises group.started; runs as the extension owner because it writes events';

CREATE FUNCTION jobtrack.check_groups() RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME', 'jobtrack_check_groups' LANGUAGE C VOLATILE
	SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off
	SET plan_cache_mode = auto;
COMMENT ON FUNCTION jobtrack.check_groups() IS 'evaluates the groups that are due and returns how many events it raised; runs as the extension owner so that row-level security never hides jobs from it';

CREATE FUNCTION jobtrack.recount_groups(group_id pg_catalog.int8 DEFAULT NULL) RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME', 'jobtrack_recount_groups' LANGUAGE C VOLATILE
	SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off
	SET plan_cache_mode = auto;
COMMENT ON FUNCTION jobtrack.recount_groups(pg_catalog.int8) IS 'counts a group''s jobs afresh (every group''s for NULL), for changes no trigger saw, and evaluates it; returns the events raised';

CREATE FUNCTION jobtrack.group_events(after_id pg_catalog.int8 DEFAULT 0) RETURNS SETOF jobtrack.group_event
	LANGUAGE sql STABLE
	AS $$
	SELECT e.* FROM jobtrack.group_event e
	 WHERE jobtrack_internal.check_event_horizon($1)
	   AND e.id OPERATOR(pg_catalog.>) COALESCE($1, 0)
	 ORDER BY e.id
	$$;
COMMENT ON FUNCTION jobtrack.group_events(pg_catalog.int8) IS 'group events after an event id, in the order they were raised; every kept event from 0 (no position yet); JT001 if retention deleted events after a later after_id';

-- worker support

CREATE FUNCTION jobtrack.run_maintenance() RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_run_maintenance' LANGUAGE C VOLATILE
	SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION jobtrack.run_maintenance() IS 'promotes due delayed jobs, marks stuck jobs and deletes expired finished ones; returns the number of jobs changed';

CREATE FUNCTION jobtrack_internal.worker_stats(
		OUT worker_pid pg_catalog.int4, OUT worker_state pg_catalog.text,
		OUT checks pg_catalog.int8, OUT wakeups pg_catalog.int8, OUT events pg_catalog.int8,
		OUT last_check_at pg_catalog.timestamptz, OUT last_event_at pg_catalog.timestamptz,
		OUT recent_events pg_catalog.int4, OUT latency_p50_ms pg_catalog.float8,
		OUT latency_p99_ms pg_catalog.float8, OUT latency_max_ms pg_catalog.float8,
		OUT databases_not_served pg_catalog.text[])
	RETURNS record
	AS 'MODULE_PATHNAME', 'jobtrack_worker_stats' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack_internal.worker_stats() IS 'internal: the figures behind the jobtrack.stats view';

CREATE FUNCTION jobtrack_internal.live_stats(OUT live_slots_used pg_catalog.int8,
		OUT live_slots pg_catalog.int8, OUT live_slots_full pg_catalog.int8)
	RETURNS record
	AS 'MODULE_PATHNAME', 'jobtrack_live_stats' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack_internal.live_stats() IS 'internal: the live progress figures behind the jobtrack.stats view';

CREATE VIEW jobtrack.stats AS
	SELECT s.*, f.groups_set_aside, f.set_aside_group_ids,
	       l.live_slots_used, l.live_slots, l.live_slots_full
	  FROM jobtrack_internal.worker_stats() s,
	       LATERAL (SELECT pg_catalog.count(*) AS groups_set_aside,
	                       pg_catalog.array_agg(g.group_id ORDER BY g.group_id) AS set_aside_group_ids
	                  FROM jobtrack.group_failure g) f,
	       jobtrack_internal.live_stats() l;
COMMENT ON VIEW jobtrack.stats IS 'this database''s worker''s own figures: checks run, wake-ups, events raised, the change-to-event latency of recent events; the databases no worker was free for; the groups set aside; and the live progress slots in use, available, and the writes that found none free';


-- scaling out (Citus): README.md "Scaling out with Citus"

/*
 * Where this node stands: 'local' (one server, or Citus without jobtrack
 * distributed), 'coordinator' or 'worker' (a Citus worker node, where
 * shards live and no evaluator may run).  pg_dist_* exist only where Citus
 * is installed, hence EXECUTE.
 */
CREATE FUNCTION jobtrack_internal.node_role() RETURNS pg_catalog.text
	LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	distributed pg_catalog.bool;
	group_id pg_catalog.int4;
BEGIN
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN 'local';
	END IF;
	EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p
			  WHERE p.logicalrelid OPERATOR(pg_catalog.=) ''jobtrack.job_status''::pg_catalog.regclass)'
	   INTO distributed;
	IF NOT distributed THEN
		RETURN 'local';
	END IF;
	EXECUTE 'SELECT g.groupid FROM pg_catalog.pg_dist_local_group g' INTO group_id;
	RETURN CASE WHEN group_id OPERATOR(pg_catalog.=) 0 THEN 'coordinator' ELSE 'worker' END;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.node_role() IS 'internal: local, or on a Citus cluster where jobtrack is distributed, coordinator or worker';

/*
 * The shard of target colocated with a shard of one of jobtrack's sharded
 * tables on this node, so that a trigger firing on that shard reads and
 * writes rows of the same jobs next to it.  Citus names a shard after its
 * table and shard id, and colocated shards cover the same hash range.
 */
CREATE FUNCTION jobtrack_internal.colocated_shard(shard pg_catalog.regclass, target pg_catalog.regclass)
	RETURNS pg_catalog.regclass
	LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	shard_id pg_catalog.int8;
	result pg_catalog.regclass;
BEGIN
	SELECT pg_catalog.substring(c.relname::pg_catalog.text, '_([0-9]+)$')::pg_catalog.int8 INTO shard_id
	  FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) shard;
	EXECUTE 'SELECT pg_catalog.format(''%I.%I'', n.nspname,
				   c.relname::pg_catalog.text OPERATOR(pg_catalog.||) ''_'' OPERATOR(pg_catalog.||) t.shardid)
			   FROM pg_catalog.pg_dist_shard s
			   JOIN pg_catalog.pg_dist_shard t ON t.logicalrelid OPERATOR(pg_catalog.=) $2
				AND t.shardminvalue OPERATOR(pg_catalog.=) s.shardminvalue
			   JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) $2
			   JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
			  WHERE s.shardid OPERATOR(pg_catalog.=) $1
				AND s.logicalrelid OPERATOR(pg_catalog.=) ANY (ARRAY[''jobtrack.job_status'', ''jobtrack.job_message'',
					''jobtrack.job_signal'', ''jobtrack.group_change_outbox'']::pg_catalog.regclass[])'
	   INTO result USING shard_id, target;
	IF result IS NULL THEN
		RAISE EXCEPTION 'relation % is not a shard of a sharded jobtrack table', shard
			USING ERRCODE = '55000';
	END IF;
	RETURN result;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.colocated_shard(pg_catalog.regclass, pg_catalog.regclass) IS 'internal: the shard of target on this node that holds the same jobs as a given shard';

/*
 * Citus plans a query before PostgreSQL inlines the SQL functions in it, so
 * an inlined scope would bring a sharded table into a query already planned
 * for one server.  On a distributed install the scopes are therefore
 * PL/pgSQL functions with the same query (RETURN QUERY), which Citus plans
 * with the arguments' values; distribute() and undistribute() switch them,
 * keeping their signatures, privileges and comments.
 */
CREATE FUNCTION jobtrack_internal.set_scope_language(language pg_catalog.text) RETURNS pg_catalog.void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	scope record;
	body pg_catalog.text;
BEGIN
	IF language OPERATOR(pg_catalog.<>) ALL (ARRAY['sql', 'plpgsql']) THEN
		RAISE EXCEPTION 'scopes are written in sql or plpgsql, not %', language USING ERRCODE = '22023';
	END IF;
	FOR scope IN
		SELECT p.oid, p.prosrc, l.lanname FROM pg_catalog.pg_proc p
		  JOIN pg_catalog.pg_language l ON l.oid OPERATOR(pg_catalog.=) p.prolang
		 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'jobtrack'::pg_catalog.regnamespace
		   AND p.proretset AND p.prorettype OPERATOR(pg_catalog.=) 'jobtrack.job_status'::pg_catalog.regtype
		   AND l.lanname OPERATOR(pg_catalog.<>) language
		   AND l.lanname OPERATOR(pg_catalog.=) ANY (ARRAY['sql', 'plpgsql'])
	LOOP
		IF language OPERATOR(pg_catalog.=) 'plpgsql' THEN
			body := E'\n#variable_conflict use_column\nBEGIN\n\tRETURN QUERY' OPERATOR(pg_catalog.||)
				pg_catalog.rtrim(scope.prosrc, E'\n\t ') OPERATOR(pg_catalog.||) E';\nEND\n';
		ELSE
			body := pg_catalog.substring(scope.prosrc, E'^\n#variable_conflict use_column\nBEGIN\n\tRETURN QUERY(.*);\nEND\n$')
				OPERATOR(pg_catalog.||) E'\n\t';
		END IF;
		EXECUTE pg_catalog.format('CREATE OR REPLACE FUNCTION %s(%s) RETURNS SETOF jobtrack.job_status'
								  ' LANGUAGE %s STABLE PARALLEL SAFE AS %L',
								  scope.oid::pg_catalog.regproc, pg_catalog.pg_get_function_arguments(scope.oid),
								  language, body);
	END LOOP;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.set_scope_language(pg_catalog.text) IS 'internal: rewrites the scopes in sql (inlinable, one server) or plpgsql (a Citus cluster)';

/*
 * Each node draws ids from its own sequences: those of the coordinator for
 * every call made there, those of a worker node for rows inserted on it.
 * Like Citus's own sequences, worker node group g takes the ids from
 * g * 2^48 + 1 to (g + 1) * 2^48 - 1, and the coordinator's stay below
 * 2^48, so no two nodes ever hand out the same id.  Run
 * by distribute(), and again after adding a node (README.md).
 */
CREATE FUNCTION jobtrack_internal.split_id_ranges() RETURNS pg_catalog.void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	command CONSTANT pg_catalog.text := $command$
DO $do$
DECLARE
	node_group pg_catalog.int8;
	seq pg_catalog.text;
	low pg_catalog.int8;
	high pg_catalog.int8;
	last pg_catalog.int8;
BEGIN
	EXECUTE 'SELECT g.groupid FROM pg_catalog.pg_dist_local_group g' INTO node_group;
	low := (node_group OPERATOR(pg_catalog.<<) 48) OPERATOR(pg_catalog.+) 1;
	high := ((node_group OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.<<) 48) OPERATOR(pg_catalog.-) 1;
	FOREACH seq IN ARRAY ARRAY['job_status_id_seq', 'job_message_id_seq', 'job_signal_id_seq'] LOOP
		-- a node already in its range keeps its place: a restart would hand out its ids again
		EXECUTE pg_catalog.format('SELECT s.last_value FROM jobtrack.%I s', seq) INTO last;
		CONTINUE WHEN last OPERATOR(pg_catalog.>=) low AND last OPERATOR(pg_catalog.<=) high;
		EXECUTE pg_catalog.format('ALTER SEQUENCE jobtrack.%I MINVALUE %s MAXVALUE %s START %s RESTART',
			seq, low, high, low);
	END LOOP;
END
$do$
$command$;
	failed pg_catalog.text;
BEGIN
	-- the coordinator (group 0) keeps its sequences as they are
	EXECUTE 'SELECT pg_catalog.string_agg(r.nodename OPERATOR(pg_catalog.||) '':'' OPERATOR(pg_catalog.||) r.nodeport
				   OPERATOR(pg_catalog.||) '' '' OPERATOR(pg_catalog.||) r.result, '', '')
			   FROM pg_catalog.run_command_on_workers($1) r WHERE NOT r.success'
	   INTO failed USING command;
	IF failed IS NOT NULL THEN
		RAISE EXCEPTION 'could not give every node its own range of ids'
			USING ERRCODE = '55000', DETAIL = pg_catalog.format('Failed on %s.', failed);
	END IF;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.split_id_ranges() IS 'internal: gives each node of a Citus cluster its own range of job, message and signal ids';

/*
 * Shards the tables keyed by job across a Citus cluster: job_status by id,
 * and job_message, job_signal and group_change_outbox by job_id, colocated
 * with it, so that every call naming one job runs on one node.  Groups,
 * counts, events and external ids stay on the coordinator, where the one
 * evaluator runs.  group_change becomes logged there: after a crash of the
 * coordinator it cannot be rebuilt from the jobs while workers write.
 */
CREATE FUNCTION jobtrack.distribute(shard_count pg_catalog.int4 DEFAULT NULL) RETURNS pg_catalog.void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	role pg_catalog.text;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'citus') THEN
		RAISE EXCEPTION 'jobtrack can only be distributed where Citus is installed'
			USING ERRCODE = '55000',
				  HINT = 'Preload citus before jobtrack, run CREATE EXTENSION citus and add the worker nodes first.';
	END IF;
	role := jobtrack_internal.node_role();
	IF role OPERATOR(pg_catalog.<>) 'local' THEN
		RAISE EXCEPTION 'jobtrack is already distributed'
			USING ERRCODE = '55000', HINT = 'Call jobtrack.undistribute() first to change the shard count.';
	END IF;
	EXECUTE 'SELECT g.groupid FROM pg_catalog.pg_dist_local_group g' INTO role;
	IF role OPERATOR(pg_catalog.<>) '0' THEN
		RAISE EXCEPTION 'jobtrack can only be distributed on the coordinator'
			USING ERRCODE = '55000', HINT = 'Connect to the Citus coordinator and call jobtrack.distribute() there.';
	END IF;
	IF shard_count IS NOT NULL AND shard_count OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'shard_count must be positive' USING ERRCODE = '22023';
	END IF;
	-- jobtrack's triggers write only into shards colocated with their own
	PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
	-- function DDL and the table copies share one connection per node
	PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
	-- live progress stays off once distributed: what the slots hold goes to the rows now
	PERFORM jobtrack.flush_progress();
	PERFORM jobtrack_internal.set_scope_language('plpgsql');
	/*
	 * Citus copies the rows into the shards with their triggers in place:
	 * copied rows are neither new nor changed, and their groups counted
	 * them already.  Writers wait for this transaction meanwhile.
	 */
	ALTER TABLE jobtrack.job_status DISABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_message DISABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_signal DISABLE TRIGGER USER;
	EXECUTE 'SELECT pg_catalog.create_distributed_table($1, $2, colocate_with => ''none'', shard_count => $3)'
	  USING 'jobtrack.job_status'::pg_catalog.regclass, 'id',
			COALESCE(shard_count, pg_catalog.current_setting('citus.shard_count')::pg_catalog.int4);
	EXECUTE 'SELECT pg_catalog.create_distributed_table($1, ''job_id'', colocate_with => ''jobtrack.job_status'')'
	  USING 'jobtrack.group_change_outbox'::pg_catalog.regclass;
	EXECUTE 'SELECT pg_catalog.create_distributed_table($1, ''job_id'', colocate_with => ''jobtrack.job_status'')'
	  USING 'jobtrack.job_message'::pg_catalog.regclass;
	EXECUTE 'SELECT pg_catalog.create_distributed_table($1, ''job_id'', colocate_with => ''jobtrack.job_status'')'
	  USING 'jobtrack.job_signal'::pg_catalog.regclass;
	ALTER TABLE jobtrack.job_status ENABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_message ENABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_signal ENABLE TRIGGER USER;
	PERFORM jobtrack_internal.split_id_ranges();
END
$$;
COMMENT ON FUNCTION jobtrack.distribute(pg_catalog.int4) IS 'on a Citus coordinator: shards the jobs and their messages, signals and changes across the worker nodes (README.md "Scaling out with Citus")';

/*
 * Turns the sharded tables back into plain tables of this node: each
 * table's rows are read into a temporary copy (keep_rows), its shards and
 * its Citus metadata are dropped on every node as Citus's own DROP TABLE
 * does, and the rows go back into the table, which kept its identity, so
 * that it stays a member of the extension.  (Citus's undistribute_table()
 * builds a new table, which an extension's table cannot be.)  Without
 * keep_rows it prepares DROP EXTENSION: with the shards gone, every node
 * can drop the extension.
 */
CREATE FUNCTION jobtrack_internal.release_shards(keep_rows pg_catalog.bool) RETURNS pg_catalog.void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	name pg_catalog.text;
	rel pg_catalog.regclass;
BEGIN
	PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
	PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
	-- housekeeping and the evaluator lock these first on the coordinator: they wait, no deadlock
	LOCK TABLE jobtrack.job_status, jobtrack.job_message, jobtrack.job_signal, jobtrack.group_change_outbox
		IN ACCESS EXCLUSIVE MODE;
	ALTER TABLE jobtrack.job_status DISABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_message DISABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_signal DISABLE TRIGGER USER;
	FOREACH name IN ARRAY ARRAY['job_signal', 'job_message', 'group_change_outbox', 'job_status'] LOOP
		rel := pg_catalog.format('jobtrack.%I', name)::pg_catalog.regclass;
		IF keep_rows THEN
			EXECUTE pg_catalog.format('CREATE TEMPORARY TABLE jobtrack_rows ON COMMIT DROP AS SELECT * FROM %s', rel);
		END IF;
		EXECUTE 'SELECT pg_catalog.master_remove_distributed_table_metadata_from_workers($1, ''jobtrack'', $2)'
		  USING rel, name;
		EXECUTE 'SELECT pg_catalog.citus_drop_all_shards($1, ''jobtrack'', $2)' USING rel, name;
		EXECUTE 'SELECT pg_catalog.master_remove_partition_metadata($1, ''jobtrack'', $2)' USING rel, name;
		-- Citus's own TRUNCATE trigger, which a plain table does without
		FOR name IN SELECT t.tgname FROM pg_catalog.pg_trigger t
					 WHERE t.tgrelid OPERATOR(pg_catalog.=) rel
					   AND t.tgfoid OPERATOR(pg_catalog.=) 'pg_catalog.citus_truncate_trigger'::pg_catalog.regproc LOOP
			EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', name, rel);
		END LOOP;
		-- the rows the table held before it was distributed are still on disk
		EXECUTE pg_catalog.format('TRUNCATE %s', rel);
		IF keep_rows THEN
			EXECUTE pg_catalog.format('INSERT INTO %s SELECT * FROM jobtrack_rows', rel);
			DROP TABLE jobtrack_rows;
		END IF;
	END LOOP;
	ALTER TABLE jobtrack.job_status ENABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_message ENABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_signal ENABLE TRIGGER USER;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.release_shards(pg_catalog.bool) IS 'internal: drops the shards of the distributed tables, keeping their rows (or not) in the plain tables';

/*
 * Brings every shard back to the coordinator.  Writers are kept out
 * meanwhile, and the changes still on the workers are evaluated first.
 */
CREATE FUNCTION jobtrack.undistribute() RETURNS pg_catalog.void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF jobtrack_internal.node_role() OPERATOR(pg_catalog.<>) 'coordinator' THEN
		RAISE EXCEPTION 'jobtrack is not distributed from this node'
			USING ERRCODE = '55000', HINT = 'Call jobtrack.undistribute() on the coordinator of a cluster where jobtrack.distribute() ran.';
	END IF;
	-- function DDL and the table copies share one connection per node
	PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
	PERFORM jobtrack_internal.set_scope_language('sql');
	LOCK TABLE jobtrack.job_status IN EXCLUSIVE MODE;
	PERFORM jobtrack.check_groups();
	PERFORM jobtrack_internal.release_shards(true);
END
$$;
COMMENT ON FUNCTION jobtrack.undistribute() IS 'on a Citus coordinator: brings the shards of jobtrack.distribute() back into plain tables on the coordinator';


-- views for psql, made for \watch 1 in an 80-column terminal:
--   SELECT * FROM jobtrack.group_overview LIMIT 20 \watch 1
--   SELECT * FROM jobtrack.running_jobs LIMIT 20 \watch 1

CREATE FUNCTION jobtrack_internal.short_duration(seconds pg_catalog.int8) RETURNS pg_catalog.text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
	SELECT CASE WHEN $1 IS NULL THEN ''
		WHEN $1 OPERATOR(pg_catalog.<) 60 THEN $1::pg_catalog.text OPERATOR(pg_catalog.||) 's'
		WHEN $1 OPERATOR(pg_catalog.<) 3600
			THEN ($1 OPERATOR(pg_catalog./) 60)::pg_catalog.text OPERATOR(pg_catalog.||) 'm'
		WHEN $1 OPERATOR(pg_catalog.<) 86400
			THEN ($1 OPERATOR(pg_catalog./) 3600)::pg_catalog.text OPERATOR(pg_catalog.||) 'h'
				 OPERATOR(pg_catalog.||) ($1 OPERATOR(pg_catalog.%) 3600 OPERATOR(pg_catalog./) 60)::pg_catalog.text
				 OPERATOR(pg_catalog.||) 'm'
		WHEN $1 OPERATOR(pg_catalog.<) 8640000
			THEN ($1 OPERATOR(pg_catalog./) 86400)::pg_catalog.text OPERATOR(pg_catalog.||) 'd'
				 OPERATOR(pg_catalog.||) ($1 OPERATOR(pg_catalog.%) 86400 OPERATOR(pg_catalog./) 3600)::pg_catalog.text
				 OPERATOR(pg_catalog.||) 'h'
		ELSE '>99d' END
	$$;
COMMENT ON FUNCTION jobtrack_internal.short_duration(pg_catalog.int8) IS 'internal: a number of seconds as 42s, 7m, 3h12m or 2d5h, for the psql views';

CREATE FUNCTION jobtrack_internal.text_bar(percent pg_catalog.int4) RETURNS pg_catalog.text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
	SELECT pg_catalog.repeat('#', $1 OPERATOR(pg_catalog./) 10)
		   OPERATOR(pg_catalog.||) pg_catalog.repeat('.', 10 OPERATOR(pg_catalog.-) ($1 OPERATOR(pg_catalog./) 10))
		   OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) pg_catalog.lpad($1::pg_catalog.text, 3)
		   OPERATOR(pg_catalog.||) '%'
	$$;
COMMENT ON FUNCTION jobtrack_internal.text_bar(pg_catalog.int4) IS 'internal: a percentage (0 to 100) as a 10-character bar and a number, for the psql views';

/*
 * One line per open group, from the evaluator's counts (group_count), never
 * from every job: the cost is the number of open groups.  The ETA divides
 * the unfinished jobs by the finish rate of the current run (group_count
 * keeps no history).
 */
CREATE VIEW jobtrack.group_overview AS
SELECT x.id,
	   CASE WHEN pg_catalog.length(x.t) OPERATOR(pg_catalog.>) 20
			THEN pg_catalog.left(x.t, 19) OPERATOR(pg_catalog.||) '…' ELSE x.t END AS title,
	   x.run,
	   x.finished::pg_catalog.text OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) x.total::pg_catalog.text AS done,
	   x.failed AS fail,
	   jobtrack_internal.text_bar(CASE WHEN x.total OPERATOR(pg_catalog.=) 0 THEN 0
			ELSE (100 OPERATOR(pg_catalog.*) x.finished OPERATOR(pg_catalog./) x.total)::pg_catalog.int4 END) AS progress,
	   jobtrack_internal.short_duration(x.age_s::pg_catalog.int8) AS age,
	   jobtrack_internal.short_duration(CASE
			WHEN x.started_at IS NULL OR x.finished OPERATOR(pg_catalog.=) 0
				 OR x.finished OPERATOR(pg_catalog.>=) x.total THEN NULL
			ELSE (x.age_s OPERATOR(pg_catalog.*) (x.total OPERATOR(pg_catalog.-) x.finished)
				  OPERATOR(pg_catalog./) x.finished)::pg_catalog.int8 END) AS eta
  FROM (SELECT g.id, g.run, g.started_at,
			   pg_catalog.translate(pg_catalog.left(g.title, 21), E'\n\r\t', '   ') AS t,
			   COALESCE(c.queued OPERATOR(pg_catalog.+) c.delayed OPERATOR(pg_catalog.+) c.started
						OPERATOR(pg_catalog.+) c.paused OPERATOR(pg_catalog.+) c.stuck
						OPERATOR(pg_catalog.+) c.succeeded OPERATOR(pg_catalog.+) c.failed
						OPERATOR(pg_catalog.+) c.cancelled, 0) AS total,
			   COALESCE(c.succeeded OPERATOR(pg_catalog.+) c.failed OPERATOR(pg_catalog.+) c.cancelled, 0) AS finished,
			   COALESCE(c.failed, 0) AS failed,
			   pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) COALESCE(g.started_at, g.created_at)) AS age_s
		  FROM jobtrack.job_group g
		  LEFT JOIN jobtrack.group_count c ON c.group_id OPERATOR(pg_catalog.=) g.id
		 WHERE g.status OPERATOR(pg_catalog.<>) 'completed'::jobtrack.group_status) x
 ORDER BY x.id;
COMMENT ON VIEW jobtrack.group_overview IS 'one line per open group, for \watch: done/total, failed, a progress bar, age and an ETA from the run''s finish rate; reads group_count, never job_status';

/*
 * One line per started or stuck job.  flag says stuck for a job marked
 * stuck, and late for a started job whose heartbeat (or start) is older
 * than jobtrack.stuck_after, when that is set: about to be marked stuck.
 * It reads job_status with the caller's rights, so row-level security on it
 * shows each role its own jobs here too.
 */
CREATE VIEW jobtrack.running_jobs WITH (security_invoker = true) AS
SELECT j.id,
	   CASE WHEN pg_catalog.length(j.job_type) OPERATOR(pg_catalog.>) 16
			THEN pg_catalog.left(pg_catalog.regexp_replace(j.job_type, '[[:cntrl:]]', ' ', 'g'), 15) OPERATOR(pg_catalog.||) '…'
			ELSE pg_catalog.regexp_replace(j.job_type, '[[:cntrl:]]', ' ', 'g') END AS type,
	   CASE WHEN pg_catalog.length(j.alias) OPERATOR(pg_catalog.>) 12
			THEN pg_catalog.left(pg_catalog.regexp_replace(j.alias, '[[:cntrl:]]', ' ', 'g'), 11) OPERATOR(pg_catalog.||) '…'
			ELSE COALESCE(pg_catalog.regexp_replace(j.alias, '[[:cntrl:]]', ' ', 'g'), '') END AS alias,
	   j.group_id AS "group",
	   jobtrack_internal.text_bar(pg_catalog.floor(LEAST(GREATEST(jobtrack_internal.live_percentage(j.id, j.status, j.percentage), 0), 100))::pg_catalog.int4) AS progress,
	   jobtrack_internal.short_duration(pg_catalog.floor(pg_catalog.date_part('epoch',
			pg_catalog.now() OPERATOR(pg_catalog.-) COALESCE(jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at), j.started_at)))::pg_catalog.int8) AS beat,
	   CASE WHEN j.status OPERATOR(pg_catalog.=) 'stuck'::jobtrack.status THEN 'stuck'
			WHEN s.after OPERATOR(pg_catalog.>) '0'::pg_catalog.interval
				 AND pg_catalog.now() OPERATOR(pg_catalog.-) COALESCE(jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at), j.started_at)
					 OPERATOR(pg_catalog.>) s.after THEN 'late'
			ELSE '' END AS flag
  FROM jobtrack.job_status j
 CROSS JOIN (SELECT COALESCE(NULLIF(pg_catalog.current_setting('jobtrack.stuck_after', true), ''), '0')::pg_catalog.interval
				 AS after) s
 WHERE j.status OPERATOR(pg_catalog.=) ANY ('{started,stuck}'::jobtrack.status[])
 ORDER BY j.id;
COMMENT ON VIEW jobtrack.running_jobs IS 'one line per started or stuck job, for \watch: type, alias, group, a progress bar, the heartbeat''s age and a stuck/late flag';

-- privileges

-- user data survives pg_dump, and so do changes not evaluated yet; external ids
-- and group_count are rebuilt from the restored jobs by the triggers
SELECT pg_catalog.pg_extension_config_dump('jobtrack.job_status', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.job_status_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.job_group', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.job_group_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.job_message', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.job_message_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.job_signal', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.job_signal_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.group_event', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.group_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.group_change', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.event_horizon', '');

/*
 * Optional row-level security: these policies limit a role to the jobs it
 * owns, and take effect only once the switch in README.md "Row-level
 * security" enables RLS on the three tables.  The evaluator runs as the
 * extension's owner, so it always counts every job of a group.
 */
CREATE POLICY job_status_owner ON jobtrack.job_status
	USING (owner OPERATOR(pg_catalog.=) CURRENT_USER)
	WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
-- messages and signals carry their job's owner: a policy without a subquery
-- is one a sharded table can have
CREATE POLICY job_message_owner ON jobtrack.job_message
	USING (owner OPERATOR(pg_catalog.=) CURRENT_USER);
CREATE POLICY job_signal_owner ON jobtrack.job_signal
	USING (owner OPERATOR(pg_catalog.=) CURRENT_USER);

-- PUBLIC gets nothing; the README shows the grants for writer, reader and admin roles
REVOKE ALL ON SCHEMA jobtrack FROM PUBLIC;
REVOKE ALL ON SCHEMA jobtrack_internal FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA jobtrack FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA jobtrack_internal FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA jobtrack FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA jobtrack FROM PUBLIC;
