
# Copyright (c) 2026, jobtrack authors

# Which commits wake the worker at once.  A change that may raise an event
# now (the first job of a group starting, the last unfinished one
# finishing) wakes it at once; any other change wakes it within a few
# milliseconds, gathered with others into one pass.  The worker logs each
# wake-up at once at DEBUG1, which this test counts.
#
# A writer remembers, per group, the unfinished job that last answered
# "is another job of the group unfinished?", and reads that job again
# before it asks the index.  Two sessions here make the remembered job
# finish in the other session, so the first must notice that it has.
#
# An unfinished job whose row another transaction is already changing does
# not count as unfinished: when two sessions finish a group's last two jobs
# in transactions that overlap, the second to look wakes the worker at
# once, and so does one statement that finishes a group's last jobs.
# Without that, both finishes woke the worker lazily and the group's
# completion came up to the lazy wait later.  The session that looked first
# looks again just before it commits, for the order in which it commits
# last.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $node = JobtrackTest::new_node('wake',
	extra_conf => "jobtrack.check_interval = '1h'\nlog_min_messages = debug1\n");
ok(defined JobtrackTest::wait_for_worker($node), 'the worker runs');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub group_status
{
	return sql("SELECT status FROM jobtrack.job_group WHERE id = $_[0]");
}

sub drained
{
	return defined JobtrackTest::wait_for(30,
		sub { sql("SELECT count(*) FROM jobtrack.group_change") eq '0' });
}

sub wakes_since
{
	my ($offset) = @_;
	return scalar grep { /jobtrack worker woken at once/ } JobtrackTest::log_lines($node, $offset);
}

# new_group TITLE, N, STARTED: a group of N jobs, created in order (so
# their index entries of one status are in that order), the first STARTED
# of them started; waits until its changes are drained and, with a start,
# the group runs.  Returns the group and its jobs.
sub new_group
{
	my ($title, $n, $started) = @_;
	my $group = sql("SELECT jobtrack.create_group('$title', time_to_check => '1 hour')");
	my @jobs = split /\n/,
	  sql("SELECT jobtrack.create_job('Wake', group_id => $group) FROM generate_series(1, $n)");
	sql("SELECT jobtrack.start_job(id) FROM unnest(ARRAY["
		  . join(', ', @jobs[0 .. $started - 1]) . "]::bigint[]) AS id")
	  if $started;
	ok((!$started || defined JobtrackTest::wait_for(30, sub { group_status($group) eq 'running' }))
		  && drained(),
		"the group '$title' " . ($started ? 'runs and its changes are' : 'has its changes') . ' drained');
	return ($group, @jobs);
}

my $g = sql("SELECT jobtrack.create_group('wake', time_to_check => '1 hour')");
my ($a, $b, $c) = split /\n/,
  sql("SELECT jobtrack.create_job('Wake', group_id => $g) FROM generate_series(1, 3)");
ok(drained(), 'the new jobs are drained');

my $offset = JobtrackTest::log_size($node);
my $first = $node->background_psql('postgres');
my $second = $node->background_psql('postgres');

$first->query_safe("SELECT jobtrack.start_job($a)");
ok(defined JobtrackTest::wait_for(30, sub { group_status($g) eq 'running' }),
	'the first start makes the group running');
is(wakes_since($offset), 1, 'the first start woke the worker at once');

# the first session finds job b unfinished, and remembers it
$first->query_safe("SELECT jobtrack.succeed_job($a)");
# the second finishes b, and finds c unfinished
$second->query_safe("SELECT jobtrack.cancel_job($b)");
ok(drained(), 'the two finishes are drained');
is(group_status($g), 'running', 'with job c unfinished the group still runs');
is(wakes_since($offset), 1, 'finishing a job while others are unfinished woke the worker lazily');

# the first session finishes c: b, which it remembered, has finished meanwhile
$first->query_safe("SELECT jobtrack.cancel_job($c)");
ok(defined JobtrackTest::wait_for(30, sub { group_status($g) eq 'completed' }),
	'the last finish completes the group');
is(wakes_since($offset), 2, 'the last unfinished job finishing woke the worker at once');

# a group whose two started jobs finish in overlapping transactions
my ($g2, $d, $e) = new_group('overlap', 2, 2);
$offset = JobtrackTest::log_size($node);
$first->query_safe("BEGIN");
$first->query_safe("SELECT jobtrack.succeed_job($d)");
$second->query_safe("BEGIN");
$second->query_safe("SELECT jobtrack.succeed_job($e)");
$first->query_safe("COMMIT");
$second->query_safe("COMMIT");
ok(defined JobtrackTest::wait_for(30, sub { group_status($g2) eq 'completed' }),
	'the overlapping finishes complete the group');
# the first may wake it at once too: before its commit it sees e going
cmp_ok(wakes_since($offset), '>=', 1,
	'the second of two overlapping finishes saw the first one\'s job going and woke the worker at once');

