-- Creation phase of the hot group (RELIABILITY.md item 25): every client
-- creates jobs in group :gbase.
SELECT jobtrack.create_job('Bench', group_id => :gbase::bigint);
