
# Copyright (c) 2026, jobtrack authors

# The jobtrack worker raises group events by itself: it shows in
# pg_stat_activity, a session that only ran LISTEN jobtrack_events receives
# group.started and group.completed without anyone calling check_groups(),
# the events are in group_events(), the worker's figures move, it holds no
# snapshot between passes, a 4,000-byte title stays out of the notification,
# and a burst of due groups is checked in passes of at most 200.
#
# The listener and the writer talk the frontend/backend protocol over a raw
# socket (see WireSession below): psql only shows notifications after it has
# run a command, and this test wants a listener with no traffic at all after
# its LISTEN, and exact receive times.

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

# A minimal protocol-3 client: connect (trust authentication), run simple
# queries, and collect NotificationResponse messages with the time each was
# read from the socket.
package WireSession;

use IO::Select;
use Time::HiRes qw(time);

# new connects to $dbname of $node and waits until the server is ready.
sub new
{
	my ($class, $node, $dbname) = @_;
	my $self = bless {
		sock => $node->raw_connect(),
		buf => '',
		read_at => 0,
		notifications => [],
	}, $class;
	my $user = getpwuid($<);
	my $params = "user\0$user\0database\0$dbname\0application_name\0jobtrack_tap\0\0";

	$self->_send(pack('NN', 8 + length($params), 196608) . $params);
	my $result = $self->_read_until_ready(time() + 60);
	die "could not connect: $result->{error}" if defined $result->{error};
	return $self;
}

sub _send
{
	my ($self, $data) = @_;
	my $offset = 0;

	while ($offset < length($data))
	{
		my $n = syswrite($self->{sock}, $data, length($data) - $offset, $offset);
		die "could not write to the server: $!" unless defined $n;
		$offset += $n;
	}
}

# _next_message returns the next (type, body), or () when the deadline passes.
sub _next_message
{
	my ($self, $deadline) = @_;

	for (;;)
	{
		if (length($self->{buf}) >= 5)
		{
			my ($type, $len) = unpack('aN', $self->{buf});
			if (length($self->{buf}) >= 1 + $len)
			{
				my $body = substr($self->{buf}, 5, $len - 4);
				substr($self->{buf}, 0, 1 + $len) = '';
				return ($type, $body);
			}
		}
		my $left = $deadline - time();
		return () if $left <= 0;
		next unless IO::Select->new($self->{sock})->can_read($left);
		my $n = sysread($self->{sock}, my $chunk, 65536);
		die "the server closed the connection" unless $n;
		$self->{read_at} = time();
		$self->{buf} .= $chunk;
	}
}

# _handle_message files one message into $result; true at ReadyForQuery.
sub _handle_message
{
	my ($self, $type, $body, $result) = @_;

	if ($type eq 'A')
	{
		my $pid = unpack('N', $body);
		my ($channel, $payload) = split(/\0/, substr($body, 4), -1);
		push @{ $self->{notifications} },
		  {
			pid => $pid,
			channel => $channel,
			payload => $payload,
			received_at => $self->{read_at}
		  };
	}
	elsif ($type eq 'D')
	{
		my $count = unpack('n', $body);
		my $pos = 2;
		my @row;
		for (1 .. $count)
		{
			my $len = unpack('l>', substr($body, $pos, 4));
			$pos += 4;
			if ($len < 0) { push @row, undef; next; }
			push @row, substr($body, $pos, $len);
			$pos += $len;
		}
		push @{ $result->{rows} }, \@row;
	}
	elsif ($type eq 'E')
	{
		my %fields = map { substr($_, 0, 1) => substr($_, 1) }
		  grep { length } split(/\0/, $body);
		$result->{error} = "$fields{C}: $fields{M}";
	}
	elsif ($type eq 'K')
	{
		$self->{backend_pid} = unpack('N', $body);
	}
	elsif ($type eq 'R')
	{
		die "the server asks for a password" if unpack('N', $body) != 0;
	}
	elsif ($type eq 'Z')
	{
		return 1;
	}
	return 0;
}

sub _read_until_ready
{
	my ($self, $deadline) = @_;
	my $result = { rows => [], error => undef };

	for (;;)
	{
		my ($type, $body) = $self->_next_message($deadline);
		die "timed out waiting for the server" unless defined $type;
		last if $self->_handle_message($type, $body, $result);
	}
	$result->{done_at} = time();
	return $result;
}

