-- test/bench/baseline.sql
--
-- The baseline of the benchmark: a job table of jobtrack.job_status' shape,
-- with the same columns, types, indexes and fillfactor, and no extension
-- code at all (no trigger, no function, no worker).  The baseline pgbench
-- scripts change it with the statements a careful developer writes by hand.

CREATE SCHEMA bench_base;

CREATE TYPE bench_base.status AS ENUM
	('queued', 'delayed', 'started', 'paused', 'stuck', 'succeeded', 'failed', 'cancelled');

CREATE TABLE bench_base.job_status (
	id					bigserial NOT NULL,
	external_id			text,
	job_type			text NOT NULL,
	alias				text,
	group_id			bigint,
	tags				jsonb NOT NULL DEFAULT '{}'::jsonb,
	status				bench_base.status NOT NULL DEFAULT 'queued',
	percentage			numeric NOT NULL DEFAULT 0,
	progress_current	bigint,
	progress_total		bigint,
	attempts			integer NOT NULL DEFAULT 1,
	data				jsonb,
	failed_reason		text,
	created_at			timestamptz NOT NULL DEFAULT now(),
	available_at		timestamptz,
	started_at			timestamptz,
	finished_at			timestamptz,
	heartbeat_at		timestamptz,
	updated_at			timestamptz NOT NULL DEFAULT now(),
	owner				name NOT NULL DEFAULT CURRENT_USER,
	PRIMARY KEY (id)
) WITH (fillfactor = 85);

CREATE INDEX ON bench_base.job_status (job_type);
CREATE INDEX ON bench_base.job_status (alias) WHERE alias IS NOT NULL;
CREATE INDEX ON bench_base.job_status (status);
CREATE INDEX ON bench_base.job_status (group_id, status) WHERE group_id IS NOT NULL;
CREATE INDEX ON bench_base.job_status USING gin (tags jsonb_path_ops);

-- For the hot-group MultiXact comparison only: the design jobtrack avoids, a declared
-- foreign key from each job to its group, whose FOR KEY SHARE lock on a hot
-- group row turns into MultiXacts when writers overlap.
CREATE TABLE bench_base.fk_group (id bigint PRIMARY KEY);
CREATE TABLE bench_base.fk_job (
	id			bigserial PRIMARY KEY,
	group_id	bigint NOT NULL REFERENCES bench_base.fk_group (id),
	status		bench_base.status NOT NULL DEFAULT 'queued'
);
INSERT INTO bench_base.fk_group VALUES (1);
