
# Copyright (c) 2026, jobtrack authors

# Load with faults.
#
# Bounded for a 2-core machine: 16 clients run group lifecycles in 4 shared
# groups for 45 s, so the whole file stays near 60-75 s.  Meanwhile a loop
# terminates a random client backend every 200 ms (pg_terminate_backend) and
# the worker is killed twice with SIGKILL (each a crash restart of the
# cluster).  Afterwards the clients' ledger equals the table, each completed
# group's last event carries the counts of its jobs, no deadlock happened,
# and the event invariant holds.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
# test/perl, also when prove is not given -I ./test/perl
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $LOAD_SECONDS = 45;
my @KILL_WORKER_AT = (15, 30);

my $node = JobtrackTest::new_node('main',
	extra_conf => "restart_after_crash = on\nlog_statement = none\n");
my $log_start = JobtrackTest::log_size($node);
my $deadlocks_sql =
  "SELECT deadlocks FROM pg_stat_database WHERE datname = 'postgres'";

ok(defined JobtrackTest::wait_for_worker($node), 'the jobtrack worker runs');

my $clients = JobtrackTest::start_clients($node, clients => 16, shared_groups => 4, think_ms => 20);
ok(JobtrackTest::wait_for_progress($node, 10, 60), 'the clients finish jobs');

# one session of its own, reconnecting after each crash restart
my $killer = JobtrackTest::session($node, 'jtkiller');
my $start = time;
my ($attempts, $terminated) = (0, 0);
my @killed;
my $tick = 0;
while (time - $start < $LOAD_SECONDS)
{
	my $elapsed = time - $start;
	if (@killed < @KILL_WORKER_AT && $elapsed >= $KILL_WORKER_AT[ scalar @killed ])
	{
		my $pid = JobtrackTest::worker_pid($node);
		if (defined $pid && kill('KILL', $pid))
		{
			push @killed, $pid;
			note(sprintf('%.1f s: killed worker %d', $elapsed, $pid));
		}
	}
	my ($out, $error) = $killer->query(
		q{SELECT 'ok:' || coalesce((SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity
									  WHERE application_name = 'jtclient'
									  ORDER BY random() LIMIT 1), 'none')});
	$attempts++;
	push @{ $killer->{errors} }, $error if defined $error;
	$terminated++ if defined $out && $out eq 'true';

	# pace the terminations: one every 200 ms
	$tick++;
	my $next = $start + 0.2 * $tick;
	sleep($next - time) if $next > time;
}
$killer->close_session;
note("terminated $terminated client backends in $attempts attempts");
cmp_ok($terminated, '>=', 100, 'client backends were terminated all along');
is_deeply($killer->{errors}, [], 'pg_terminate_backend raised no error');
is(scalar @killed, scalar @KILL_WORKER_AT, 'the worker was killed twice');

ok(defined JobtrackTest::wait_for_worker($node, timeout => 60),
	'the worker runs after the last kill');
# crash recovery discards the statistics: count deadlocks from here on, and
# look for them in the log for the whole run
my $deadlocks = $node->safe_psql('postgres', $deadlocks_sql);

my $result = JobtrackTest::stop_clients($clients, timeout => 60);
is_deeply($result->{errors}, [], 'the clients saw no error but lost connections');
note("$result->{lifecycles} lifecycles, " . scalar(keys %{ $result->{ledger} }) . ' jobs');
cmp_ok($result->{lifecycles}, '>=', 32, 'the clients ran group lifecycles');

my $log = slurp_file($node->logfile);
foreach my $killed (@killed)
{
	like(
		$log,
		qr/background worker "jobtrack worker" \(PID $killed\) was terminated by signal 9/,
		"the server saw worker $killed killed");
}

is_deeply([ JobtrackTest::ledger_problems($node, $result->{ledger}) ],
	[], 'the ledger equals the table');
ok(JobtrackTest::wait_settled($node), 'the worker evaluated every change');
note(JobtrackTest::summary($node));
is( $node->safe_psql('postgres',
		"SELECT string_agg(title || ':' || status, ',' ORDER BY title) FROM jobtrack.job_group"),
	'shared-1:completed,shared-2:completed,shared-3:completed,shared-4:completed',
	'the clients used four shared groups, completed at the end');
is_deeply([ JobtrackTest::event_problems($node) ], [], 'events exact');
is_deeply([ JobtrackTest::payload_problems($node) ], [],
	'each completed group\'s last event carries its job counts');
is($node->safe_psql('postgres', $deadlocks_sql), $deadlocks,
	'pg_stat_database.deadlocks did not increase');
is_deeply([ JobtrackTest::log_problems($node, $log_start) ],
	[], 'no deadlock, error or unexpected worker exit in the server log');

$node->stop;
done_testing();