# query runs $sql (one or more statements, one implicit transaction) and
# returns { rows, error, sent_at, done_at }; done_at is when the server's
# ReadyForQuery arrived, i.e. after the commit.
sub query
{
	my ($self, $sql) = @_;
	my $sent_at = time();

	$self->_send('Q' . pack('N', 5 + length($sql)) . $sql . "\0");
	my $result = $self->_read_until_ready(time() + 180);
	$result->{sent_at} = $sent_at;
	return $result;
}

# query_value runs $sql and returns the first column of its only row; dies on error.
sub query_value
{
	my ($self, $sql) = @_;
	my $result = $self->query($sql);

	die "query failed: $sql: $result->{error}" if defined $result->{error};
	return $result->{rows}[0][0];
}

# next_notification returns the next notification, waiting up to $timeout
# seconds for it without sending anything; undef if none came.
sub next_notification
{
	my ($self, $timeout) = @_;
	my $deadline = time() + $timeout;

	while (!@{ $self->{notifications} })
	{
		my ($type, $body) = $self->_next_message($deadline);
		return undef unless defined $type;
		$self->_handle_message($type, $body, {});
	}
	return shift @{ $self->{notifications} };
}

sub close
{
	my ($self) = @_;
	$self->_send('X' . pack('N', 4));
	close($self->{sock});
}

package main;

my $node = JobtrackTest::new_node('worker_events');

# the worker and the launcher show in pg_stat_activity
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker' AND datname = 'postgres'",
		'1'),
	'one jobtrack worker runs in database postgres');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack launcher'"),
	'1',
	'one jobtrack launcher runs');
my $worker_pid = JobtrackTest::worker_pid($node);
ok( $node->poll_query_until(
		'postgres', "SELECT worker_pid = $worker_pid FROM jobtrack.stats"),
	'jobtrack.stats shows the worker\'s PID');

my $listener = WireSession->new($node, 'postgres');
my $listen = $listener->query('LISTEN jobtrack_events');
is($listen->{error}, undef, 'the listener ran LISTEN jobtrack_events');

my $writer = WireSession->new($node, 'postgres');

# wait_event returns the next notification within 10 s, its payload parsed; undef if none.
sub wait_event
{
	my ($session) = @_;
	my $n = $session->next_notification(10);
	return undef unless defined $n;
	$n->{json} = eval { decode_json($n->{payload}) };
	return $n;
}

# a group of two jobs; creating them raises nothing (the group is pending)
my $group = $writer->query_value(
	"SELECT jobtrack.create_group('nightly import', '{\"batch\": 7}')");
my $job1 = $writer->query_value(
	"SELECT jobtrack.create_job('Import', group_id => $group)");
my $job2 = $writer->query_value(
	"SELECT jobtrack.create_job('Import', group_id => $group)");

my @latencies;

# starting a job commits; the worker raises group.started
my $start = $writer->query("SELECT jobtrack.start_job($job1)");
is($start->{error}, undef, 'start_job committed');
my $started = wait_event($listener);
ok(defined $started, 'the listener received a notification after start_job');
SKIP:
{
	skip 'no notification', 9 unless defined $started;
	my $ms = 1000 * ($started->{received_at} - $start->{done_at});
	push @latencies, $ms;
	diag sprintf('commit-to-receive latency of group.started: %.1f ms', $ms);
	cmp_ok($ms, '<', 2000, 'group.started arrived within 2 s of the commit');
	is($started->{channel}, 'jobtrack_events', 'on channel jobtrack_events');
	is($started->{pid}, $worker_pid, 'sent by the worker');
	is($started->{json}{event}, 'group.started', 'event is group.started');
	is($started->{json}{group_id}, $group, 'for the group');
	is($started->{json}{run}, 1, 'run 1');
	is($started->{json}{title}, 'nightly import', 'with its title');
	is($started->{json}{counts}{total}, 2, 'counts.total is 2');
	is($started->{json}{counts}{running}, 1, 'counts.running is 1');
}

# both jobs finish in one transaction; the worker raises group.completed
my $finish = $writer->query(
	"SELECT jobtrack.succeed_job($job1); SELECT jobtrack.start_job($job2); SELECT jobtrack.succeed_job($job2)"
);
is($finish->{error}, undef, 'the last jobs succeeded and committed');
my $completed = wait_event($listener);
ok(defined $completed,
	'the listener received a notification after the last job finished');
