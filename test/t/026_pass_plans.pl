
# Copyright (c) 2026, jobtrack authors

# The evaluator plans the statements of a pass once in a session, for any
# values, and those plans look the groups of a pass up by their keys.
#
# Left to the plan cache, a session that first runs a few passes over one
# group each goes on planning every statement of every pass for the values
# at hand, and a later pass over a few hundred groups then gets a join that
# reads every group; nor may a role's plan_cache_mode bring that back.
# Here pg_stat_statements counts the plans made, and auto_explain shows the
# plan of that large pass's read of its groups.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

# no worker in database plans: every pass there is one of this test's
my $node = JobtrackTest::new_node('plans',
	no_extension => 1,
	extra_conf => "shared_preload_libraries = 'jobtrack,pg_stat_statements,auto_explain'\n"
	  . "jobtrack.databases = 'postgres'\n"
	  . "pg_stat_statements.track = 'all'\npg_stat_statements.track_planning = on\n"
	  . "autovacuum = off\n");
$node->safe_psql('postgres', 'CREATE DATABASE plans');
$node->safe_psql('plans', 'CREATE EXTENSION jobtrack; CREATE EXTENSION pg_stat_statements');

# 10,000 groups of one queued job each, checked once an hour; the
# statistics are taken while every group is due, as after a load
$node->safe_psql('plans', q{
	SELECT count(jobtrack.create_job('Part', group_id => jobtrack.create_group('g' || i, NULL, '1 hour')))
	  FROM generate_series(1, 10000) i;
	UPDATE jobtrack.job_group SET next_check_at = now() - interval '1 minute';
	ANALYZE;
});

# the first pass moves every next check an hour ahead
$node->safe_psql('plans', 'SELECT jobtrack.check_groups(); SELECT pg_stat_statements_reset()');
is($node->safe_psql('plans',
		"SELECT count(*) FROM jobtrack.job_group WHERE next_check_at <= now() OR checked_at IS NULL"),
	'0', 'no group is due after the first pass');

# one session, whose role asks for plans made for the values at hand:
# twelve passes over one changed group each, then one over 300
my $small = join '', map {
	"UPDATE jobtrack.job_status SET status = 'started' WHERE group_id = $_;\n"
	  . "SELECT jobtrack.check_groups();\n"
} 1 .. 12;
my $offset = JobtrackTest::log_size($node);
$node->safe_psql('plans', "SET plan_cache_mode = force_custom_plan;
	$small
	SET auto_explain.log_min_duration = 0;
	SET auto_explain.log_nested_statements = on;
	UPDATE jobtrack.job_status SET status = 'started' WHERE group_id BETWEEN 101 AND 400;
	SELECT jobtrack.check_groups();
");
is($node->safe_psql('plans', "SELECT count(*) FROM jobtrack.job_group WHERE status = 'running'"),
	'312', 'the passes evaluated every changed group');

# each statement of the evaluator is planned once for all 13 passes; the
# counts of groups that have them are updated, not upserted
my %statements = (
	'the drain' => 'WITH drained AS (DELETE FROM jobtrack.group\_change%',
	'the due groups' => 'SELECT g.id FROM jobtrack.job\_group g%',
	'the groups\' rows and counts' => 'SELECT v.id, g.status::pg\_catalog.text%',
	'the new counts' => 'UPDATE jobtrack.group\_count c SET%',
	'the groups\' new status' => 'UPDATE jobtrack.job\_group g SET status%');
for my $what (sort keys %statements)
{
	is($node->safe_psql('plans',
			"SELECT sum(calls) || ' calls, ' || sum(plans) || ' plans' FROM pg_stat_statements"
			  . " WHERE query LIKE '$statements{$what}'"),
		'13 calls, 1 plans', "$what is planned once in the session");
}
is($node->safe_psql('plans',
		"SELECT count(*) FROM pg_stat_statements WHERE query LIKE 'INSERT INTO jobtrack.group\\_count%'"),
	'0', 'no pass inserted counts: every group had its row');

# logged_plans($offset): the plans auto_explain logged after $offset
sub logged_plans
{
	my ($offset) = @_;
	return map { (split /\n(?!\t)/, $_)[0] }
	  grep { /Query Text/ } split /plan:\n/, slurp_file($node->logfile, $offset);
}

# the large pass's plans
my ($load) = grep { /LEFT JOIN jobtrack\.group_count/ } logged_plans($offset);
ok(defined $load, 'auto_explain logged the large pass\'s read of its groups');
like($load // '', qr/Index Cond: \(id = v\.id\)/, 'the 300 groups\' rows are looked up by key');
like($load // '', qr/Index Cond: \(group_id = v\.id\)/, 'their counts are looked up by key');
unlike($load // '', qr/Seq Scan|Hash|Merge/, 'no table of groups is read whole for them');

# with no group set aside, the drain does not look for one: joined to the
# changes, an empty group_failure was scanned anew for each of them
my ($drain) = grep { /DELETE FROM jobtrack\.group_change/ } logged_plans($offset);
ok(defined $drain, 'auto_explain logged the large pass\'s drain');
unlike($drain // '', qr/group_failure/, 'the drain reads no group_failure when no group is set aside');
unlike($drain // '', qr/Join/, 'and joins no table to the changes');

$node->stop;
done_testing();
