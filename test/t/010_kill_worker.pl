
# Copyright (c) 2026, jobtrack authors

# SIGKILL the jobtrack worker mid-stream.
#
# Four clients run group lifecycles while the worker is killed with
# SIGKILL every ~3 s, five times.  A killed background worker makes the
# postmaster restart every backend (restart_after_crash = on): the clients
# reconnect and carry on.  Afterwards every group has exactly its expected
# event sequence, its counts are right, and every acknowledged job status
# is in the table.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
# test/perl, also when prove is not given -I ./test/perl
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $node = JobtrackTest::new_node('main',
	extra_conf => "restart_after_crash = on\nlog_statement = none\n");
my $log_start = JobtrackTest::log_size($node);

my $pid = JobtrackTest::wait_for_worker($node);
ok(defined $pid, 'the jobtrack worker runs');

my $clients = JobtrackTest::start_clients($node, clients => 4);
ok(JobtrackTest::wait_for_progress($node, 10, 60), 'the clients finish jobs');

my @killed;
foreach my $round (1 .. 5)
{
	my $since = time;

	# let the load run for about 3 s, with jobs finishing, between kills
	my $ready = JobtrackTest::poll_until(
		60,
		sub {
			return time - $since >= 3
			  && defined($pid = JobtrackTest::worker_pid($node));
		});
	ok($ready, "round $round: the worker is back before the next kill")
	  or last;

	kill('KILL', $pid) or BAIL_OUT("cannot kill worker $pid: $!");
	push @killed, $pid;

	# the postmaster restarts everything, the launcher starts a new worker
	my $new = JobtrackTest::wait_for_worker($node, not => $pid, timeout => 60);
	ok(defined $new, "round $round: a new worker runs after SIGKILL of $pid");
	ok(JobtrackTest::wait_for_progress($node, 5, 60),
		"round $round: the clients carry on after the crash restart");
}

my $result = JobtrackTest::stop_clients($clients);
is_deeply($result->{errors}, [], 'the clients saw no error but lost connections');
cmp_ok($result->{lifecycles}, '>=', 10, 'the clients ran group lifecycles')
  or diag("lifecycles: $result->{lifecycles}");

my $log = slurp_file($node->logfile);
foreach my $killed (@killed)
{
	like(
		$log,
		qr/background worker "jobtrack worker" \(PID $killed\) was terminated by signal 9/,
		"the server saw worker $killed killed");
}
my $restarts = () = $log =~ /all server processes terminated; reinitializing/g;
is($restarts, scalar @killed, 'each kill crash-restarted the cluster');

ok(JobtrackTest::wait_settled($node), 'the worker evaluated every change');
note(JobtrackTest::summary($node));
is_deeply([ JobtrackTest::event_problems($node) ], [], 'events exact');
is_deeply([ JobtrackTest::payload_problems($node) ], [],
	'event payloads consistent');
is_deeply([ JobtrackTest::ledger_problems($node, $result->{ledger}) ],
	[], 'every acknowledged status is in the table');
is_deeply([ JobtrackTest::log_problems($node, $log_start) ],
	[], 'no error, deadlock or unexpected worker exit in the server log');

$node->stop;
done_testing();