SKIP:
{
	skip 'no notification', 8 unless defined $completed;
	my $ms = 1000 * ($completed->{received_at} - $finish->{done_at});
	push @latencies, $ms;
	diag sprintf('commit-to-receive latency of group.completed: %.1f ms', $ms);
	cmp_ok($ms, '<', 2000, 'group.completed arrived within 2 s of the commit');
	is($completed->{pid}, $worker_pid, 'sent by the worker');
	is($completed->{json}{event}, 'group.completed', 'event is group.completed');
	is($completed->{json}{group_id}, $group, 'for the group');
	is($completed->{json}{run}, 1, 'run 1');
	is($completed->{json}{counts}{total}, 2, 'counts.total is 2');
	is($completed->{json}{counts}{succeeded}, 2, 'counts.succeeded is 2');
	is($completed->{json}{counts}{not_finished}, 0, 'counts.not_finished is 0');
}

# the same events, once each, in group_events(), with the notified ids and payloads
my $rows = $node->safe_psql(
	'postgres', qq{
SELECT id, event, run, payload::text FROM jobtrack.group_events()
 WHERE group_id = $group ORDER BY id});
my @rows = map { [ split /\|/, $_, 4 ] } split /\n/, $rows;
is_deeply(
	[ map { "$_->[1] $_->[2]" } @rows ],
	[ 'group.started 1', 'group.completed 1' ],
	'group_events() holds group.started and group.completed of run 1, once each');
SKIP:
{
	skip 'notifications missing', 2
	  unless defined $started && defined $completed && @rows == 2;
	is_deeply(
		[ map { $_->[0] } @rows ],
		[ $started->{json}{event_id}, $completed->{json}{event_id} ],
		'the notifications carry the rows\' event ids');
	is_deeply(
		[ map { decode_json($_->[3]) } @rows ],
		[ $started->{json}, $completed->{json} ],
		'group_event.payload equals the notified payload');
}
is($node->safe_psql('postgres', "SELECT status FROM jobtrack.job_group WHERE id = $group"),
	'completed', 'the group is completed');

# the worker's figures
is( $node->safe_psql(
		'postgres',
		"SELECT checks > 0, wakeups > 0, events >= 2, latency_p50_ms IS NOT NULL, worker_state FROM jobtrack.stats"
	),
	't|t|t|t|running',
	'jobtrack.stats shows checks, wake-ups, events and latencies of a running worker');
diag 'jobtrack.stats: '
  . $node->safe_psql('postgres',
	"SELECT format('checks %s, wakeups %s, events %s, latency p50 %s ms, p99 %s ms, max %s ms', checks, wakeups, events, latency_p50_ms, latency_p99_ms, latency_max_ms) FROM jobtrack.stats"
  );

# Between passes the worker holds no snapshot and no open
# transaction.  Sample its pg_stat_activity row every 50 ms for 2.5 s (five
# check intervals); samples taken during a pass are "active".
my $samples = $node->safe_psql(
	'postgres', q{
CREATE TEMP TABLE sample (state text, has_xmin bool, has_xid bool);
DO $$
BEGIN
	FOR i IN 1..50 LOOP
		PERFORM pg_stat_clear_snapshot();
		INSERT INTO sample
		SELECT state, backend_xmin IS NOT NULL, backend_xid IS NOT NULL
		  FROM pg_stat_activity WHERE backend_type = 'jobtrack worker';
		PERFORM pg_sleep(0.05);
	END LOOP;
END
$$;
SELECT count(*) FILTER (WHERE state = 'idle'),
	   count(*) FILTER (WHERE state = 'idle' AND (has_xmin OR has_xid)),
	   count(*) FILTER (WHERE state NOT IN ('idle', 'active')),
	   count(*)
  FROM sample});
my ($idle, $idle_pinning, $other, $total) = split /\|/, $samples;
is($total, 50, 'the worker was present in every sample');
cmp_ok($idle, '>', 0, 'some samples caught the worker idle between passes');
is($idle_pinning, 0, 'an idle worker never had a backend_xmin or backend_xid');
is($other, 0, 'the worker was never "idle in transaction" (only idle or active)');

# A 4,000-byte title (the longest allowed) is cut in the notification, whole in the row
my $long = $writer->query_value(
	"SELECT jobtrack.create_group(repeat('t', 4000), jsonb_build_object('blob', repeat('p', 1000000)))"
);
my $long_job = $writer->query_value(
	"SELECT jobtrack.create_job('Import', group_id => $long)");
my $long_done = $writer->query(
	"SELECT jobtrack.start_job($long_job); SELECT jobtrack.succeed_job($long_job)");