# a group whose last jobs one statement finishes
my ($g3) = new_group('one statement', 3, 3);
$offset = JobtrackTest::log_size($node);
sql("UPDATE jobtrack.job_status SET status = 'succeeded' WHERE group_id = $g3");
ok(defined JobtrackTest::wait_for(30, sub { group_status($g3) eq 'completed' }),
	'the statement completes the group');
is(wakes_since($offset), 1, 'one statement finishing a group\'s last jobs woke the worker at once');

# the job a session remembers is the one another session is finishing:
# p, q started and r queued, so the index gives r first
my ($g4, $p, $q, $r) = new_group('remembered', 3, 2);
# the first session finds r unfinished, and remembers it
$first->query_safe("SELECT jobtrack.succeed_job($p)");
ok(drained(), 'the first finish is drained');
$offset = JobtrackTest::log_size($node);
$second->query_safe("BEGIN");
$second->query_safe("SELECT jobtrack.cancel_job($r)");
$first->query_safe("BEGIN");
$first->query_safe("SELECT jobtrack.succeed_job($q)");
$second->query_safe("COMMIT");
$first->query_safe("COMMIT");
ok(defined JobtrackTest::wait_for(30, sub { group_status($g4) eq 'completed' }),
	'the fourth group completes');
cmp_ok(wakes_since($offset), '>=', 1,
	'the remembered job, going in another session, did not count: the worker was woken at once');

# overlapping finishes again, the session that looked second committing first
my ($g5, $s1, $s2) = new_group('second commits first', 2, 2);
$offset = JobtrackTest::log_size($node);
$first->query_safe("BEGIN");
$first->query_safe("SELECT jobtrack.succeed_job($s1)");
$second->query_safe("BEGIN");
$second->query_safe("SELECT jobtrack.succeed_job($s2)");
$second->query_safe("COMMIT");
ok(drained(), 'the second session\'s finish is drained');
is(group_status($g5), 'running', 'with the first session\'s finish not committed the group still runs');
is(wakes_since($offset), 1, 'the second session, which looked second, woke the worker at once');
$first->query_safe("COMMIT");
ok(defined JobtrackTest::wait_for(30, sub { group_status($g5) eq 'completed' }),
	'the first session\'s commit completes the group');
is(wakes_since($offset), 2,
	'the first session looked again before its commit, found the other job finished, and woke the worker at once');

# a job going in another session does not count, but a steady one does:
# no wake-up at once while one is left
my ($g6, $x, $v, $u, $w) = new_group('one steady job left', 4, 4);
# the first session finds v unfinished, and remembers it
$first->query_safe("SELECT jobtrack.succeed_job($x)");
ok(drained(), 'the sixth group\'s first finish is drained');
$offset = JobtrackTest::log_size($node);
$second->query_safe("BEGIN");
$second->query_safe("SELECT jobtrack.succeed_job($v)");
$first->query_safe("SELECT jobtrack.succeed_job($u)");
ok(drained(), 'the finish of u is drained');
is(wakes_since($offset), 0,
	'with w unfinished and untouched, finishing u beside v going woke the worker lazily');
$second->query_safe("ROLLBACK");

# changes that leave the remembered job unfinished do not count: a, b
# started and c, d queued, so the index gives c first
my ($g7, $a7, $b7, $c7, $d7) = new_group('unfinished changes', 4, 2);
$offset = JobtrackTest::log_size($node);
# the first session finishes a and remembers c; the second starts c before the first commits
$first->query_safe("BEGIN");
$first->query_safe("SELECT jobtrack.succeed_job($a7)");
$second->query_safe("SELECT jobtrack.start_job($c7)");
$first->query_safe("COMMIT");
# a finish and the claim of the next job in one transaction
$first->query_safe("BEGIN");
$first->query_safe("SELECT jobtrack.succeed_job($b7)");
$first->query_safe("SELECT jobtrack.start_job($d7)");
$first->query_safe("COMMIT");
ok(drained(), 'the seventh group\'s changes are drained');
is(wakes_since($offset), 0,
	'a start of the remembered job, in another session or in the same transaction, woke the worker lazily');

# TRUNCATE after a lazy finish, in the same transaction: the look before
# the commit must not read the table's old file
my ($g8, $t1) = new_group('truncated', 3, 0);
$first->query_safe("BEGIN");
$first->query_safe("SELECT jobtrack.cancel_job($t1)");
$first->query_safe("TRUNCATE jobtrack.job_status");
eval { $first->query_safe("COMMIT"); };
is($@, '', 'a transaction that finished a job lazily and then truncated job_status commits');
is(sql("SELECT count(*) FROM jobtrack.job_status"), '0', 'and its TRUNCATE took');

$first->quit;
$second->quit;
$node->stop;
done_testing();
