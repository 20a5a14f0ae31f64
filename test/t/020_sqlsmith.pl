# RELIABILITY.md item 27: sqlsmith, run as a role holding only the writer's
# grants of README.md, finds no crash in a database with jobtrack.  Bounded
# to 10,000 queries (about a minute here) instead of 20,000 to keep CI short.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

# scripts/test.sh installs sqlsmith; a missing one is a failure, not a skip
my ($sqlsmith) = grep { -x $_ } map { "$_/sqlsmith" } split /:/, $ENV{PATH};
BAIL_OUT('sqlsmith is not installed (apt-get install sqlsmith)') unless $sqlsmith;

my $node = PostgreSQL::Test::Cluster->new('fuzz');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'jobtrack'
jobtrack.database = 'fuzz'
jobtrack.check_interval = '500ms'
log_line_prefix = '%m [%p] %e '
log_min_error_statement = error
});
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE fuzz');
$node->safe_psql('fuzz', q{
CREATE EXTENSION jobtrack;
CREATE ROLE jt_fuzzer LOGIN;
ALTER ROLE jt_fuzzer SET statement_timeout = '5s';
GRANT USAGE ON SCHEMA jobtrack TO jt_fuzzer;
GRANT SELECT, INSERT, UPDATE ON jobtrack.job_status, jobtrack.job_message,
	jobtrack.job_signal TO jt_fuzzer;
GRANT SELECT ON jobtrack.job_external_id TO jt_fuzzer;
GRANT SELECT, INSERT ON jobtrack.job_group TO jt_fuzzer;
GRANT SELECT ON jobtrack.group_event TO jt_fuzzer;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA jobtrack TO jt_fuzzer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack TO jt_fuzzer;
REVOKE EXECUTE ON FUNCTION jobtrack.check_groups(), jobtrack.run_maintenance(),
	jobtrack.update_status_running(bigint) FROM jt_fuzzer;
-- something for the fuzzer to chew on: jobs in every status, groups, events
SELECT jobtrack.create_job('Fuzz', 'a' || n % 3, jsonb_build_object('n', n, 's', 'v' || n),
	jobtrack.group_id('fuzz ' || n % 5), external_id => 'f' || n)
  FROM generate_series(1, 200) n;
SELECT jobtrack.set_status(id, 'started') FROM jobtrack.job_status WHERE id % 2 = 0;
SELECT jobtrack.succeed_job(id) FROM jobtrack.job_status WHERE id % 4 = 0;
SELECT jobtrack.fail_job(id, 'x') FROM jobtrack.job_status WHERE id % 4 = 2;
SELECT jobtrack.add_message(id, 'm') FROM jobtrack.job_status WHERE id % 7 = 0;
SELECT jobtrack.request_cancel(id) FROM jobtrack.job_status WHERE id % 9 = 0;
SELECT jobtrack.check_groups();
});

my $worker_before = $node->safe_psql('fuzz', 'SELECT worker_pid FROM jobtrack.stats');
my $connstr = 'host=' . $node->host . ' port=' . $node->port . ' dbname=fuzz user=jt_fuzzer';
my ($out, $err) = ('', '');
my $ok = IPC::Run::run(
	[ $sqlsmith, "--target=$connstr", '--exclude-catalog', '--seed=42',
	  '--max-queries=10000', '--verbose' ],
	'>', \$out, '2>', \$err, IPC::Run::timeout(900));
my @progress = ($err . $out) =~ /queries: (\d+)/g;
my $queries = $progress[-1];
ok($ok, 'sqlsmith ran to its end without losing its connection');
cmp_ok($queries // 0, '>=', 10000, 'sqlsmith sent 10,000 queries');

my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|TRAP:|PANIC:/, 'no backend crashed, no assertion failed, no PANIC');
my @internal = grep { /XX000/ } split /\n/, $log;
my @ours = grep { /jobtrack/ } @internal;
is(scalar @ours, 0, 'no internal error (XX000) raised by jobtrack')
  or diag join("\n", @ours[0 .. ($#ours < 9 ? $#ours : 9)]);
note scalar(@internal) . ' XX000 errors in all, none from jobtrack';

is($node->safe_psql('fuzz', 'SELECT 1'), '1', 'the server still accepts connections');
is($node->safe_psql('fuzz', 'SELECT worker_pid FROM jobtrack.stats'), $worker_before,
	'the worker is the same process as before the run');
is($node->safe_psql('fuzz', 'SELECT count(*) FROM jobtrack.job_status WHERE job_type = \'Fuzz\''), '200',
	'the fuzzer, holding only writer grants, deleted no job');

$node->stop;
done_testing();
