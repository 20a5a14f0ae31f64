
# Copyright (c) 2026, jobtrack authors

# Spoofed notifications.  Any role may NOTIFY on
# jobtrack_events, so the README tells listeners to treat a notification as
# a hint and confirm it by its event_id in jobtrack.group_events() (or check
# that it came from jobtrack.stats.worker_pid) before acting.  Here an
# unprivileged role sends a fake group.completed, a forged payload that
# reuses a real event_id, and an exact copy of a real payload; a listener
# following the recipe, as a user would write it with psql, acts on each
# real event once and on nothing else.

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

my $node = JobtrackTest::new_node('spoofed_notify', no_extension => 1);

# the extension and the README's roles, its own grant block; mallory has no grant at all
$node->safe_psql('postgres',
	'CREATE EXTENSION jobtrack;' . JobtrackTest::readme_sql('Roles') . q{
CREATE ROLE writer LOGIN IN ROLE app_writer;
CREATE ROLE listener LOGIN IN ROLE app_reader;
CREATE ROLE mallory LOGIN;
});

# as runs SQL as a role and returns (exit code, stdout, stderr).
sub as
{
	my ($role, $sql) = @_;
	my ($ret, $stdout, $stderr) =
	  $node->psql('postgres', $sql, extra_params => [ '-U', $role ]);
	return ($ret, $stdout, $stderr);
}

ok(JobtrackTest::wait_for(30, sub { $node->safe_psql('postgres', 'SELECT worker_pid IS NOT NULL FROM jobtrack.stats') eq 't' }),
	'the worker runs');

# the listener: LISTEN, and psql prints notifications after each command
my $listener = $node->background_psql('postgres', extra_params => [ '-U', 'listener' ]);
$listener->set_query_timer_restart;
$listener->query_safe('LISTEN jobtrack_events');
my $worker_pid = $listener->query_safe('SELECT worker_pid FROM jobtrack.stats');
like($worker_pid, qr/^\d+$/, 'the listener reads the worker\'s PID from jobtrack.stats');

# mallory listens too: any role may
my $mallory = $node->background_psql('postgres', extra_params => [ '-U', 'mallory' ]);
$mallory->set_query_timer_restart;
$mallory->query_safe('LISTEN jobtrack_events');
my $mallory_pid = $mallory->query_safe('SELECT pg_backend_pid()');

# a real group, run by the writer role
my ($ret, $group, $stderr) = as(
	'writer', q{
SELECT jobtrack.create_group('payroll') AS g \gset
SELECT jobtrack.create_job('Pay', group_id => :g) AS j \gset
SELECT jobtrack.start_job(:j) \g /dev/null
SELECT jobtrack.succeed_job(:j) \g /dev/null
SELECT :g});
is($ret, 0, 'the writer ran a group of one job') or diag $stderr;

# mallory cannot write events nor run the evaluator ...
($ret, undef, $stderr) = as('mallory',
	q{INSERT INTO jobtrack.group_event (group_id, run, event, payload) VALUES (1, 1, 'group.completed', '{}')}
);
like($stderr, qr/permission denied/, 'mallory cannot insert into group_event');
($ret, undef, $stderr) = as('writer',
	q{INSERT INTO jobtrack.group_event (group_id, run, event, payload) VALUES (1, 1, 'group.completed', '{}')}
);
like($stderr, qr/permission denied/, 'nor can a writer');
($ret, undef, $stderr) = as('writer', 'SELECT jobtrack.check_groups()');
like($stderr, qr/permission denied/, 'a writer cannot run check_groups()');

# ... but may NOTIFY anything on the channel
my $fake = encode_json(
	{
		event => 'group.completed',
		event_id => 999999,
		group_id => $group + 0,
		run => 1,
		title => 'payroll',
		at => '2026-01-01T00:00:00+00:00',
		counts => { total => 1, succeeded => 1, finished => 1, not_finished => 0 }
	});
