-- A status change that only jobtrack's own triggers would see is written
-- without running an UPDATE statement, and so without the row lock that
-- PostgreSQL takes before any BEFORE UPDATE trigger: no lock record goes
-- into the WAL.  create_job's new row is written without its INSERT
-- statement in the same cases.  Whenever something else would see the
-- statement (a trigger or a rule of the user's, a guard that is switched
-- off, a read-only transaction), the statement runs, with everything it
-- does.  Row-level security and privileges are in row_security and
-- 06_privileges.
CREATE EXTENSION pg_walinspect;
CREATE SCHEMA direct;
-- lock records on job_status in this database since an LSN
CREATE FUNCTION direct.row_locks(since pg_lsn) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM pg_get_wal_records_info(since, pg_current_wal_flush_lsn())
	 WHERE resource_manager = 'Heap' AND record_type = 'LOCK'
	   AND block_ref LIKE '%rel %/' || (SELECT oid FROM pg_database WHERE datname = current_database())
						  || '/' || pg_relation_filenode('jobtrack.job_status') || ' %'
$$;
-- a call's result, or its SQLSTATE and message with job ids masked
CREATE FUNCTION direct.try(command text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	result text;
	state text;
	message text;
BEGIN
	EXECUTE command INTO result;
	RETURN result;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
	RETURN state || ': ' || regexp_replace(message, 'job -?\d+', 'job N', 'g');
END
$$;
CREATE TABLE direct.mark (at pg_lsn);
-- a user's trigger function
CREATE FUNCTION direct.say() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE '% % % trigger ran', TG_WHEN, TG_LEVEL, TG_OP;
	RETURN NEW;
END
$$;
CREATE FUNCTION direct.mark() RETURNS void LANGUAGE sql AS $$
	DELETE FROM direct.mark; INSERT INTO direct.mark VALUES (pg_current_wal_insert_lsn())
$$;
CREATE FUNCTION direct.locks() RETURNS bigint LANGUAGE sql AS $$
	SELECT direct.row_locks(at) FROM direct.mark
$$;
SELECT jobtrack.create_job('Direct', group_id => jobtrack.create_group('direct')) AS j \gset

-- the direct write: the row as the guard stamps it, the change recorded, no lock
SELECT direct.mark();
SELECT jobtrack.start_job(:j);
SELECT direct.locks() AS lock_records;
SELECT status, started_at IS NOT NULL AS started, heartbeat_at IS NULL AS no_heartbeat,
	   updated_at = started_at AS stamped_together
  FROM jobtrack.job_status WHERE id = :j;
SELECT direct.mark();
SELECT jobtrack.fail_job(:j, 'disk full');
SELECT direct.locks() AS lock_records;
SELECT status, failed_reason, finished_at IS NOT NULL AS finished FROM jobtrack.job_status WHERE id = :j;
SELECT old_status, new_status FROM jobtrack.group_change WHERE job_id = :j ORDER BY created_at, new_status;
-- the guard still refuses, and nothing changes; a refused change is left to the
-- statement, which judges the row as it is by then (its lock record shows, once the
-- next change commits)
SELECT direct.mark();
SELECT direct.try(format('SELECT jobtrack.succeed_job(%s)', :j));
SELECT jobtrack.retry_job(:j);
SELECT direct.locks() AS lock_records;
SELECT status, attempts, failed_reason IS NULL AS reason_cleared FROM jobtrack.job_status WHERE id = :j;
-- the same status again is a no-op, and a missing job an error
SELECT jobtrack.retry_job(:j);
SELECT direct.try('SELECT jobtrack.start_job(-1)');
-- an earlier change of the same transaction, even of the same statement, is
-- seen, and written directly too
BEGIN;
SELECT jobtrack.create_job('Direct') AS k \gset
SELECT direct.mark();
SELECT jobtrack.start_job(:k), jobtrack.succeed_job(:k);
SELECT status, percentage FROM jobtrack.job_status WHERE id = :k;
COMMIT;
SELECT direct.locks() AS lock_records;
-- so is a change SQL made earlier in the same statement: the one lock record is
-- the plain UPDATE's, and succeed_job writes directly
SELECT jobtrack.create_job('Direct') AS m \gset
SELECT direct.mark();
WITH s AS (UPDATE jobtrack.job_status SET status = 'started' WHERE id = :m RETURNING id)
SELECT jobtrack.succeed_job(id) FROM s;
SELECT direct.locks() AS lock_records;
SELECT status FROM jobtrack.job_status WHERE id = :m;

-- create_job writes the new row directly too.  The statement would call the
-- two trigger functions, which track_functions counts in the session's
-- statistics (not sent on before the transaction ends); the direct insert
-- calls neither, and leaves the same row: the values given, the defaults,
-- the guard's stamps and the change recorded.
SET track_functions = 'all';
CREATE FUNCTION direct.all_trigger_calls() RETURNS bigint LANGUAGE sql AS $$
	SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_xact_user_functions
	 WHERE schemaname = 'jobtrack_internal' AND funcname IN ('job_status_guard', 'job_status_record')
$$;
CREATE TABLE direct.calls (at bigint);
-- the calls since direct.calls_mark(), in one transaction
CREATE FUNCTION direct.calls_mark() RETURNS void LANGUAGE sql AS $$
	DELETE FROM direct.calls; INSERT INTO direct.calls SELECT direct.all_trigger_calls()
$$;
CREATE FUNCTION direct.trigger_calls() RETURNS bigint LANGUAGE sql AS $$
	SELECT direct.all_trigger_calls() - at FROM direct.calls
$$;
SELECT jobtrack.create_group('direct-insert') AS ig \gset
BEGIN;
SELECT direct.calls_mark();
SELECT jobtrack.create_job('DirectNew', alias => 'direct-new', tags => '{"new": "yes"}', group_id => :ig,
	data => '{"d": 1}', external_id => 'direct-ext', delay => '1 hour') AS n \gset
SELECT direct.trigger_calls() AS trigger_calls;
SELECT job_type, alias, tags, group_id = :ig AS in_group, data, external_id, status, percentage, attempts,
	   available_at = now() + interval '1 hour' AS available_later, created_at = now() AS created_now,
	   updated_at = now() AS updated_now, owner = current_user AS own, started_at IS NULL AS not_started
  FROM jobtrack.job_status WHERE id = :n;
SELECT job_id = :n AS mapped FROM jobtrack.job_external_id WHERE external_id = 'direct-ext';
SELECT old_status, new_status FROM jobtrack.group_change WHERE job_id = :n;
-- the same external id again is the same job, and no new row
SELECT jobtrack.create_job('DirectNew', external_id => 'direct-ext') = :n AS same_job;
SELECT jobtrack.create_job('DirectNew') > :n AS next_id, direct.trigger_calls() AS trigger_calls;
COMMIT;
SELECT status, available_at IS NULL AS available_now FROM jobtrack.job_status
 WHERE job_type = 'DirectNew' AND external_id IS NULL;
-- bad input changes nothing, as before
SELECT direct.try($$SELECT jobtrack.create_job('DirectNew', tags => '[1]')$$);
SELECT direct.try($$SELECT jobtrack.create_job(repeat('x', 1001))$$);
SELECT direct.try($$SELECT jobtrack.create_job('DirectNew', group_id => -1)$$);
SELECT count(*) AS new_jobs FROM jobtrack.job_status WHERE job_type = 'DirectNew';
-- a default the table's owner changes, or a column added with one, is what the
-- next job gets; so is an identity column's next value, and the value of a
-- default's function as it is defined now
ALTER TABLE jobtrack.job_status ALTER COLUMN attempts SET DEFAULT 7;
SELECT jobtrack.create_job('DirectDefault') AS d \gset
SELECT attempts FROM jobtrack.job_status WHERE id = :d;
CREATE FUNCTION direct.note() RETURNS text LANGUAGE sql AS $$ SELECT 'noted' $$;
ALTER TABLE jobtrack.job_status ADD COLUMN direct_note text DEFAULT direct.note(),
	ADD COLUMN direct_seq int GENERATED BY DEFAULT AS IDENTITY (START WITH 100);
SELECT jobtrack.create_job('DirectDefault') AS d \gset
SELECT attempts, direct_note, direct_seq >= 100 AS numbered FROM jobtrack.job_status WHERE id = :d;
CREATE OR REPLACE FUNCTION direct.note() RETURNS text LANGUAGE sql AS $$ SELECT 'noted again' $$;
SELECT jobtrack.create_job('DirectDefault') AS d \gset
SELECT direct_note FROM jobtrack.job_status WHERE id = :d;
ALTER TABLE jobtrack.job_status ALTER COLUMN attempts SET DEFAULT 1;
ALTER TABLE jobtrack.job_status DROP COLUMN direct_note, DROP COLUMN direct_seq;
-- a column of a domain type left to NULL: the statement checks the domain
CREATE DOMAIN direct.required AS int NOT NULL;
ALTER TABLE jobtrack.job_status ADD COLUMN direct_required direct.required DEFAULT 1;
ALTER TABLE jobtrack.job_status ALTER COLUMN direct_required DROP DEFAULT;
SELECT direct.try($$SELECT jobtrack.create_job('DirectDomain')$$);
ALTER TABLE jobtrack.job_status DROP COLUMN direct_required;
-- a column create_job fills, of another type: the statement converts the value
ALTER TABLE jobtrack.job_status ALTER COLUMN data TYPE json;
SELECT jobtrack.create_job('DirectJson', data => '{"b": 2,   "a": 1}') AS dj \gset
SELECT data::text FROM jobtrack.job_status WHERE id = :dj;
ALTER TABLE jobtrack.job_status ALTER COLUMN data TYPE jsonb;
-- an id column that refuses values: the statement raises
ALTER TABLE jobtrack.job_status ALTER COLUMN id DROP DEFAULT,
	ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
SELECT direct.try($$SELECT jobtrack.create_job('DirectAlways')$$);
ALTER TABLE jobtrack.job_status ALTER COLUMN id DROP IDENTITY,
	ALTER COLUMN id SET DEFAULT pg_catalog.nextval('jobtrack.job_status_id_seq'::pg_catalog.regclass);
-- NOT NULL and CHECK constraints of the user's, and a unique index
ALTER TABLE jobtrack.job_status ADD COLUMN direct_owner text;
UPDATE jobtrack.job_status SET direct_owner = 'someone';
ALTER TABLE jobtrack.job_status ALTER COLUMN direct_owner SET NOT NULL;
SELECT direct.try($$SELECT jobtrack.create_job('DirectNotNull')$$);
ALTER TABLE jobtrack.job_status DROP COLUMN direct_owner;
ALTER TABLE jobtrack.job_status ADD CONSTRAINT direct_type
	CHECK (job_type <> 'DirectForbidden' AND tableoid = 'jobtrack.job_status'::regclass);
SELECT direct.try($$SELECT jobtrack.create_job('DirectForbidden')$$);
SELECT jobtrack.create_job('DirectAllowed') IS NOT NULL AS created;
ALTER TABLE jobtrack.job_status DROP CONSTRAINT direct_type;
CREATE UNIQUE INDEX direct_unique_alias ON jobtrack.job_status (alias) WHERE job_type = 'DirectUnique';
SELECT jobtrack.create_job('DirectUnique', alias => 'only-one') IS NOT NULL AS created;
SELECT direct.try($$SELECT jobtrack.create_job('DirectUnique', alias => 'only-one')$$);
-- the index's predicate leaves other jobs out, at every write (each session
-- keeps the indexes' descriptions, predicates compiled, between writes), and
-- an index on an expression gets the expression's value
SELECT jobtrack.create_job('DirectOther', alias => 'only-one') IS NOT NULL AS created;
SELECT jobtrack.create_job('DirectOther', alias => 'only-one') IS NOT NULL AS created;
CREATE UNIQUE INDEX direct_unique_lower ON jobtrack.job_status (lower(alias)) WHERE job_type = 'DirectLower';
SELECT jobtrack.create_job('DirectLower', alias => 'Mixed') IS NOT NULL AS created;
SELECT direct.try($$SELECT jobtrack.create_job('DirectLower', alias => 'MIXED')$$);
SELECT jobtrack.create_job('DirectLower', alias => 'other') IS NOT NULL AS created;
DROP INDEX jobtrack.direct_unique_alias, jobtrack.direct_unique_lower;
SELECT job_type, count(*) FROM jobtrack.job_status
 WHERE job_type IN ('DirectNotNull', 'DirectForbidden', 'DirectUnique', 'DirectDomain', 'DirectOther', 'DirectLower')
 GROUP BY job_type ORDER BY job_type;
-- whatever a statement would show: the user's triggers, a rule, a foreign key of
-- job_status's own column, a read-only transaction, the guard switched off,
-- session_replication_role = replica.  The statement runs.
CREATE TRIGGER direct_before_insert BEFORE INSERT ON jobtrack.job_status
	FOR EACH ROW EXECUTE FUNCTION direct.say();
SELECT jobtrack.create_job('DirectSeen') IS NOT NULL AS created;
DROP TRIGGER direct_before_insert ON jobtrack.job_status;
CREATE TRIGGER direct_after_insert AFTER INSERT ON jobtrack.job_status
	FOR EACH STATEMENT EXECUTE FUNCTION direct.say();
SELECT jobtrack.create_job('DirectSeen') IS NOT NULL AS created;
DROP TRIGGER direct_after_insert ON jobtrack.job_status;
CREATE TABLE direct.born (job_type text);
CREATE RULE direct_born AS ON INSERT TO jobtrack.job_status
	DO ALSO INSERT INTO direct.born VALUES (NEW.job_type);
SELECT jobtrack.create_job('DirectRule') IS NOT NULL AS created;
SELECT job_type FROM direct.born;
DROP RULE direct_born ON jobtrack.job_status;
CREATE TABLE direct.known_type (job_type text PRIMARY KEY);
ALTER TABLE jobtrack.job_status ADD CONSTRAINT direct_type_fk FOREIGN KEY (job_type) REFERENCES direct.known_type NOT VALID;
SELECT direct.try($$SELECT jobtrack.create_job('DirectUnknown')$$);
ALTER TABLE jobtrack.job_status DROP CONSTRAINT direct_type_fk;
BEGIN READ ONLY;
SELECT direct.try($$SELECT jobtrack.create_job('DirectReadOnly')$$);
ROLLBACK;
ALTER TABLE jobtrack.job_status DISABLE TRIGGER job_status_guard;
BEGIN;
SELECT direct.calls_mark();
SELECT jobtrack.create_job('DirectUnguarded') IS NOT NULL AS created, direct.trigger_calls() AS trigger_calls;
COMMIT;
ALTER TABLE jobtrack.job_status ENABLE TRIGGER job_status_guard;
SET session_replication_role = replica;
SELECT jobtrack.create_job('DirectReplica', group_id => :ig) AS rj \gset
RESET session_replication_role;
SELECT count(*) AS recorded FROM jobtrack.group_change WHERE job_id = :rj;
-- a table stored by another access method: the statement runs (this one only
-- wraps heap's handler under another name, so both paths could write it)
CREATE ACCESS METHOD direct_heap TYPE TABLE HANDLER heap_tableam_handler;
ALTER TABLE jobtrack.job_status SET ACCESS METHOD direct_heap;
BEGIN;
SELECT direct.calls_mark();
SELECT jobtrack.create_job('DirectOtherAm') AS am \gset
SELECT jobtrack.start_job(:am);
SELECT direct.trigger_calls() AS trigger_calls;
COMMIT;
ALTER TABLE jobtrack.job_status SET ACCESS METHOD heap;
DROP ACCESS METHOD direct_heap;
RESET track_functions;

-- progress and heartbeats that go to the row (live progress is off here) are
-- written directly too, checked by the guard
SET jobtrack.live_progress = off;
SELECT jobtrack.create_job('Direct', group_id => jobtrack.create_group('direct-progress')) AS p \gset
SELECT jobtrack.start_job(:p);
SELECT direct.mark();
SELECT jobtrack.set_progress(:p, 40);
SELECT percentage FROM jobtrack.job_status WHERE id = :p;
SELECT jobtrack.set_progress(:p, 3, 4);
SELECT jobtrack.heartbeat(:p);
SELECT direct.locks() AS lock_records;
SELECT percentage, progress_current, progress_total, heartbeat_at IS NOT NULL AS beat
  FROM jobtrack.job_status WHERE id = :p;
SELECT direct.try(format('SELECT jobtrack.set_progress(%s, 101)', :p));
SELECT direct.try(format('SELECT jobtrack.set_progress(%s, 5, 4)', :p));
SELECT direct.try('SELECT jobtrack.heartbeat(-1)');
SELECT percentage, progress_current, progress_total FROM jobtrack.job_status WHERE id = :p;
-- a heartbeat starts a stuck job again, and the change is recorded
SELECT jobtrack.set_status(:p, 'stuck');
SELECT jobtrack.heartbeat(:p);
SELECT status FROM jobtrack.job_status WHERE id = :p;
SELECT old_status, new_status FROM jobtrack.group_change WHERE job_id = :p
 ORDER BY created_at, old_status NULLS FIRST;
RESET jobtrack.live_progress;

-- a user's trigger on job_status, of a row or of the statement: the statement runs
CREATE TRIGGER direct_before BEFORE UPDATE ON jobtrack.job_status
	FOR EACH ROW EXECUTE FUNCTION direct.say();
SELECT direct.mark();
SELECT jobtrack.start_job(:j);
SELECT direct.locks() AS lock_records;
DROP TRIGGER direct_before ON jobtrack.job_status;
CREATE TRIGGER direct_after AFTER UPDATE ON jobtrack.job_status
	FOR EACH STATEMENT EXECUTE FUNCTION direct.say();
SELECT jobtrack.pause_job(:j);
DROP TRIGGER direct_after ON jobtrack.job_status;
-- a rule
CREATE TABLE direct.seen (job_id bigint, status text);
CREATE RULE direct_seen AS ON UPDATE TO jobtrack.job_status
	DO ALSO INSERT INTO direct.seen VALUES (NEW.id, NEW.status::text);
SELECT jobtrack.start_job(:j);
SELECT job_id = :j AS same_job, status FROM direct.seen;
DROP RULE direct_seen ON jobtrack.job_status;
-- the guard switched off by the table's owner: the change is what the statement
-- makes of it, an allowed one without stamps and a forbidden one without refusal
ALTER TABLE jobtrack.job_status DISABLE TRIGGER job_status_guard;
SELECT jobtrack.create_job('Direct') AS u \gset
SELECT jobtrack.start_job(:u);
SELECT status, started_at IS NULL AS not_stamped FROM jobtrack.job_status WHERE id = :u;
SELECT jobtrack.retry_job(:u);
SELECT status, attempts FROM jobtrack.job_status WHERE id = :u;
ALTER TABLE jobtrack.job_status ENABLE TRIGGER job_status_guard;
-- under session_replication_role = replica no ordinary trigger fires, and the
-- statement runs as such: the guard does not stamp, and nothing is recorded
SELECT jobtrack.create_job('Direct', group_id => jobtrack.create_group('direct-replica')) AS q \gset
SET session_replication_role = replica;
SELECT jobtrack.start_job(:q);
RESET session_replication_role;
SELECT status, started_at IS NULL AS not_stamped FROM jobtrack.job_status WHERE id = :q;
SELECT old_status, new_status FROM jobtrack.group_change WHERE job_id = :q;
-- with both triggers as created again, the write is direct once more
SELECT direct.mark();
SELECT jobtrack.succeed_job(:j);
SELECT direct.locks() AS lock_records;

-- a read-only transaction refuses the change as the statement would
SELECT jobtrack.create_job('Direct') AS r \gset
BEGIN READ ONLY;
SELECT direct.try(format('SELECT jobtrack.start_job(%s)', :r));
ROLLBACK;
SELECT status FROM jobtrack.job_status WHERE id = :r;

-- a table published for updates without a replica identity refuses them, as the
-- executor refuses the statement
ALTER TABLE jobtrack.job_status REPLICA IDENTITY NOTHING;
SET client_min_messages = error;
CREATE PUBLICATION direct_pub FOR TABLE jobtrack.job_status;
RESET client_min_messages;
SELECT direct.try(format('SELECT jobtrack.start_job(%s)', :r));
DROP PUBLICATION direct_pub;
ALTER TABLE jobtrack.job_status REPLICA IDENTITY DEFAULT;
SELECT status FROM jobtrack.job_status WHERE id = :r;

-- a CHECK constraint of the user's is checked, as the executor checks it
ALTER TABLE jobtrack.job_status ADD CONSTRAINT direct_reason CHECK (failed_reason IS DISTINCT FROM 'forbidden');
SELECT jobtrack.create_job('Direct') AS c \gset
SELECT jobtrack.start_job(:c);
SELECT direct.try(format($$SELECT jobtrack.fail_job(%s, 'forbidden')$$, :c));
ALTER TABLE jobtrack.job_status DROP CONSTRAINT direct_reason;
-- a foreign key of job_status's own column: the statement runs and checks it
CREATE TABLE direct.reason (code text PRIMARY KEY);
ALTER TABLE jobtrack.job_status ADD CONSTRAINT direct_reason_fk FOREIGN KEY (failed_reason) REFERENCES direct.reason NOT VALID;
SELECT direct.try(format($$SELECT jobtrack.fail_job(%s, 'bogus')$$, :c));
ALTER TABLE jobtrack.job_status DROP CONSTRAINT direct_reason_fk;
-- a foreign key that references job ids needs no check when the id stays: direct
CREATE TABLE direct.job_ref (job_id bigint REFERENCES jobtrack.job_status (id));
INSERT INTO direct.job_ref VALUES (:c);
SELECT direct.mark();
SELECT jobtrack.fail_job(:c, 'referenced');
SELECT direct.locks() AS lock_records;
DROP TABLE direct.job_ref;
-- a stored generated column is computed again: the statement runs
ALTER TABLE jobtrack.job_status ADD COLUMN direct_done boolean
	GENERATED ALWAYS AS (status OPERATOR(pg_catalog.=) 'succeeded'::jobtrack.status) STORED;
SELECT jobtrack.retry_job(:c);
SELECT jobtrack.start_job(:c), jobtrack.succeed_job(:c);
SELECT status, direct_done FROM jobtrack.job_status WHERE id = :c;
ALTER TABLE jobtrack.job_status DROP COLUMN direct_done;
-- a job with an alias and tags: its entries in the partial and the GIN index
SELECT jobtrack.create_job('Direct', alias => 'direct-alias', tags => '{"direct": "yes"}') AS t \gset
SELECT jobtrack.start_job(:t), jobtrack.succeed_job(:t);
SET enable_seqscan = off;
SET enable_bitmapscan = on;
SELECT id = :t AS found, status FROM jobtrack.where_tag('direct', '=', 'yes');
SELECT id = :t AS found, status FROM jobtrack.job_status
 WHERE alias = 'direct-alias' AND status = 'succeeded';
RESET enable_seqscan;
RESET enable_bitmapscan;

-- every row written directly has its entries in every B-tree index of job_status
CREATE EXTENSION amcheck;
SELECT c.relname, bt_index_check(c.oid, heapallindexed => true)::text = '' AS checked
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'jobtrack.job_status'::regclass AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')
 ORDER BY c.relname;

-- an index whose expression reads the whole row: every row has its entry, as
-- the statement would write it (each write compiles the indexes' expressions
-- anew, so what a compiled expression learns at its first row stays with it)
CREATE FUNCTION direct.kind(j jobtrack.job_status) RETURNS text LANGUAGE sql IMMUTABLE
	AS $$ SELECT j.job_type || ':' || coalesce(j.failed_reason, '-') $$;
CREATE INDEX direct_kind ON jobtrack.job_status (direct.kind(job_status))
	WHERE job_type LIKE 'DirectKind%';
SELECT jobtrack.create_job('DirectKindA') AS ka \gset
SELECT jobtrack.create_job('DirectKindB') AS kb \gset
SELECT jobtrack.start_job(:ka), jobtrack.start_job(:kb);
SELECT jobtrack.fail_job(:ka, 'broke'), jobtrack.succeed_job(:kb);
SELECT bt_index_check('jobtrack.direct_kind', heapallindexed => true)::text = '' AS checked;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT direct.kind(j) FROM jobtrack.job_status j
 WHERE direct.kind(j) IN ('DirectKindA:broke', 'DirectKindB:-') AND job_type LIKE 'DirectKind%'
 ORDER BY 1;
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP INDEX jobtrack.direct_kind;

-- an index on a cast to a domain with a constraint: a constraint added to
-- the domain later is checked at the next write, as the statement checks it
CREATE DOMAIN direct.short_type AS text CHECK (length(VALUE) < 100);
CREATE INDEX direct_short ON jobtrack.job_status ((job_type::direct.short_type))
	WHERE job_type LIKE 'DirectShort%';
SELECT jobtrack.create_job('DirectShort') IS NOT NULL AS created;
ALTER DOMAIN direct.short_type ADD CONSTRAINT short CHECK (length(VALUE) < 20);
SELECT direct.try($$SELECT jobtrack.create_job('DirectShortButTooLong')$$);
SELECT jobtrack.create_job('DirectShortAgain') IS NOT NULL AS created;
SELECT job_type FROM jobtrack.job_status WHERE job_type LIKE 'DirectShort%' ORDER BY job_type;
DROP INDEX jobtrack.direct_short;

-- a child table inherits job_status: an UPDATE reaches its rows too, so the
-- statement runs (last here: the parent keeps its mark of a child until ANALYZE)
CREATE TABLE direct.child () INHERITS (jobtrack.job_status);
INSERT INTO direct.child (id, job_type) VALUES (-7, 'Child');
SELECT jobtrack.start_job(-7);
SELECT status FROM ONLY direct.child;
DROP TABLE direct.child;

DROP SCHEMA direct CASCADE;
DROP EXTENSION amcheck;
DROP EXTENSION pg_walinspect;
