
# Copyright (c) 2026, jobtrack authors

# COMMIT PREPARED wakes the worker like a plain commit.
#
# The check interval is five minutes and the group is checked on schedule
# only hourly, so nothing but a wake-up at commit makes the worker evaluate
# the group within the test, and its drain reads only from the blocks that
# commits wrote to.  A job's last finish is prepared (no event: it is not
# committed), passes run for another group, then the finish is committed
# with COMMIT PREPARED from another session: group.completed follows within
# seconds.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $node = JobtrackTest::new_node('prepared',
	extra_conf => "max_prepared_transactions = 5\njobtrack.check_interval = '5min'\n");
ok(defined JobtrackTest::wait_for_worker($node), 'the worker runs');

my $group = $node->safe_psql('postgres',
	"SELECT jobtrack.create_group('prepared', NULL, '1 hour')");
my $job = $node->safe_psql('postgres',
	"SELECT jobtrack.create_job('Part', group_id => $group)");
my $events = "SELECT coalesce(string_agg(event, ',' ORDER BY id), '') FROM jobtrack.group_event WHERE group_id = $group";

# a plain commit wakes the worker
$node->safe_psql('postgres', "SELECT jobtrack.start_job($job)");
ok( JobtrackTest::poll_until(10, sub { (JobtrackTest::query($node, $events) // '') eq 'group.started' }),
	'group.started follows the plain commit of start_job');

# the last finish, prepared: not committed, so no event
$node->safe_psql('postgres',
	"BEGIN; SELECT jobtrack.succeed_job($job); PREPARE TRANSACTION 'finish';");
sleep 1;
is($node->safe_psql('postgres', $events), 'group.started', 'a prepared finish raises nothing');

# Passes run before the COMMIT PREPARED (woken by another group's change):
# the prepared change was written before them and must still be drained
# after it, so the worker keeps its block until that transaction ends.
my $other = $node->safe_psql('postgres', "SELECT jobtrack.create_group('other', NULL, '1 hour')");
my $other_job = $node->safe_psql('postgres', "SELECT jobtrack.create_job('Part', group_id => $other)");
$node->safe_psql('postgres', "SELECT jobtrack.start_job($other_job)");
ok( JobtrackTest::poll_until(10,
		sub { (JobtrackTest::query($node, "SELECT count(*) FROM jobtrack.group_event WHERE group_id = $other") // '') eq '1' }),
	'a pass ran for another group meanwhile');
is($node->safe_psql('postgres', $events), 'group.started', 'and the prepared finish still raises nothing');

# committed from another session: the worker wakes at once
my $t0 = time;
$node->safe_psql('postgres', "COMMIT PREPARED 'finish'");
ok( JobtrackTest::poll_until(10,
		sub { (JobtrackTest::query($node, $events) // '') eq 'group.started,group.completed' }),
	'group.completed follows COMMIT PREPARED');
cmp_ok(time - $t0, '<', 30, 'well before the five-minute check');

# a rolled-back prepared transaction leaves the group as it was
my $job2 = $node->safe_psql('postgres', "SELECT jobtrack.create_job('Part', group_id => $group)");
ok( JobtrackTest::poll_until(10,
		sub { (JobtrackTest::query($node, "SELECT status FROM jobtrack.job_group WHERE id = $group") // '') eq 'pending' }),
	'a new job reopens the group');
$node->safe_psql('postgres',
	"BEGIN; SELECT jobtrack.start_job($job2); PREPARE TRANSACTION 'undone';");
$node->safe_psql('postgres', "ROLLBACK PREPARED 'undone'");
sleep 1;
is($node->safe_psql('postgres', $events), 'group.started,group.completed',
	'ROLLBACK PREPARED raises nothing');
is_deeply([ JobtrackTest::log_problems($node) ], [], 'no error in the server log');

$node->stop;
done_testing();