# (psql prints the notifications mallory receives after any of her commands)
my @mallory_saw;
my ($out, $failed) = $mallory->query("NOTIFY jobtrack_events, '$fake'");
push @mallory_saw, JobtrackTest::notifications_in($out);
is($failed, 0, 'mallory can NOTIFY a fake group.completed on jobtrack_events');

# mallory saw the real notifications; she forges one with a real event_id,
# and replays one exactly
my @real_seen;
ok( JobtrackTest::wait_for(
		10,
		sub {
			push @mallory_saw, JobtrackTest::notifications_in($mallory->query_safe('SELECT 1'));
			@real_seen = grep { $_->{pid} != $mallory_pid } @mallory_saw;
			@real_seen >= 2;
		}),
	'mallory received the real notifications too');
my $real_started = decode_json($real_seen[0]{payload});
my $real_completed = $real_seen[1]{payload};
my $forged = encode_json({ %$real_started, event => 'group.completed', group_id => $group + 1000 });
($out, $failed) = $mallory->query("NOTIFY jobtrack_events, '$forged'");
is($failed, 0, 'mallory can NOTIFY a forged payload with a real event_id');
($out, $failed) = $mallory->query("NOTIFY jobtrack_events, '$real_completed'");
is($failed, 0, 'mallory can NOTIFY an exact copy of a real payload');
$mallory->quit;

# the listener collects the five notifications
my @received;
ok( JobtrackTest::wait_for(
		10,
		sub {
			push @received, JobtrackTest::notifications_in($listener->query_safe('SELECT 1'));
			@received >= 5;
		}),
	'the listener received five notifications');
is(scalar @received, 5, 'exactly five: two real, three from mallory');

# The README recipe, as a listener writes it: confirm each notification by
# its event_id in group_events(), act on the row (not on the payload), and
# skip an event_id already handled.
my (@acted, %handled, %verdict);
for my $n (@received)
{
	my $claim = eval { decode_json($n->{payload}) } // {};
	my $id = $claim->{event_id};
	my $key = "$n->{payload} from $n->{pid}";
	if (!defined $id || $id !~ /^\d+$/)
	{
		$verdict{$key} = 'rejected: no event_id';
		next;
	}
	my $row = $listener->query_safe(
		"SELECT event, group_id, run FROM jobtrack.group_events(after_id => $id - 1) WHERE id = $id"
	);
	my ($event, $group_id, $run) = split /\|/, $row;
	if (!defined $event)
	{
		$verdict{$key} = 'rejected: unknown event_id';
	}
	elsif ($event ne ($claim->{event} // '')
		|| $group_id ne ($claim->{group_id} // '')
		|| $run ne ($claim->{run} // ''))
	{
		$verdict{$key} = 'rejected: does not match its event_id';
	}
	elsif ($handled{$id}++)
	{
		$verdict{$key} = 'skipped: already handled';
	}
	else
	{
		$verdict{$key} = 'acted';
		push @acted, "$event $group_id $run";
	}
}
note explain \%verdict;
is_deeply(\@acted, [ "group.started $group 1", "group.completed $group 1" ],
	'the listener acted on the two real events, once each, and on nothing else');
is($verdict{"$fake from $mallory_pid"}, 'rejected: unknown event_id',
	'the fake group.completed is rejected: its event_id is not in group_events()');
is($verdict{"$forged from $mallory_pid"}, 'rejected: does not match its event_id',
	'the forged payload with a real event_id is rejected: the row says otherwise');
is($verdict{"$real_completed from $mallory_pid"}, 'skipped: already handled',
	'the exact copy of a real payload is skipped: that event was handled');

# the other check of the README: the sender's PID
my @from_worker = grep { $_->{pid} == $worker_pid } @received;
is(scalar @from_worker, 2, 'two notifications came from jobtrack.stats.worker_pid');
is_deeply(
	[ map { my $p = decode_json($_->{payload}); "$p->{event} $p->{group_id}" } @from_worker ],
	[ "group.started $group", "group.completed $group" ],
	'and they are the real events');
is(scalar(grep { $_->{pid} == $mallory_pid } @received), 3,
	'the three others came from mallory\'s backend, not from the worker');

$listener->quit;
$node->stop;

done_testing();
