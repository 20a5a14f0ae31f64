\echo Use "ALTER EXTENSION jobtrack UPDATE TO '1.2'" to load this file. \quit

/*
 * jobtrack 1.1 -> 1.2: groups that fail to evaluate are set aside, changes
 * not yet evaluated survive a dump, group events age out, and a job's
 * messages and signals go with it.
 */

ALTER TABLE jobtrack.group_change ADD COLUMN restored pg_catalog.bool NOT NULL DEFAULT false;
ALTER TABLE jobtrack.group_event SET (autovacuum_vacuum_scale_factor = 0.02);

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
 * group_events(after_id) can refuse to return a silent gap.
 */
CREATE TABLE jobtrack.event_horizon (
	one_row				pg_catalog.bool NOT NULL DEFAULT true CHECK (one_row),
	deleted_through		pg_catalog.int8 NOT NULL,
	PRIMARY KEY (one_row)
);
COMMENT ON TABLE jobtrack.event_horizon IS 'internal: the highest group event id deleted by retention';

/*
 * The evaluator writes group_change rows straight into the heap, so this
 * trigger fires only for rows loaded by SQL: a restore.  Such a row says
 * what moved before the dump; the evaluator takes its flags, not its counts.
 */
CREATE FUNCTION jobtrack.group_change_restored() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	NEW.restored := true;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION jobtrack.group_change_restored() IS 'internal: marks group changes loaded by a restore';
CREATE TRIGGER group_change_restored
	BEFORE INSERT ON jobtrack.group_change
	FOR EACH ROW EXECUTE FUNCTION jobtrack.group_change_restored();

/* a job's messages and signals go with it, whoever deletes it */
CREATE FUNCTION jobtrack.job_status_deleted() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	DELETE FROM jobtrack.job_message m USING gone g WHERE m.job_id OPERATOR(pg_catalog.=) g.id;
	DELETE FROM jobtrack.job_signal s USING gone g WHERE s.job_id OPERATOR(pg_catalog.=) g.id;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION jobtrack.job_status_deleted() IS 'internal: deletes the messages and signals of deleted jobs, as the extension owner';
CREATE TRIGGER job_status_deleted
	AFTER DELETE ON jobtrack.job_status REFERENCING OLD TABLE AS gone
	FOR EACH STATEMENT EXECUTE FUNCTION jobtrack.job_status_deleted();

CREATE FUNCTION jobtrack.check_event_horizon(after_id pg_catalog.int8) RETURNS pg_catalog.bool
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
COMMENT ON FUNCTION jobtrack.check_event_horizon(pg_catalog.int8) IS 'internal: raises JT001 when events after after_id (above 0) were deleted by retention';

CREATE OR REPLACE FUNCTION jobtrack.group_events(after_id pg_catalog.int8 DEFAULT 0) RETURNS SETOF jobtrack.group_event
	LANGUAGE sql STABLE
	AS $$
	SELECT e.* FROM jobtrack.group_event e
	 WHERE jobtrack.check_event_horizon($1)
	   AND e.id OPERATOR(pg_catalog.>) COALESCE($1, 0)
	 ORDER BY e.id
	$$;
COMMENT ON FUNCTION jobtrack.group_events(pg_catalog.int8) IS 'group events after an event id, in the order they were raised; every kept event from 0 (no position yet); JT001 if retention deleted events after a later after_id';

CREATE OR REPLACE VIEW jobtrack.stats AS
	SELECT s.*, f.groups_set_aside, f.set_aside_group_ids
	  FROM jobtrack.worker_stats() s,
	       LATERAL (SELECT pg_catalog.count(*) AS groups_set_aside,
	                       pg_catalog.array_agg(g.group_id ORDER BY g.group_id) AS set_aside_group_ids
	                  FROM jobtrack.group_failure g) f;
COMMENT ON VIEW jobtrack.stats IS 'the worker''s own figures: checks run, wake-ups, events raised, the change-to-event latency of recent events, and the groups set aside';

COMMENT ON FUNCTION jobtrack.job_status_truncated() IS 'clears external ids, group counts, messages and signals when job_status is truncated';

SELECT pg_catalog.pg_extension_config_dump('jobtrack.group_change', '');
SELECT pg_catalog.pg_extension_config_dump('jobtrack.event_horizon', '');

REVOKE ALL ON jobtrack.group_failure, jobtrack.event_horizon FROM PUBLIC;
REVOKE ALL ON FUNCTION jobtrack.group_change_restored(), jobtrack.job_status_deleted(),
	jobtrack.check_event_horizon(pg_catalog.int8) FROM PUBLIC;
