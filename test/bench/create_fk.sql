-- The same creation phase on a plain table with a declared foreign key to
-- its group row (the design jobtrack avoids), for scale.
INSERT INTO bench_base.fk_job (group_id) VALUES (1);
