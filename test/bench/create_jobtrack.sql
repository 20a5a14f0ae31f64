-- Creation phase of the hot group: every client
-- creates jobs in group :gbase.
SELECT jobtrack.create_job('Bench', group_id => :gbase::bigint);
