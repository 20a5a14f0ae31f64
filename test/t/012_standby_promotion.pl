
# Copyright (c) 2026, jobtrack authors

# Standby and promotion.
#
# A streaming standby, with jobtrack preloaded like its primary, runs no
# jobtrack worker, can read group_events() and says in jobtrack.stats that
# it is a standby.  The primary's worker is then made to sleep (no instant
# events, a check_interval of an hour, groups due only after an hour), jobs
# finish without being evaluated, the standby replays it all and the
# primary stops (immediate).  After promotion the worker starts on the new
# primary and raises exactly the pending events, once each, and none of
# the events the standby had already replicated.  A second database,
# other, has the extension too: it has no worker on the standby either, and
# after promotion its own worker raises its own pending events.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
# test/perl, also when prove is not given -I ./test/perl
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $primary = JobtrackTest::new_node('primary', allows_streaming => 1);
ok(defined JobtrackTest::wait_for_worker($primary), 'the primary runs the worker');
$primary->safe_psql('postgres', 'CREATE DATABASE other');
$primary->safe_psql('other', 'CREATE EXTENSION jobtrack');
ok(defined JobtrackTest::wait_for_worker($primary, db => 'other'),
	'the primary runs a worker in database other too');
my $other_group = JobtrackTest::finished_group($primary, 'other before', 'other');
ok(JobtrackTest::wait_settled($primary, db => 'other'), 'the primary evaluated other');

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
my $standby_log_start = JobtrackTest::log_size($standby);

# Groups are due for a scheduled check only after an hour, so from now on
# only a change wakes the worker.  Each job step is its own transaction.
sub run_sql
{
	my ($sql) = @_;
	return $primary->safe_psql('postgres', $sql);
}

sub group_job
{
	my ($title) = @_;
	return run_sql(
		"SELECT jobtrack.create_job('standby', group_id => jobtrack.group_id('$title'))");
}

run_sql(
	"SELECT jobtrack.create_group(t, NULL, '1 hour') FROM unnest(ARRAY['done', 'running', 'reopened', 'late', 'fast']) t"
);
my %job;
$job{$_} = group_job($_ =~ s/\d$//r) foreach qw(done1 done2 running1 running2 reopened1);
run_sql("SELECT jobtrack.start_job($job{$_})") foreach qw(done1 done2 running1 reopened1);
run_sql("SELECT jobtrack.succeed_job($job{$_})") foreach qw(done1 done2 reopened1);
ok(JobtrackTest::wait_settled($primary), 'the primary evaluated the first changes');
# a job added to the completed group reopens it: run 2, pending
$job{reopened2} = group_job('reopened');
ok(JobtrackTest::wait_settled($primary), 'the primary reopened a group');

my $group_states = q{SELECT string_agg(title || ':' || status || ':' || run, ',' ORDER BY id) FROM jobtrack.job_group};
is( run_sql($group_states),
	'done:completed:1,running:running:1,reopened:pending:2,late:pending:1,fast:pending:1',
	'groups completed, running, reopened and pending on the primary');

my $event_list = q{SELECT string_agg(id || ':' || group_id || ':' || run || ':' || event, ',' ORDER BY id) FROM jobtrack.group_events()};
my $events_md5 = q{SET TimeZone = 'UTC'; SELECT md5(string_agg(e::text, E'\n' ORDER BY id)) FROM jobtrack.group_event e};
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', $event_list),
	run_sql($event_list), 'the standby reads the same group_events()');

# the standby had time to start workers: it must not have
is( $standby->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('jobtrack worker', 'jobtrack launcher')"
	),
	'0',
	'no jobtrack worker or launcher on the standby');
like(
	$standby->safe_psql('postgres', 'SELECT worker_state FROM jobtrack.stats'),
	qr/^standby/, 'jobtrack.stats says standby');

# put the primary's worker to sleep, and wait until it has been quiet for
# four check intervals, so it runs with the new settings
run_sql(
	"ALTER SYSTEM SET jobtrack.instant_events = off; ALTER SYSTEM SET jobtrack.check_interval = '1h'"
);
run_sql('SELECT pg_reload_conf()');
ok( JobtrackTest::poll_until(
		30,
		sub {
			JobtrackTest::query($primary,
				"SELECT now() - last_check_at > interval '2 s' FROM jobtrack.stats"
			) eq 't';
		}),
	'the primary worker sleeps');
my $checks_before = run_sql('SELECT checks FROM jobtrack.stats');
my $events_before = run_sql($event_list);

