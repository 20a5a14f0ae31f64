
# Copyright (c) 2026, jobtrack authors

# Dump and restore.
#
# A database with jobs (of two owners, with external ids, tags, data,
# progress, delayed and paused ones, one paused before it ever started),
# messages, signals (handled and not), groups (completed, running, pending,
# empty, and reopened ones in every status) and their events is dumped with
# pg_dump as superuser and restored into a fresh cluster whose worker is
# running; CREATE EXTENSION comes from the dump.  Every table's rows are
# identical, owners and timestamps included; new ids continue above the old
# ones; and the restored jobs raise no event: the worker only rebuilds its
# counts from them.
#
# One group has a change the source had not evaluated when the dump was
# taken (its job retried and finished again while an evaluator held the
# lock).  After the restore the target raises the same run-2 events the
# source raised after the dump, above the restored ids, and ends in the same
# state.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
# test/perl, also when prove is not given -I ./test/perl
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $source = JobtrackTest::new_node('source');
ok(defined JobtrackTest::wait_for_worker($source), 'the source runs the worker');

my $role_sql = q{
	CREATE ROLE jt_app LOGIN;
};
my $grant_sql = q{
	GRANT USAGE ON SCHEMA jobtrack, jobtrack_internal TO jt_app;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal TO jt_app;
	GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA jobtrack TO jt_app;
	GRANT USAGE ON ALL SEQUENCES IN SCHEMA jobtrack TO jt_app;
};
$source->safe_psql('postgres', $role_sql . $grant_sql);

# Each statement is its own transaction, as a job system's calls are.
# Groups are due for a scheduled check only after an hour, so no check
# changes a group row while the test compares them.
sub run_sql
{
	my ($sql, $role) = @_;
	$sql = "SET ROLE $role; $sql" if $role;
	my $out = $source->safe_psql('postgres', $sql);
	return (split /\n/, $out)[-1] // '';
}

my %group;
foreach my $title (
	qw(done running pending empty retried reopened_done reopened_running late))
{
	$group{$title} = run_sql(
		"SELECT jobtrack.create_group('$title', '{\"owner\": \"tests\"}', '1 hour')");
}

my $n = 0;
sub job
{
	my ($title, %params) = @_;
	$n++;
	my $group = defined $title ? $group{$title} : 'NULL';
	my $delay = $params{delay} ? "'$params{delay}'" : 'NULL';
	return run_sql(
		"SELECT jobtrack.create_job('Import', alias => 'import-$n', tags => '{\"n\": \"$n\", \"kind\": \"dump\"}',"
		  . " group_id => $group, data => '{\"row\": $n}', external_id => 'ext-$n', delay => $delay)",
		$params{role});
}

