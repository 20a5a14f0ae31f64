
# Copyright (c) 2026, jobtrack authors

# The jobtrack worker under SIGTERM and SIGHUP:
# pg_terminate_backend() of the worker brings a new one within the launcher's
# restart delay (5 s) + 2 s; a pass terminated half-way leaves no partial
# state and no event, and the next worker raises each event exactly once;
# a reloaded jobtrack.check_interval reaches the worker; an invalid
# jobtrack.notify_channel is rejected and the worker keeps the old channel.

use strict;
use warnings;

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
# test/perl, also when prove is not given -I ./test/perl
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $node = JobtrackTest::new_node('worker_signals');

# worker_pid returns the PID of the jobtrack worker in pg_stat_activity, or ''.
sub worker_pid
{
	return JobtrackTest::worker_pid($node) // '';
}

# checks returns jobtrack.stats.checks.
sub checks
{
	return $node->safe_psql('postgres', 'SELECT checks FROM jobtrack.stats');
}

# A listener that only ran LISTEN; psql prints notifications after each
# command, so poll_notifications runs a no-op query and collects them.
my @notifications;
my $listener = $node->background_psql('postgres');
$listener->set_query_timer_restart;
$listener->query_safe('LISTEN jobtrack_events');

sub poll_notifications
{
	for my $n (JobtrackTest::notifications_in($listener->query_safe('SELECT 1')))
	{
		push @notifications,
		  { %$n, json => eval { decode_json($n->{payload}) } // {} };
	}
	return scalar @notifications;
}

# notifications_for returns "event run" of the notifications of a group.
sub notifications_for
{
	my ($group) = @_;
	return [ map { "$_->{json}{event} $_->{json}{run}" }
		  grep { ($_->{json}{group_id} // 0) == $group } @notifications ];
}

# events_for returns "event run" of a group's rows in group_events().
sub events_for
{
	my ($group) = @_;
	return [
		split /\n/,
		$node->safe_psql(
			'postgres',
			"SELECT event || ' ' || run FROM jobtrack.group_events() WHERE group_id = $group ORDER BY id"
		) ];
}

ok(JobtrackTest::wait_for(30, sub { worker_pid() ne '' }), 'the worker runs');
my $first_pid = worker_pid();

# 1. pg_terminate_backend: the launcher starts a new worker after 5 s
my $terminated_at = time();
is($node->safe_psql('postgres', "SELECT pg_terminate_backend($first_pid)"),
	't', 'pg_terminate_backend() of the worker');
my $took = JobtrackTest::wait_for(
	30,
	sub {
		my $pid = worker_pid();
		$pid ne '' && $pid ne $first_pid;
	});
ok(defined $took, 'a new worker appears after pg_terminate_backend()');
diag sprintf('new worker after %.1f s', $took // -1);
cmp_ok($took // 99, '<', 7, 'within the restart delay (5 s) + 2 s');
my $second_pid = worker_pid();
ok( $node->poll_query_until(
		'postgres',
		"SELECT worker_pid = $second_pid AND worker_state = 'running' FROM jobtrack.stats"
	),
	'jobtrack.stats shows the new worker running');
my $g0 = JobtrackTest::finished_group($node, 'after restart');
ok(JobtrackTest::wait_for(10, sub { poll_notifications(); @{ notifications_for($g0) } == 2 }),
	'the new worker raises events');
is_deeply(notifications_for($g0), [ 'group.started 1', 'group.completed 1' ],
	'group.started and group.completed, once each');
is(($notifications[-1]{pid} // ''), $second_pid, 'sent by the new worker');
unlike(slurp_file($node->logfile), qr/terminated by signal/,
	'no process of the server crashed');

# 2. SIGTERM during a pass.  A session holding SHARE lock on group_event
# makes the worker's pass wait at its first event insert, after it has
# already drained the changes and updated the groups in its transaction.
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN');
$locker->query_safe('LOCK TABLE jobtrack.group_event IN SHARE MODE');

my @groups = map { JobtrackTest::finished_group($node, "terminated pass $_") } 1 .. 3;
ok( $node->poll_query_until(
		'postgres',
		"SELECT wait_event_type = 'Lock' AND state = 'active' FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'"
	),
	'the worker\'s pass waits for the lock on group_event');
my $blocked_pid = worker_pid();
is($node->safe_psql('postgres', "SELECT pg_terminate_backend($blocked_pid)"),
	't', 'pg_terminate_backend() of the worker in the middle of its pass');
ok(JobtrackTest::wait_for(30, sub { worker_pid() ne $blocked_pid }),
	'the terminated worker is gone');
$locker->query_safe('ROLLBACK');
$locker->quit;

my $group_list = join(',', @groups);
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(status || ' ' || run, ',' ORDER BY id) FROM jobtrack.job_group WHERE id IN ($group_list)"
	),
	'pending 1,pending 1,pending 1',
	'the terminated pass left the groups unchanged');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM jobtrack.group_event WHERE group_id IN ($group_list)"
	),
	'0',
	'and raised no event');
$took = JobtrackTest::wait_for(
	30,
	sub {
		$node->safe_psql('postgres',
			"SELECT count(*) FROM jobtrack.group_event WHERE group_id IN ($group_list)"
		) == 6;
	});
ok(defined $took, 'the next worker raises the events of the terminated pass');
diag sprintf('events raised %.1f s after the terminated pass', $took // -1);
isnt(worker_pid(), $blocked_pid, 'by a new worker');
for my $g (@groups)
{
	is_deeply(events_for($g), [ 'group.started 1', 'group.completed 1' ],
		"group $g has group.started and group.completed of run 1, once each");
}
is( $node->safe_psql(
		'postgres',
		'SELECT count(*) = count(DISTINCT (group_id, run, event)) FROM jobtrack.group_event'
	),
	't',
	'no (group, run, event) has two rows');
ok( JobtrackTest::wait_for(
		10,
		sub {
			poll_notifications();
			!grep { @{ notifications_for($_) } < 2 } @groups;
		}),
	'the listener received the events of the terminated pass');
for my $g (@groups)
{
	is_deeply(notifications_for($g), [ 'group.started 1', 'group.completed 1' ],
		"the listener got group $g\'s events once each, none from the terminated pass"
	);
}
my %seen;
my @duplicates = grep { $seen{ $_->{json}{event_id} // '' }++ } @notifications;
is(scalar @duplicates, 0, 'no event_id was notified twice');

# 3. SIGHUP: a reloaded check_interval reaches the worker.  With '1h' the
# worker only checks when woken, so jobtrack.stats.checks stops moving; with
# '1s' it moves again with no commit at all.
my $pid_before_reload = worker_pid();
$node->safe_psql('postgres',
	"ALTER SYSTEM SET jobtrack.check_interval = '1h'; SELECT pg_reload_conf()");
ok( $node->poll_query_until('postgres', 'SHOW jobtrack.check_interval', '1h'),
	'a new session shows check_interval 1h after the reload');
my ($last, $since) = (checks(), time());
ok( JobtrackTest::wait_for(
		30,
		sub {
			my $now = checks();
			($last, $since) = ($now, time()) if $now ne $last;
			time() - $since >= 3;
		}),
	'with check_interval 1h the worker stops its scheduled checks');
my $quiet_checks = checks();
$node->safe_psql('postgres',
	"ALTER SYSTEM SET jobtrack.check_interval = '1s'; SELECT pg_reload_conf()");
ok( $node->poll_query_until('postgres', 'SHOW jobtrack.check_interval', '1s'),
	'a new session shows check_interval 1s after the reload');
$took = JobtrackTest::wait_for(15, sub { checks() >= $quiet_checks + 3 });
ok(defined $took, 'with check_interval 1s the worker checks again on its own');
diag sprintf('three checks %.1f s after the reload to 1s', $took // -1);
is(worker_pid(), $pid_before_reload, 'the reload did not restart the worker');
my $g1 = JobtrackTest::finished_group($node, 'after reload');
ok(JobtrackTest::wait_for(10, sub { poll_notifications(); @{ notifications_for($g1) } == 2 }),
	'events still flow after the reload');

# 4. An invalid notify_channel (70 characters) is rejected.
my $long_channel = 'c' x 70;
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"ALTER SYSTEM SET jobtrack.notify_channel = '$long_channel'");
isnt($ret, 0, 'ALTER SYSTEM SET jobtrack.notify_channel to 70 characters fails');
like(
	$stderr,
	qr/invalid value for parameter "jobtrack.notify_channel"/,
	'with "invalid value for parameter"');

# the same value written into postgresql.conf by hand, then reloaded
my $log_offset = JobtrackTest::log_size($node);
$node->append_conf('postgresql.conf', "jobtrack.notify_channel = '$long_channel'");
$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
ok( eval {
		$node->wait_for_log(
			qr/invalid value for parameter "jobtrack.notify_channel"/,
			$log_offset);
		1;
	},
	'the reload logs that the 70-character channel is an invalid value');
is($node->safe_psql('postgres', 'SHOW jobtrack.notify_channel'),
	'jobtrack_events', 'a new session still has channel jobtrack_events');
my $g2 = JobtrackTest::finished_group($node, 'after bad channel');
ok(JobtrackTest::wait_for(10, sub { poll_notifications(); @{ notifications_for($g2) } == 2 }),
	'a listener on jobtrack_events still receives the events');
is_deeply(notifications_for($g2), [ 'group.started 1', 'group.completed 1' ],
	'group.started and group.completed, once each');
is(($notifications[-1]{pid} // ''), $pid_before_reload,
	'from the same worker, which kept running');
is($node->safe_psql('postgres', 'SELECT worker_state FROM jobtrack.stats'),
	'running', 'jobtrack.stats says the worker is running');
unlike(slurp_file($node->logfile), qr/terminated by signal|PANIC/,
	'no process of the server crashed');

$listener->quit;
$node->stop;

done_testing();