# changes the sleeping worker does not evaluate
run_sql("SELECT jobtrack.start_job($job{running2})");
run_sql("SELECT jobtrack.succeed_job($job{$_})") foreach qw(running1 running2);
run_sql("SELECT jobtrack.start_job($job{reopened2})");
run_sql("SELECT jobtrack.succeed_job($job{reopened2})");
$job{late1} = group_job('late');
$job{late2} = group_job('late');
run_sql("SELECT jobtrack.start_job($job{late1})");
$job{fast1} = group_job('fast');
run_sql("SELECT jobtrack.start_job($job{fast1})");
run_sql("SELECT jobtrack.succeed_job($job{fast1})");
# in other: a group due only in an hour, whose only job finishes
my $other_pending = $primary->safe_psql(
	'other', q{
SELECT jobtrack.create_group('other pending', NULL, '1 hour') AS g \gset
SELECT jobtrack.create_job('Import', group_id => :g) AS j \gset
SELECT jobtrack.start_job(:j) \g /dev/null
SELECT jobtrack.succeed_job(:j) \g /dev/null
SELECT :g});

is(run_sql('SELECT checks FROM jobtrack.stats'), $checks_before,
	'the primary worker did not evaluate the new changes');
is(run_sql($event_list), $events_before, 'no event raised for them yet');
cmp_ok(run_sql('SELECT count(*) FROM jobtrack.group_change'), '>', 0,
	'the changes wait in group_change');

$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
my $replicated = $standby->safe_psql('postgres', $event_list);
my $replicated_md5 = $standby->safe_psql('postgres', $events_md5);
my $replicated_max = $standby->safe_psql('postgres', 'SELECT max(id) FROM jobtrack.group_event');
is($replicated, $events_before, 'the standby replayed every event');
my $other_events = q{SELECT string_agg(g.title || ':' || e.event, ',' ORDER BY e.id) FROM jobtrack.group_event e JOIN jobtrack.job_group g ON g.id = e.group_id};
is($standby->safe_psql('other', $other_events),
	'other before:group.started,other before:group.completed',
	'the standby has other\'s events, and none for its pending group');
cmp_ok($standby->safe_psql('postgres', 'SELECT count(*) FROM jobtrack.group_change'),
	'>', 0, 'the standby replayed the pending changes');
$primary->stop('immediate');
$standby->promote;
ok($standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'),
	'the standby is promoted');
ok(defined JobtrackTest::wait_for_worker($standby, timeout => 60),
	'the worker starts on the new primary');
ok(JobtrackTest::wait_settled($standby), 'the new primary evaluated the pending changes');

is( $standby->safe_psql('postgres', $group_states),
	'done:completed:1,running:completed:1,reopened:completed:2,late:running:1,fast:completed:1',
	'groups moved on after promotion');
is( $standby->safe_psql(
		'postgres',
		"SET TimeZone = 'UTC'; SELECT md5(string_agg(e::text, E'\\n' ORDER BY id)) FROM jobtrack.group_event e WHERE id <= $replicated_max"
	),
	$replicated_md5,
	'the replicated events are unchanged');
is( $standby->safe_psql(
		'postgres', qq{
		SELECT string_agg(g.title || ':' || e.run || ':' || e.event, ',' ORDER BY e.group_id, e.id)
		  FROM jobtrack.group_event e JOIN jobtrack.job_group g ON g.id = e.group_id
		 WHERE e.id > $replicated_max}),
	'running:1:group.completed,reopened:2:group.started,reopened:2:group.completed,'
	  . 'late:1:group.started,fast:1:group.started,fast:1:group.completed',
	'the pending events are raised once each, in order within each group, and nothing else');
is_deeply([ JobtrackTest::event_problems($standby) ], [], 'events exact');
ok(defined JobtrackTest::wait_for_worker($standby, db => 'other', timeout => 60),
	'a worker starts in other on the new primary');
ok(JobtrackTest::wait_settled($standby, db => 'other'), 'the new primary evaluated other');
is( $standby->safe_psql('other', $other_events),
	'other before:group.started,other before:group.completed,'
	  . 'other pending:group.started,other pending:group.completed',
	'other\'s pending events are raised once each, by its own worker');
is_deeply([ JobtrackTest::event_problems($standby, 'other') ], [], 'events exact in other');
is_deeply([ JobtrackTest::payload_problems($standby) ], [],
	'event payloads consistent');
is( $standby->safe_psql('postgres', 'SELECT worker_state, events FROM jobtrack.stats'),
	'running|6', 'jobtrack.stats shows the running worker and the 6 events it raised');
is_deeply([ JobtrackTest::log_problems($standby, $standby_log_start) ],
	[], 'no error or unexpected worker exit in the standby log');

$standby->stop;
done_testing();