is($long_done->{error}, undef, 'a job of the long-titled group finished');
my @long_events;
while (my $n = wait_event($listener))
{
	push @long_events, $n;
	last if @long_events == 2;
}
is_deeply(
	[ map { $_->{json}{event} // 'unparsable' } @long_events ],
	[ 'group.started', 'group.completed' ],
	'the long-titled group raised group.started and group.completed');
for my $n (@long_events)
{
	my $event = $n->{json}{event} // 'unparsable';
	cmp_ok(length($n->{payload}), '<', 8000,
		"the $event payload is under 8000 bytes");
	ok($n->{json}{title_truncated}, "the $event payload has title_truncated true");
	is(length($n->{json}{title} // ''), 1000,
		"the $event payload has the first 1000 characters of the title");
	is($n->{json}{group_id}, $long, "the $event payload names the group");
}
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(length(payload->>'title') || ' ' || (payload ? 'title_truncated'), ',' ORDER BY id) FROM jobtrack.group_events() WHERE group_id = $long"
	),
	'4000 false,4000 false',
	'group_event.payload keeps the whole title');
like(
	$node->safe_psql('postgres', 'SELECT worker_state FROM jobtrack.stats'),
	qr/^running$/,
	'the worker is still running after the long title');
is( $node->safe_psql(
		'postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'"),
	$worker_pid,
	'and it is the same worker process');

# jobtrack.notify_payload = ids: the notification names the event and nothing
# else; the row keeps the whole payload for group_events()
$node->safe_psql('postgres', "ALTER SYSTEM SET jobtrack.notify_payload = 'ids'; SELECT pg_reload_conf()");
ok( JobtrackTest::poll_until(10, sub {
		(JobtrackTest::query($node, 'SHOW jobtrack.notify_payload') // '') eq 'ids' }),
	'jobtrack.notify_payload is ids after a reload');
my $quiet = $writer->query_value("SELECT jobtrack.create_group('secret title', '{\"k\": 1}')");
my $quiet_job = $writer->query_value("SELECT jobtrack.create_job('Import', group_id => $quiet)");
$writer->query("SELECT jobtrack.start_job($quiet_job); SELECT jobtrack.succeed_job($quiet_job)");
my @quiet_events;
while (my $n = wait_event($listener))
{
	push @quiet_events, $n;
	last if @quiet_events == 2;
}
is_deeply(
	[ map { join ',', sort keys %{ $_->{json} // {} } } @quiet_events ],
	[ 'event,event_id,group_id,run', 'event,event_id,group_id,run' ],
	'with ids, both notifications carry only event, event_id, group_id and run');
unlike(join('', map { $_->{payload} } @quiet_events), qr/secret/, 'the title is not in them');
is( $node->safe_psql('postgres',
		"SELECT string_agg(e.event || ' ' || (e.payload->>'title') || ' ' || (e.id = (n->>'event_id')::bigint), ',' ORDER BY e.id)"
		  . " FROM jobtrack.group_events() e, pg_catalog.json_array_elements('["
		  . join(',', map { $_->{payload} } @quiet_events)
		  . "]') n WHERE e.group_id = $quiet AND e.event = n->>'event'"),
	'group.started secret title true,group.completed secret title true',
	'group_events() has the whole payload of the events the notifications name');
$node->safe_psql('postgres', "ALTER SYSTEM RESET jobtrack.notify_payload; SELECT pg_reload_conf()");

# many groups due at once: the worker checks them in passes of at most 200,
# those due longest first, one right after another, so that no pass holds
# events back for long.  Groups checked in one pass share its checked_at.
$node->safe_psql('postgres', q{
	CREATE TABLE due_burst AS
	  SELECT i, jobtrack.create_group('due burst ' || i, time_to_check => '1 hour') AS id
	    FROM generate_series(1, 450) i;
	UPDATE jobtrack.job_group g SET next_check_at = now() - (1000 - d.i) * interval '1 second'
	  FROM due_burst d WHERE g.id = d.id;
});
ok( JobtrackTest::poll_until(30, sub {
		(JobtrackTest::query($node,
			'SELECT count(*) FROM due_burst d JOIN jobtrack.job_group g USING (id) WHERE g.checked_at IS NULL') // '') eq '0' }),
	'the worker checks 450 groups that fall due at once');
is( $node->safe_psql('postgres', q{
		SELECT string_agg(n || ' groups, ' || first || '-' || last, '; ' ORDER BY first)
		  FROM (SELECT g.checked_at, count(*) AS n, min(d.i) AS first, max(d.i) AS last
		          FROM due_burst d JOIN jobtrack.job_group g USING (id) GROUP BY g.checked_at) p}),
	'200 groups, 1-200; 200 groups, 201-400; 50 groups, 401-450',
	'in three passes of at most 200, those due longest first');

diag sprintf('commit-to-notification latencies: %s ms',
	join(', ', map { sprintf('%.1f', $_) } @latencies));

$listener->close;
$writer->close;
$node->stop;

done_testing();
