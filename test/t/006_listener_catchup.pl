
# Copyright (c) 2026, jobtrack authors

# A listener that was disconnected catches up.  It
# records the event ids it processed and disconnects; 100 events are raised
# (50 groups, each started and completed); it reconnects, runs LISTEN, then
# reads jobtrack.group_events(after_id => last_seen), then the notifications,
# and skips every event_id it has already processed.  It processes each of
# the 100 events exactly once and misses none, also while new events keep
# arriving during the reconnect.

use strict;
use warnings;

use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
# test/perl, also when prove is not given -I ./test/perl
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $node = JobtrackTest::new_node('listener_catchup');

# groups_sql returns psql input that runs $count group lifecycles titled
# "$prefix $i": one job each, started and succeeded in separate commits.
sub groups_sql
{
	my ($prefix, $count, $pause) = @_;
	my $sql = '';
	for my $i (1 .. $count)
	{
		$sql .= qq{SELECT jobtrack.create_group('$prefix $i') AS g \\gset
SELECT jobtrack.create_job('Import', group_id => :g) AS j \\gset
SELECT jobtrack.start_job(:j) \\g /dev/null
SELECT jobtrack.succeed_job(:j) \\g /dev/null
};
		$sql .= "SELECT pg_sleep($pause) \\g /dev/null\n" if $pause;
	}
	return $sql;
}

# event_count returns the number of events after $after_id.
sub event_count
{
	my ($after_id) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM jobtrack.group_events(after_id => $after_id)");
}

# raise_groups runs $count group lifecycles and waits until their events are raised.
sub raise_groups
{
	my ($prefix, $count) = @_;
	$node->safe_psql('postgres', groups_sql($prefix, $count));
	return JobtrackTest::wait_for(
		30,
		sub {
			$node->safe_psql(
				'postgres', qq{
SELECT count(*) FROM jobtrack.group_event e JOIN jobtrack.job_group g ON g.id = e.group_id
 WHERE g.title LIKE '$prefix %'}) == 2 * $count;
		});
}

# The listener, as an application would write it: it remembers the ids it
# processed and skips one it has seen.
my (%seen, @processed, $skipped, @notified_ids);

sub process
{
	my ($id, $group, $run, $event, $source) = @_;
	if ($seen{$id}++)
	{
		$skipped++;
		return;
	}
	push @processed,
	  { id => $id, group => $group, run => $run, event => $event, source => $source };
}

# read_output processes what psql printed: replayed rows (id|group|run|event)
# and notifications, in the order printed.
sub read_output
{
	my ($out) = @_;
	for my $line (split /\n/, $out)
	{
		if ($line =~
			/^Asynchronous notification "jobtrack_events" with payload "(.*)" received from server process with PID \d+\.$/
		  )
		{
			my $e = decode_json($1);
			push @notified_ids, $e->{event_id};
			process($e->{event_id}, $e->{group_id}, $e->{run}, $e->{event}, 'notification');
		}
		elsif ($line =~ /^(\d+)\|(\d+)\|(\d+)\|(\S+)$/)
		{
			process($1, $2, $3, $4, 'replay');
		}
	}
}

# first connection: LISTEN and process a group's events
my $listener = $node->background_psql('postgres');
$listener->set_query_timer_restart;
$listener->query_safe('LISTEN jobtrack_events');
ok(defined raise_groups('before', 1), 'a first group raised its events');
ok( JobtrackTest::wait_for(
		10,
		sub {
			read_output($listener->query_safe('SELECT 1'));
			@processed == 2;
		}),
	'the listener processed its two events');
my $last_seen = (sort { $a <=> $b } map { $_->{id} } @processed)[-1];
$listener->quit;
note "disconnected after event $last_seen";

