-- A status change that only jobtrack's own triggers would see is written
-- without running an UPDATE statement, and so without the row lock that
-- PostgreSQL takes before any BEFORE UPDATE trigger: no lock record goes
-- into the WAL.  Whenever something else would see the statement (a
-- trigger or a rule of the user's, a guard that is switched off, a
-- read-only transaction), the statement runs, with everything it does.
-- Row-level security and privileges are in row_security and 06_privileges.
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
CREATE FUNCTION direct.say() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE '% % trigger ran', TG_WHEN, TG_LEVEL;
	RETURN NEW;
END
$$;
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
