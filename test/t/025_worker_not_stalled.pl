
# Copyright (c) 2026, jobtrack authors

# What a role that may write jobs can put in a group or hold locked neither
# makes the worker spin nor stops group events:
#
# - a group whose time_to_check, written by a plain UPDATE, passes the
#   table's check but lands in the past when added to a date (an interval
#   counts a month as 30 days);
# - a group set aside after its evaluation failed, whose check time has
#   passed while it waits for its retry;
# - a message row held locked, which housekeeping would delete with its
#   finished job: housekeeping leaves that job for a later round, without
#   waiting;
# - a table held locked (LOCK TABLE), which housekeeping cannot skip: it
#   gives up after a bounded wait, says so, and the worker's passes go on;
# - an evaluator pass run from SQL in a transaction left open, which holds
#   the evaluator's lock: the worker waits for it without a snapshot and
#   without blocking, and raises the events once it is gone.
#
# A spinning worker runs thousands of passes a second; one at rest runs a
# few, so the checks below count passes over a few seconds.
#
# Nor does the launcher spin while a database's worker is kept out (here by
# an ALTER DATABASE ... RENAME in an open transaction): it counts the
# launcher's voluntary context switches, thousands a second when it polls.


use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $node = JobtrackTest::new_node('stall',
	extra_conf => "jobtrack.check_interval = '1s'\njobtrack.retention = '1s'\n");
ok(defined JobtrackTest::wait_for_worker($node), 'the worker runs');

sub sql { return $node->safe_psql('postgres', $_[0]); }

# passes_in SECONDS: the worker's passes over that many seconds
sub passes_in
{
	my ($seconds) = @_;
	my $before = sql('SELECT checks FROM jobtrack.stats');
	sleep $seconds;
	return sql('SELECT checks FROM jobtrack.stats') - $before;
}

my $at_rest = passes_in(3);
cmp_ok($at_rest, '<', 30, "at rest the worker runs a few passes ($at_rest in 3 s)");

# --- a time_to_check that goes back in time
my $g = sql("SELECT jobtrack.create_group('backwards')");
sql("UPDATE jobtrack.job_group SET time_to_check = '-1 year 360 days 1 second' WHERE id = $g");
is(sql("SELECT now() + time_to_check < now() FROM jobtrack.job_group WHERE id = $g"), 't',
	'the table takes a time_to_check that lands in the past');
sql("SELECT jobtrack.start_job(jobtrack.create_job('b', group_id => $g))");
ok(JobtrackTest::poll_until(30, sub { sql("SELECT checked_at IS NOT NULL FROM jobtrack.job_group WHERE id = $g") eq 't' }),
	'the group is checked');
my $backwards = passes_in(3);
cmp_ok($backwards, '<', 30, "the worker does not spin on it ($backwards passes in 3 s)");
is(sql("SELECT next_check_at > now() FROM jobtrack.job_group WHERE id = $g"), 't',
	'its next check is in the future');
sql("UPDATE jobtrack.job_group SET time_to_check = '1 minute' WHERE id = $g");

# --- a group set aside, due while it waits for its retry
my $bad = sql("SELECT jobtrack.create_group('set aside')");
sql("UPDATE jobtrack.job_group SET time_to_check = '300000 years' WHERE id = $bad");
sql("SELECT jobtrack.start_job(jobtrack.create_job('s', group_id => $bad))");
ok(JobtrackTest::poll_until(30, sub { sql("SELECT count(*) FROM jobtrack.group_failure WHERE group_id = $bad") eq '1' }),
	'a group whose evaluation fails is set aside');
# a long delay, and a check time already past
sql("UPDATE jobtrack.group_failure SET retry_at = now() + interval '1 hour' WHERE group_id = $bad");
sql("UPDATE jobtrack.job_group SET next_check_at = now() - interval '1 minute' WHERE id = $bad");
my $aside = passes_in(3);
cmp_ok($aside, '<', 30, "the worker does not spin on it ($aside passes in 3 s)");
sql("DELETE FROM jobtrack.group_failure WHERE group_id = $bad");
sql("UPDATE jobtrack.job_group SET time_to_check = '1 minute' WHERE id = $bad");

# --- housekeeping skips a finished job whose message row is held locked
my $old = sql("SELECT jobtrack.create_job('old')");
sql("SELECT jobtrack.add_message($old, 'keep me')");
my $holder = $node->background_psql('postgres');
$holder->query_safe("BEGIN; SELECT id FROM jobtrack.job_message WHERE job_id = $old FOR UPDATE");
sql("SELECT jobtrack.start_job($old); SELECT jobtrack.succeed_job($old);");
sleep 3;
is(sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker' AND wait_event_type = 'Lock'"),
	'0', 'three rounds of housekeeping later the worker waits for no lock');
is(sql("SELECT count(*) FROM jobtrack.job_status WHERE id = $old"), '1',
	'and the job whose message is locked is still there');