# 100 events while the listener is away
my $took = raise_groups('while away', 50);
ok(defined $took, '50 groups raised their events while the listener was away');
is(event_count($last_seen), '100', '100 events after the last one seen');
my @missed = split /\n/,
  $node->safe_psql('postgres',
	"SELECT id FROM jobtrack.group_events(after_id => $last_seen) ORDER BY id");

# more groups keep finishing while the listener comes back
# (from a file: IPC::Run would feed a string only when pumped)
my $script = PostgreSQL::Test::Utils::tempdir() . '/meanwhile.sql';
append_to_file($script, groups_sql('meanwhile', 15, 0.1));
my ($w_out, $w_err) = ('', '');
my $writer = IPC::Run::start(
	[
		$node->installed_command('psql'), '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d',
		$node->connstr('postgres'), '-f', $script
	],
	'<', \undef, '>', \$w_out, '2>', \$w_err);

# reconnect: LISTEN first, then replay, then the notifications
$listener = $node->background_psql('postgres');
$listener->set_query_timer_restart;
$listener->query_safe('LISTEN jobtrack_events');

# these events are raised after LISTEN and before the replay: the listener
# gets them both ways and must process them once
ok(defined raise_groups('overlap', 10), '10 more groups raised their events after LISTEN');

read_output(
	$listener->query_safe(
		"SELECT id, group_id, run, event FROM jobtrack.group_events(after_id => $last_seen)"
	));
my @replayed_now = @processed;
cmp_ok(scalar @replayed_now, '>=', 2 + 100 + 20,
	'the replay returned at least the 100 missed events and the 20 after LISTEN');

ok(defined raise_groups('after replay', 10), '10 more groups raised their events after the replay');
ok($writer->finish, 'the concurrent writer finished without an error') or diag $w_err;

my $expected = event_count($last_seen);
ok( JobtrackTest::wait_for(
		30,
		sub {
			read_output($listener->query_safe('SELECT 1'));
			@processed - 2 >= $expected;
		}),
	"the listener processed all $expected events after $last_seen");
$listener->quit;

my @all = split /\n/,
  $node->safe_psql('postgres',
	"SELECT id FROM jobtrack.group_events(after_id => $last_seen) ORDER BY id");
is($expected, 100 + 30 + 20 + 20, '100 missed + 30 concurrent + 20 overlapping + 20 later events');
my @after = grep { $_->{id} > $last_seen } @processed;
is_deeply([ sort { $a <=> $b } map { $_->{id} } @after ],
	\@all, 'the listener processed every event after last_seen exactly once');
my %processed_ids = map { $_->{id} => 1 } @after;
is(scalar(grep { !$processed_ids{$_} } @missed), 0,
	'none of the 100 events raised while it was away is missing');
cmp_ok($skipped, '>=', 20,
	'events that came both by replay and by notification were skipped the second time');
note "skipped $skipped duplicates";
my %sources;
$sources{ $_->{source} }++ for @after;
note join(', ', map { "$sources{$_} by $_" } sort keys %sources);

# per group: group.started then group.completed of run 1, nothing else
my %by_group;
push @{ $by_group{ $_->{group} } }, "$_->{event} $_->{run}"
  for sort { $a->{id} <=> $b->{id} } @processed;
my @wrong = grep { join(',', @{ $by_group{$_} }) ne 'group.started 1,group.completed 1' }
  keys %by_group;
is(scalar @wrong, 0, 'every group was processed as group.started then group.completed')
  or diag explain { map { $_ => $by_group{$_} } @wrong };
is(scalar keys %by_group, 1 + 50 + 15 + 10 + 10, 'for all 86 groups');

# the README's shorter recipe ("handle a notification if its event_id is
# greater than the last handled") relies on notifications coming in event_id order
my @out_of_order = grep { $notified_ids[$_] <= $notified_ids[ $_ - 1 ] } 1 .. $#notified_ids;
is(scalar @out_of_order, 0,
	'notifications arrived in increasing event_id order (' . scalar(@notified_ids) . ' received)');

$node->stop;

done_testing();
