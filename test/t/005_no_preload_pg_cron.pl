
# Copyright (c) 2026, jobtrack authors

# jobtrack without shared_preload_libraries: the
# cluster preloads only pg_cron.  CREATE EXTENSION jobtrack and every kind of
# function work, loading the library raises no error, jobtrack.stats says it
# is not preloaded, check_groups() raises the events, and a pg_cron job
# running check_groups() every minute raises a finished group's events
# within 70 s with nobody calling it by hand.
#
# This file takes up to about 70 s: pg_cron runs at the next full minute.

use strict;
use warnings;

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
# test/perl, also when prove is not given -I ./test/perl
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $node = PostgreSQL::Test::Cluster->new('no_preload');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
jobtrack.check_interval = '2s'
});
$node->start;

my ($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CREATE EXTENSION jobtrack');
is($ret, 0, 'CREATE EXTENSION jobtrack works without preloading');
is($stderr, '', 'without a warning');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'jobtrack%'"),
	'0',
	'no jobtrack launcher or worker runs');
is( $node->safe_psql(
		'postgres',
		"SELECT jobtrack.is_queued('queued'::jobtrack.status); SHOW jobtrack.check_interval"),
	"t\n2s",
	'a jobtrack setting from postgresql.conf is in effect once the library is loaded');

# jobtrack.stats says it is not preloaded
is( $node->safe_psql(
		'postgres',
		'SELECT worker_pid IS NULL, checks IS NULL, worker_state FROM jobtrack.stats'),
	't|t|not preloaded: add jobtrack to shared_preload_libraries',
	'jobtrack.stats says jobtrack is not preloaded');

# every kind of function, in one session; a stable reader in the same
# statement as a writer would not see the write, so each write is a
# statement of its own and the next statement reads
my @checks = (
	[
		"SELECT jobtrack.create_job('Import', 'daily', '{\"tenant\": \"7\", \"size\": 12}', NULL, '{\"file\": \"a.csv\"}', 'ext-1')",
		'1', 'create_job returns the new id'
	],
	[
		"SELECT jobtrack.create_job('Import', external_id => 'ext-1')",
		'1', 'create_job with a known external_id returns that job'
	],
	[
		"SELECT jobtrack.create_job('Mail', delay => '1 hour') AS mail \\gset\nSELECT jobtrack.get_status(:mail)",
		'delayed', 'create_job with a delay makes a delayed job'
	],
	[
		"SELECT jobtrack.start_job(1); SELECT jobtrack.get_status(jobtrack.job('ext-1'))",
		"started\nstarted", 'start_job and get_status'
	],
	[
		"SELECT jobtrack.set_progress(1, 50); SELECT jobtrack.percentage(1)",
		"\n50", 'set_progress(percentage) and percentage'
	],
	[
		"SELECT jobtrack.set_progress(jobtrack.job('ext-1'), 3, 4); SELECT jobtrack.percentage(jobtrack.job('ext-1')) = 75",
		"\nt", 'set_progress(current, total)'
	],
	[
		"SELECT jobtrack.heartbeat(1); SELECT jobtrack.heartbeat(jobtrack.job('ext-1')); SELECT heartbeat_at IS NOT NULL FROM jobtrack.job_status WHERE id = 1",
		"\n\nt", 'heartbeat'
	],
	[
		"SELECT jobtrack.add_message(1, 'hello') > 0; SELECT jobtrack.add_message(jobtrack.job('ext-1'), 'careful', 'warning') > 0; SELECT string_agg(level || ':' || message, ',' ORDER BY id) FROM jobtrack.job_message",
		"t\nt\ninfo:hello,warning:careful", 'add_message'
	],
	[
		"SELECT jobtrack.send_signal(1, 'pause', '{\"for\": 5}') > 0; SELECT jobtrack.request_cancel(jobtrack.job('ext-1')) > 0",
		"t\nt", 'send_signal and request_cancel'
	],
	[
		"SELECT string_agg(signal || ' ' || cancel_job, ',' ORDER BY id) FROM jobtrack.take_signals(1)",
		'pause false,cancel true', 'take_signals returns the unhandled signals'
	],
	[
		"SELECT count(*) FROM jobtrack.take_signals(jobtrack.job('ext-1'))",
		'0', 'and marks them handled'
	],
	[
		"SELECT jobtrack.is_running(1), jobtrack.is_queued(:mail), jobtrack.has_finished(jobtrack.job('ext-1'))",
		't|t|f', 'predicates on a job'
	],
	[
		"SELECT jobtrack.succeed_job(jobtrack.job('ext-1')); SELECT jobtrack.is_successful(1), jobtrack.runtime(1) IS NOT NULL",
		"succeeded\nt|t", 'succeed_job, is_successful, runtime'
	],
	[
		"SELECT jobtrack.create_job('Import') AS job \\gset\nSELECT jobtrack.start_job(:job); SELECT jobtrack.fail_job(:job, 'boom'); SELECT jobtrack.is_failed(:job)",
		"started\nfailed\nt", 'fail_job'
	],
	[
		"SELECT jobtrack.retry_job(:job); SELECT attempts FROM jobtrack.job_status WHERE id = :job",
		"queued\n2", 'retry_job starts a new attempt'
	],
	[
		"SELECT jobtrack.pause_job(:job); SELECT jobtrack.set_status(:job, 'queued'); SELECT jobtrack.cancel_job(:job); SELECT jobtrack.is_cancelled(:job)",
		"paused\nqueued\ncancelled\nt", 'pause_job, set_status, cancel_job'
	],
	[
		"SELECT jobtrack.status_from_text('waiting'), jobtrack.status_from_text('active'), jobtrack.status_from_text('completed'), jobtrack.status_from_text('released')",
		'queued|started|succeeded|queued', 'status_from_text'
	],
	[
		"SELECT jobtrack.is_successful('succeeded'::jobtrack.status), jobtrack.is_failed('failed'::jobtrack.status), jobtrack.is_cancelled('cancelled'::jobtrack.status), jobtrack.is_running('started'::jobtrack.status), jobtrack.is_queued('delayed'::jobtrack.status), jobtrack.has_finished('paused'::jobtrack.status)",
		't|t|t|t|t|f', 'predicates on a status'
	],
	[
		q{SELECT (SELECT count(*) FROM jobtrack.for_job('Import')),
				 (SELECT count(*) FROM jobtrack.for_job_alias('daily')),
				 (SELECT count(*) FROM jobtrack.where_tag('tenant', '7')),
				 (SELECT count(*) FROM jobtrack.where_tag('size', '>', '9')),
				 (SELECT count(*) FROM jobtrack.where_status('succeeded', 'cancelled')),
				 (SELECT count(*) FROM jobtrack.where_not_status('succeeded'))},
		'2|1|1|1|2|2', 'the scopes'
	],
	[
		q{SELECT jobtrack.count_finished(status), jobtrack.count_successful(status),
				 jobtrack.count_failed(status), jobtrack.count_cancelled(status),
				 jobtrack.count_running(status), jobtrack.count_queued(status),
				 jobtrack.count_not_finished(status)
			FROM jobtrack.job_status},
		'2|1|0|1|0|1|1', 'the aggregates'
	],
	[
		"SELECT jobtrack.run_maintenance()",
		'0', 'run_maintenance (nothing due)'
	],);

