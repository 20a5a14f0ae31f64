-- test/bench/baseline.sql
--
-- The baselines of the benchmark, plain SQL with no extension code at all
-- (no trigger, no function, no worker), changed by the pgbench scripts with
-- the statements a developer writes by hand:
--
--   bench_base.job_plain   the job table a user writes by hand: the columns
--                          a job tracker needs, the indexes its look-ups
--                          need, default fillfactor (lifecycle_plain.sql).
--                          The baseline of workload 1's ratios.
--   bench_base.job_status  jobtrack.job_status' own shape: the same
--                          columns, types, indexes and fillfactor 85
--                          (lifecycle_shape.sql; run.sh checks the shape).
--                          Kept to tell the extension's code from the
--                          table's shape, and for workload 3's baseline.

CREATE SCHEMA bench_base;

CREATE TYPE bench_base.status AS ENUM
	('queued', 'delayed', 'started', 'paused', 'stuck', 'succeeded', 'failed', 'cancelled');

CREATE TABLE bench_base.job_plain (
	id					bigserial PRIMARY KEY,
	job_type			text NOT NULL,
	alias				text,
	group_id			bigint,
	tags				jsonb NOT NULL DEFAULT '{}',
	status				bench_base.status NOT NULL DEFAULT 'queued',
	percentage			numeric NOT NULL DEFAULT 0,
	progress_current	bigint,
	progress_total		bigint,
	created_at			timestamptz NOT NULL DEFAULT now(),
	started_at			timestamptz,
	finished_at			timestamptz,
	heartbeat_at		timestamptz,
	updated_at			timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ON bench_base.job_plain (job_type);
CREATE INDEX ON bench_base.job_plain (alias) WHERE alias IS NOT NULL;
CREATE INDEX ON bench_base.job_plain (status);
CREATE INDEX ON bench_base.job_plain (group_id, status) WHERE group_id IS NOT NULL;
CREATE INDEX ON bench_base.job_plain USING gin (tags jsonb_path_ops);

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
CREATE INDEX ON bench_base.job_status USING gin (tags jsonb_path_ops) WITH (fastupdate = off)
	WHERE tags <> '{}'::jsonb;

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
