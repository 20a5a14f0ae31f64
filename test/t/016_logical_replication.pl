
# Copyright (c) 2026, jobtrack authors

# Logical replication between two clusters that both have jobtrack: the
# README's recipe.  The publisher publishes its jobs and the creation of its
# groups; the subscriber enables its record triggers ALWAYS, so the apply
# records group changes, and its own worker raises the groups' events for
# its own listeners.  Jobs applied before the triggers were enabled are
# put right by recount_groups().

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $pub = JobtrackTest::new_node('publisher', extra_conf => "wal_level = logical\nmax_wal_senders = 10\nmax_replication_slots = 10\n");
my $sub = JobtrackTest::new_node('subscriber');
ok(defined JobtrackTest::wait_for_worker($sub), 'the subscriber runs its worker');

# the recipe: publisher side
$pub->safe_psql('postgres', q{
	CREATE PUBLICATION jobtrack_jobs FOR TABLE jobtrack.job_status;
	CREATE PUBLICATION jobtrack_groups
		FOR TABLE jobtrack.job_group (id, title, payload, time_to_check, created_at, owner)
		WITH (publish = 'insert');
});

# a job that exists before the subscription: copied by the initial sync
my $g0 = $pub->safe_psql('postgres', "SELECT jobtrack.create_group('before', NULL, '1 hour')");
my $j0 = $pub->safe_psql('postgres', "SELECT jobtrack.create_job('Part', group_id => $g0)");
$pub->safe_psql('postgres', "SELECT jobtrack.start_job($j0)");
$pub->safe_psql('postgres', "SELECT jobtrack.succeed_job($j0)");

# the recipe: subscriber side
my $connstr = $pub->connstr('postgres');
$connstr =~ s/'/''/g;
$sub->safe_psql('postgres', qq{
	ALTER TABLE jobtrack.job_status ENABLE ALWAYS TRIGGER job_status_guard;
	ALTER TABLE jobtrack.job_status ENABLE ALWAYS TRIGGER job_status_record_insert;
	ALTER TABLE jobtrack.job_status ENABLE ALWAYS TRIGGER job_status_record_update;
	ALTER TABLE jobtrack.job_status ENABLE ALWAYS TRIGGER job_status_record_delete;
	CREATE SUBSCRIPTION jobtrack_sub CONNECTION '$connstr'
		PUBLICATION jobtrack_groups, jobtrack_jobs;
});
$sub->wait_for_subscription_sync($pub, 'jobtrack_sub');
ok( JobtrackTest::poll_until(30, sub {
		(JobtrackTest::query($sub, "SELECT count(*) FROM jobtrack.job_status WHERE id = $j0") // '') eq '1' }),
	'the initial sync copied the job');

# jobs changed on the publisher: the apply records the changes, the
# subscriber's worker raises the events
my $g1 = $pub->safe_psql('postgres', "SELECT jobtrack.create_group('after', NULL, '1 hour')");
my @jobs = map { $pub->safe_psql('postgres', "SELECT jobtrack.create_job('Part', group_id => $g1)") } 1 .. 3;
$pub->safe_psql('postgres', "SELECT jobtrack.start_job($_)") for @jobs;
$pub->safe_psql('postgres', "SELECT jobtrack.succeed_job($_)") for @jobs[0, 1];
$pub->safe_psql('postgres', "SELECT jobtrack.fail_job($jobs[2], 'boom')");
$pub->wait_for_catchup('jobtrack_sub');

my $events = sub {
	my ($node, $g) = @_;
	return JobtrackTest::query($node,
		"SELECT coalesce(string_agg(run || ' ' || event, ',' ORDER BY id), '') FROM jobtrack.group_event WHERE group_id = $g") // '';
};
ok(JobtrackTest::poll_until(30, sub { $events->($pub, $g1) eq '1 group.started,1 group.completed' }),
	'the publisher raised its events');
ok(JobtrackTest::poll_until(30, sub { $events->($sub, $g1) eq '1 group.started,1 group.completed' }),
	'the subscriber raised the same events from the applied changes');
is($sub->safe_psql('postgres', "SELECT status || ' ' || run FROM jobtrack.job_group WHERE id = $g1"),
	'completed 1', 'the subscriber\'s group is completed');
is($sub->safe_psql('postgres', "SELECT succeeded || ' ' || failed FROM jobtrack.group_count WHERE group_id = $g1"),
	'2 1', 'with the counts of the applied jobs');

# the job copied by the initial sync: the subscriber evaluated it too
ok(JobtrackTest::poll_until(30, sub { $events->($sub, $g0) eq '1 group.started,1 group.completed' }),
	'the subscriber raised the events of the group copied by the initial sync');
ok(JobtrackTest::wait_settled($sub), 'the subscriber settled');
is($sub->safe_psql('postgres', "SELECT jobtrack.recount_groups()"), '0',
	'recount_groups() after the apply finds nothing more to raise');
is_deeply([ JobtrackTest::event_problems($sub) ], [], 'subscriber: events exact');
is_deeply([ JobtrackTest::log_problems($sub) ], [], 'no error in the subscriber\'s log');

$sub->stop;
$pub->stop;
done_testing();