my $session = $node->background_psql('postgres', on_error_stop => 0);
$session->set_query_timer_restart;
for my $check (@checks)
{
	my ($sql, $expected, $name) = @$check;
	my ($out, $failed) = $session->query($sql);
	is($out, $expected, $name) or diag "query: $sql\nstderr: $session->{stderr}";
	$session->{stderr} = '';
}
$session->quit;

# groups: check_groups() raises the events
my $group = $node->safe_psql(
	'postgres', q{
SELECT jobtrack.group_id('by hand') AS g \gset
SELECT jobtrack.create_job('Import', group_id => :g) AS j \gset
SELECT jobtrack.start_job(:j) \g /dev/null
SELECT jobtrack.succeed_job(:j) \g /dev/null
SELECT :g});
is($node->safe_psql('postgres', "SELECT jobtrack.group_id('by hand')"),
	$group, 'group_id() finds the group by its title');
is($node->safe_psql('postgres', "SELECT count(*) FROM jobtrack.group_event"),
	'0', 'without a worker no event is raised by itself');
is($node->safe_psql('postgres', 'SELECT jobtrack.check_groups()'),
	'2', 'check_groups() raises two events');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(event || ' ' || run, ',' ORDER BY id) FROM jobtrack.group_events() WHERE group_id = $group"
	),
	'group.started 1,group.completed 1',
	'group.started and group.completed of run 1');
is($node->safe_psql('postgres', 'SELECT jobtrack.check_groups()'),
	'0', 'a second check_groups() raises nothing');
my $g2 = $node->safe_psql('postgres', "SELECT jobtrack.create_group('marked running')");
is($node->safe_psql('postgres', "SELECT jobtrack.update_status_running($g2)"),
	'running', 'update_status_running()');

my @log = JobtrackTest::log_lines($node);
my @bad = grep { /ERROR|WARNING|FATAL|PANIC/ } @log;
is(scalar @bad, 0, 'no error or warning in the log from loading jobtrack')
  or diag join("\n", @bad);

# pg_cron runs check_groups() every minute
$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');
my $cron_group = JobtrackTest::finished_group($node, 'by pg_cron');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM jobtrack.group_event WHERE group_id = $cron_group"),
	'0',
	'the finished group has no event yet');
my $scheduled_at = time();
$node->safe_psql('postgres',
	"SELECT cron.schedule('jobtrack', '* * * * *', 'SELECT jobtrack.check_groups()')"
);
my $events;
while (time() - $scheduled_at < 90)
{
	$events = $node->safe_psql('postgres',
		"SELECT string_agg(event, ',' ORDER BY id) FROM jobtrack.group_events() WHERE group_id = $cron_group"
	);
	last if $events eq 'group.started,group.completed';
	usleep(500_000);
}
my $took = time() - $scheduled_at;
is($events, 'group.started,group.completed',
	'the pg_cron job raised group.started and group.completed');
diag sprintf('events %.1f s after cron.schedule()', $took);
cmp_ok($took, '<', 70, 'within 70 s of cron.schedule()');
is( $node->safe_psql(
		'postgres',
		"SELECT status FROM cron.job_run_details WHERE command = 'SELECT jobtrack.check_groups()' ORDER BY runid LIMIT 1"
	),
	'succeeded',
	'cron.job_run_details says the run succeeded');

@log = JobtrackTest::log_lines($node);
@bad = grep { /ERROR|WARNING|PANIC|terminated by signal/ } @log;
is(scalar @bad, 0, 'no error in the log') or diag join("\n", @bad);

$node->stop;

done_testing();