sub finish
{
	my ($job, $how) = @_;
	my $end =
		$how eq 'fail' ? "jobtrack.fail_job($job, 'boom $job')"
	  : $how eq 'cancel' ? "jobtrack.cancel_job($job)"
	  :                    "jobtrack.succeed_job($job)";

	# one psql call, five transactions
	run_sql(
		"SELECT jobtrack.start_job($job);
		 SELECT jobtrack.set_progress($job, 3, 4);
		 SELECT jobtrack.heartbeat($job);
		 SELECT jobtrack.add_message($job, 'working on $job', 'info');
		 SELECT $end;");
	return;
}

# completed, with a job of each end and one owned by jt_app
my @done = (job('done'), job('done'), job('done'), job('done', role => 'jt_app'));
finish($done[0], 'succeed');
finish($done[1], 'fail');
finish($done[2], 'cancel');
run_sql("SELECT jobtrack.start_job($done[3])", 'jt_app');
run_sql("SELECT jobtrack.succeed_job($done[3])", 'jt_app');
run_sql("SELECT jobtrack.add_message($done[1], 'it broke', 'error')");

# running, with a started, a paused and a queued job, and signals
my @running = (job('running'), job('running'), job('running', role => 'jt_app'));
run_sql("SELECT jobtrack.start_job($running[0])");
run_sql("SELECT jobtrack.set_progress($running[0], 40)");
run_sql("SELECT jobtrack.start_job($running[1])");
run_sql("SELECT jobtrack.pause_job($running[1])");
run_sql("SELECT jobtrack.send_signal($running[0], 'resize', '{\"workers\": 4}')");
run_sql("SELECT jobtrack.request_cancel($running[1])");
run_sql("SELECT count(*) FROM jobtrack.take_signals($running[0])");
run_sql("SELECT jobtrack.send_signal($running[0], 'flush')");
# paused before it ever started: a restore must not give it a started_at
my $paused_queued = job('running');
run_sql("SELECT jobtrack.pause_job($paused_queued)");

# pending, with a queued and a delayed job
job('pending');
job('pending', delay => '1 hour');

# run 1 completed with a failed job, then the failed job retried: run 2 pending
my @retried = (job('retried'), job('retried'));
finish($retried[0], 'succeed');
finish($retried[1], 'fail');
ok(JobtrackTest::wait_settled($source), 'the source evaluated run 1 of retried');
run_sql("SELECT jobtrack.retry_job($retried[1])");

# run 2 completed
my @reopened_done = (job('reopened_done'));
finish($reopened_done[0], 'succeed');
ok(JobtrackTest::wait_settled($source), 'the source evaluated run 1 of reopened_done');
push @reopened_done, job('reopened_done');
ok(JobtrackTest::wait_settled($source), 'the source reopened reopened_done');
finish($reopened_done[1], 'succeed');

# run 2 running
my @reopened_running = (job('reopened_running'));
finish($reopened_running[0], 'cancel');
ok(JobtrackTest::wait_settled($source), 'the source evaluated run 1 of reopened_running');
push @reopened_running, job('reopened_running', role => 'jt_app');
ok(JobtrackTest::wait_settled($source), 'the source reopened reopened_running');
run_sql("SELECT jobtrack.start_job($reopened_running[1])", 'jt_app');

# completed run 1, whose failed job is retried and finished again below,
# while the dump is taken and before any evaluator sees it
my @late = (job('late'), job('late'));
finish($late[0], 'succeed');
finish($late[1], 'fail');

# jobs without a group
my $lonely = job(undef);
finish($lonely, 'succeed');
job(undef, role => 'jt_app');

ok(JobtrackTest::wait_settled($source), 'the source evaluated every change');
my $group_states = q{SELECT string_agg(title || ':' || status || ':' || run, ',' ORDER BY id) FROM jobtrack.job_group};
is( $source->safe_psql('postgres', $group_states),
	'done:completed:1,running:running:1,pending:pending:1,empty:pending:1,'
	  . 'retried:pending:2,reopened_done:completed:2,reopened_running:running:2,late:completed:1',
	'the source has groups in every state');
# The pending group was created long ago and has raised no event (none of
# its jobs started): old enough for group retention, were it without jobs.
# In the target it is, for a while: its row comes before its jobs.
$source->safe_psql('postgres',
	"UPDATE jobtrack.job_group SET created_at = created_at - interval '3 days' WHERE id = $group{pending}");
is( $source->safe_psql('postgres', "SELECT started_at IS NULL FROM jobtrack.job_status WHERE id = $paused_queued"),
	't', 'the job paused from queued has no started_at');

is_deeply([ JobtrackTest::event_problems($source) ], [], 'source: events exact');

# an evaluator holds the lock in an open transaction: the worker waits, and
# the late group's retry and second finish stay unevaluated while dumped
my $holder = $source->background_psql('postgres');
$holder->query_safe('BEGIN');
$holder->query_safe('SELECT jobtrack.check_groups()');
run_sql("SELECT jobtrack.retry_job($late[1])");
finish($late[1], 'succeed');
is( $source->safe_psql('postgres',
		"SELECT count(*) FROM jobtrack.group_change WHERE group_id = $group{late}"),
	'3', 'the late group has three changes nobody has evaluated');

# the late group changes after the dump, on both sides: compared apart
my %tables = (
	'jobtrack.job_status' => 'id',
	'jobtrack.job_external_id' => 'external_id',
	'jobtrack.job_message' => 'id',
	'jobtrack.job_signal' => 'id',
	"(SELECT * FROM jobtrack.job_group WHERE title <> 'late')" => 'id');

sub fingerprints
{
	my ($node) = @_;
	return { map { $_ => JobtrackTest::table_md5($node, $_, $tables{$_}) }
		  sort keys %tables };
}

my $before = fingerprints($source);
is( $source->safe_psql('postgres', "SELECT count(*) FROM jobtrack.job_status WHERE owner = 'jt_app'"),
	'4', 'the source has jobs of a second owner');
my %max = map {
	my ($table, $column) = @$_;
	$table => $source->safe_psql('postgres',
		"SELECT greatest(max($column), (SELECT last_value FROM ${table}_${column}_seq)) FROM $table"
	)
} (
	[ 'jobtrack.job_status', 'id' ],
	[ 'jobtrack.job_group', 'id' ],
	[ 'jobtrack.job_message', 'id' ],
	[ 'jobtrack.job_signal', 'id' ],
	[ 'jobtrack.group_event', 'id' ]);

my $dump = PostgreSQL::Test::Utils::tempdir() . '/jobtrack.dump';
$source->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', 'postgres' ],
	'pg_dump as superuser');