ok(!$node->log_contains('jobtrack worker skipped a round of housekeeping'), 'no round was given up');
$holder->query_safe('COMMIT');
ok(JobtrackTest::poll_until(30, sub { sql("SELECT count(*) FROM jobtrack.job_status WHERE id = $old") eq '0' }),
	'once the lock is gone, a round deletes the job');

# --- housekeeping waits a bounded time for a table held locked
my $older = sql("SELECT jobtrack.create_job('older')");
sql("SELECT jobtrack.add_message($older, 'keep me too')");
$holder->query_safe("BEGIN; LOCK TABLE jobtrack.job_message IN EXCLUSIVE MODE");
sql("SELECT jobtrack.start_job($older); SELECT jobtrack.succeed_job($older);");
ok(JobtrackTest::poll_until(30, sub {
		sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker' AND wait_event_type = 'Lock'") eq '1' }),
	'retention waits for the locked table');
my $later = sql("SELECT jobtrack.create_group('while housekeeping waits')");
my $t0 = time;
sql("SELECT jobtrack.start_job(jobtrack.create_job('w', group_id => $later))");
ok(JobtrackTest::poll_until(30, sub {
		sql("SELECT count(*) FROM jobtrack.group_event WHERE group_id = $later AND event = 'group.started'") eq '1' }),
	'a group event is raised while the lock is still held');
my $waited = time - $t0;
cmp_ok($waited, '<', 15, sprintf('within the bounded wait (%.1f s)', $waited));
ok(JobtrackTest::poll_until(30, sub {
		$node->log_contains('jobtrack worker skipped a round of housekeeping') }),
	'the worker says it skipped a round of housekeeping');
is(sql("SELECT count(*) FROM jobtrack.job_status WHERE id = $older"), '1', 'the job is still there');
$holder->query_safe('COMMIT');
ok(JobtrackTest::poll_until(30, sub { sql("SELECT count(*) FROM jobtrack.job_status WHERE id = $older") eq '0' }),
	'once the lock is gone, the next round deletes the job');

# --- an evaluator's transaction left open
# no housekeeping round meanwhile, which holds a snapshot while it runs
sql("ALTER SYSTEM SET jobtrack.check_interval = '1h'; SELECT pg_reload_conf()");
sleep 2;
my $held = sql("SELECT jobtrack.create_group('while an evaluator holds on')");
$holder->query_safe("BEGIN; SELECT jobtrack.check_groups()");
sql("SELECT jobtrack.start_job(jobtrack.create_job('h', group_id => $held))");
sleep 1;
is(sql("SELECT count(*) FROM jobtrack.group_event WHERE group_id = $held"), '0',
	'no event while the open transaction holds the evaluator\'s lock');
my $stalled = 0;
for (1 .. 10)
{
	$stalled += sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'"
		  . " AND (wait_event_type = 'Lock' OR backend_xmin IS NOT NULL)");
	sleep 0.1;
}
is($stalled, 0, 'the worker neither waits on the lock nor holds a snapshot meanwhile (10 looks)');
my $held_passes = passes_in(2);
cmp_ok($held_passes, '<', 30, "nor does it count a pass for each try ($held_passes passes in 2 s)");
$holder->query_safe('COMMIT');
$t0 = time;
ok(JobtrackTest::poll_until(30, sub {
		sql("SELECT count(*) FROM jobtrack.group_event WHERE group_id = $held AND event = 'group.started'") eq '1' }),
	'once it commits, the worker raises the event');
cmp_ok(time - $t0, '<', 2, sprintf('at once (%.2f s)', time - $t0));
$holder->quit;
sql("ALTER SYSTEM RESET jobtrack.check_interval; SELECT pg_reload_conf()");

# --- the launcher rests while a database is paused
$node->safe_psql('postgres', 'CREATE DATABASE paused_db');
$node->safe_psql('paused_db', 'CREATE EXTENSION jobtrack');
ok(JobtrackTest::poll_until(30, sub {
		sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker' AND datname = 'paused_db'") eq '1' }),
	'a second database gets its worker');
my $launcher = sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'jobtrack launcher'");

# switches PID: the voluntary context switches of a process so far
sub switches
{
	my ($pid) = @_;
	my ($line) = grep { /^voluntary_ctxt_switches:/ } split /\n/, slurp_file("/proc/$pid/status");
	return (split /\s+/, $line)[1];
}
my $renamer = $node->background_psql('postgres');
$renamer->query_safe('BEGIN; ALTER DATABASE paused_db RENAME TO paused_db_renamed');
ok(JobtrackTest::poll_until(30, sub {
		sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker' AND datname = 'paused_db'") eq '0' }),
	'the rename keeps the worker out');
my $before_switches = switches($launcher);
sleep 3;
my $launcher_switches = switches($launcher) - $before_switches;
cmp_ok($launcher_switches, '<', 100,
	"meanwhile the launcher rests ($launcher_switches context switches in 3 s)");
$renamer->query_safe('ROLLBACK');
$renamer->quit;
ok(JobtrackTest::poll_until(30, sub {
		sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker' AND datname = 'paused_db'") eq '1' }),
	'when the rename rolls back, the worker comes back');

done_testing();