is_deeply(fingerprints($source), $before, 'the source did not change while it was dumped');
my $events_at_dump = JobtrackTest::table_md5($source, 'jobtrack.group_event', 'id');

# the source's worker now evaluates the late group: run 2 opens and completes
$holder->query_safe('COMMIT');
$holder->quit;
ok(JobtrackTest::wait_settled($source), 'the source evaluated the late group after the dump');
my $new_events = qq{
	SELECT string_agg(g.title || ' run ' || e.run || ' ' || e.event, ', ' ORDER BY e.id)
	  FROM jobtrack.group_event e JOIN jobtrack.job_group g ON g.id = e.group_id
	 WHERE e.id > $max{'jobtrack.group_event'}};
is( $source->safe_psql('postgres', $new_events),
	'late run 2 group.started, late run 2 group.completed',
	'the source raised run 2 of the late group after the dump');

my $target = JobtrackTest::new_node('target', no_extension => 1);
my $target_log_start = JobtrackTest::log_size($target);
ok( JobtrackTest::poll_until(
		30,
		sub {
			(JobtrackTest::query($target,
					"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack launcher'") // '') eq '1';
		}),
	'the target runs the launcher before the restore (a worker starts with the restored CREATE EXTENSION)');
$target->safe_psql('postgres', $role_sql);
# The restore runs in three steps, so that the worker's passes fall where
# they may in any restore: first everything but the jobs' rows and the
# SEQUENCE SET entries (the groups and the restored changes are in, the jobs
# not yet: pg_restore loads job_group before job_status), then the jobs,
# which the worker evaluates before the sequences are set, then those.
my $toc = `pg_restore -l $dump`;
my $jobs_data = qr/TABLE DATA jobtrack job_status /;
my ($first, $jobs, $sequences) = ("$dump.list1", "$dump.list_jobs", "$dump.list2");
PostgreSQL::Test::Utils::append_to_file($first,
	join("\n", grep { !/SEQUENCE SET/ && !/$jobs_data/ } split /\n/, $toc) . "\n");
PostgreSQL::Test::Utils::append_to_file($jobs, join("\n", grep { /$jobs_data/ } split /\n/, $toc) . "\n");
PostgreSQL::Test::Utils::append_to_file($sequences,
	join("\n", grep { /SEQUENCE SET/ } split /\n/, $toc) . "\n");
$target->command_ok(
	[ 'pg_restore', '--exit-on-error', '-L', $first, '-d', 'postgres', $dump ],
	'pg_restore into the fresh cluster, all but the jobs and the sequences');
ok(defined JobtrackTest::wait_for_worker($target),
	'the restored CREATE EXTENSION started the target\'s worker');
my $checks_before_jobs = $target->safe_psql('postgres', 'SELECT checks FROM jobtrack.stats');
ok( JobtrackTest::poll_until(
		30,
		sub {
			(JobtrackTest::query($target, "SELECT checks >= $checks_before_jobs + 2 FROM jobtrack.stats") // '') eq 't';
		}),
	'the worker ran passes while the groups were restored and their jobs not yet');
is($target->safe_psql('postgres', 'SELECT events FROM jobtrack.stats'), '0',
	'and raised no event: the restored changes wait for their groups\' jobs');
$target->safe_psql('postgres', 'SELECT jobtrack.run_maintenance()');
is($target->safe_psql('postgres', "SELECT count(*) FROM jobtrack.job_group WHERE id = $group{pending}"),
	'1', 'housekeeping keeps an old group whose jobs are not restored yet: it has no counts');
$target->command_ok(
	[ 'pg_restore', '--exit-on-error', '-L', $jobs, '-d', 'postgres', $dump ],
	'pg_restore of the jobs');
ok(JobtrackTest::wait_settled($target), 'the target worker evaluated the restored changes before the sequences were set');
$target->command_ok(
	[ 'pg_restore', '--exit-on-error', '-L', $sequences, '-d', 'postgres', $dump ],
	'pg_restore of the sequences');
my $restored_at = $target->safe_psql('postgres', 'SELECT clock_timestamp()');
is( $target->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'jobtrack'"),
	$source->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'jobtrack'"),
	'the dump created the extension');

# the worker drains the restored jobs' changes, then runs two more check
# intervals: no event may come of it
ok(JobtrackTest::wait_settled($target), 'the target worker drained the restored changes');
ok( JobtrackTest::poll_until(
		30,
		sub {
			(JobtrackTest::query($target,
					"SELECT last_check_at > '$restored_at'::timestamptz + 2 * interval '$JobtrackTest::CHECK_INTERVAL' FROM jobtrack.stats"
			  ) // '') eq 't';
		}),
	'the target worker checked for two check intervals after the restore');

my $after = fingerprints($target);
foreach my $table (sort keys %tables)
{
	is($after->{$table}, $before->{$table}, "$table restored identically");
}
is( JobtrackTest::table_md5($target,
		"(SELECT * FROM jobtrack.group_event WHERE id <= $max{'jobtrack.group_event'})", 'id'),
	$events_at_dump, 'jobtrack.group_event restored identically');
is($target->safe_psql('postgres', $new_events),
	$source->safe_psql('postgres', $new_events),
	'the target raised the events the source raised after the dump, above the restored ids');
is($target->safe_psql('postgres', $group_states),
	$source->safe_psql('postgres', $group_states), 'the groups reached the source\'s status and run');
is($target->safe_psql('postgres', 'SELECT events FROM jobtrack.stats'),
	'2', 'the target worker raised only the late group\'s two events');
is($target->safe_psql('postgres', 'SELECT groups_set_aside FROM jobtrack.stats'),
	'0', 'no group failed to evaluate during the restore');
is( $target->safe_psql('postgres', "SELECT started_at IS NULL FROM jobtrack.job_status WHERE id = $paused_queued"),
	't', 'the restored job paused from queued still has no started_at');
is_deeply([ JobtrackTest::event_problems($target) ], [], 'target: events exact (counts rebuilt)');
is_deeply([ JobtrackTest::payload_problems($target) ], [], 'target: event payloads consistent');

# new ids continue above the old ones
my $new_group = $target->safe_psql('postgres',
	"SELECT jobtrack.create_group('after restore', NULL, '1 hour')");
cmp_ok($new_group, '>', $max{'jobtrack.job_group'}, 'create_group continues above the old ids');
my $new_job = $target->safe_psql('postgres',
	"SELECT jobtrack.create_job('Import', group_id => $new_group, external_id => 'after')");
cmp_ok($new_job, '>', $max{'jobtrack.job_status'}, 'create_job continues above the old ids');
cmp_ok($target->safe_psql('postgres', "SELECT jobtrack.add_message($new_job, 'hello')"),
	'>', $max{'jobtrack.job_message'}, 'add_message continues above the old ids');
cmp_ok($target->safe_psql('postgres', "SELECT jobtrack.send_signal($new_job, 'hello')"),
	'>', $max{'jobtrack.job_signal'}, 'send_signal continues above the old ids');
$target->safe_psql('postgres', "SELECT jobtrack.start_job($new_job)");
$target->safe_psql('postgres', "SELECT jobtrack.succeed_job($new_job)");
ok(JobtrackTest::wait_settled($target), 'the target worker evaluated the new group');
is( $target->safe_psql(
		'postgres',
		"SELECT string_agg(event || ':' || (id > $max{'jobtrack.group_event'}), ',' ORDER BY id) FROM jobtrack.group_event WHERE group_id = $new_group"
	),
	'group.started:true,group.completed:true',
	'new events continue above the old ids');
is_deeply([ JobtrackTest::event_problems($target) ], [], 'target: events exact at the end');
is_deeply([ JobtrackTest::log_problems($target, $target_log_start) ],
	[], 'no error or unexpected worker exit in the target log');

$target->stop;
$source->stop;
done_testing();
