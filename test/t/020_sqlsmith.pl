# sqlsmith, run as a role holding only the writer's grants of README.md,
# finds no crash and no internal error in a database with jobtrack.  Bounded
# to 10,000 queries (about a minute here) to keep CI short.
#
# Every internal error (SQLSTATE XX000), PANIC, failed assertion and crashed
# process in the server log counts, whether or not its line mentions
# jobtrack: an elog(ERROR) in jobtrack's C code, or a PostgreSQL routine
# that jobtrack called wrongly, need not name jobtrack.  The only exceptions
# are in @postgres_own below: errors shown to come from PostgreSQL itself,
# each matched by its message, its source location and the statement.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
# test/perl, also when prove is not given -I ./test/perl
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

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
log_error_verbosity = verbose
});
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE fuzz');
$node->safe_psql('fuzz',
	'CREATE EXTENSION jobtrack;' . JobtrackTest::readme_sql('Roles') . q{
-- the fuzzer holds the README's writer grants
CREATE ROLE jt_fuzzer LOGIN IN ROLE app_writer;
ALTER ROLE jt_fuzzer SET statement_timeout = '5s';
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

# Internal errors that are PostgreSQL's own and have nothing to do with
# jobtrack.  An error is let through only when its message, its LOCATION
# (log_error_verbosity = verbose) and its STATEMENT all match one entry.
my @postgres_own = (
	{
		# PostgreSQL's interval typmod checks in timestamp.c, which report a
		# bad typmod as an internal error.  sqlsmith calls
		# pg_catalog.intervaltypmodout(n) and pg_catalog.interval(value, n)
		# with small integers that are no interval typmod.  Shown without
		# jobtrack, in a database without the extension:
		#   SELECT pg_catalog.intervaltypmodout(30);
		#     XX000 invalid INTERVAL typmod: 0x1e, at intervaltypmodout
		#   SELECT pg_catalog.interval(i, 30) FROM t;  -- t (i interval)
		#     XX000 invalid INTERVAL typmod: 0x1e, at intervaltypmodleastfield
		#   SELECT pg_catalog.interval(interval '1 s', 30);
		#     XX000 unrecognized interval typmod: 30, at AdjustIntervalForTypmod
		message => qr/^(invalid INTERVAL typmod: 0x[0-9a-f]+|unrecognized interval typmod: -?\d+)$/,
		location => qr/^(intervaltypmodout|intervaltypmodleastfield|AdjustIntervalForTypmod), timestamp\.c:\d+$/,
		statement => qr/pg_catalog\.(intervaltypmodout|interval)\(/,
	},
	{
		# The parser's coercion of an expression of type unknown that is not
		# a literal (a NULLIF or COALESCE of casts to unknown, or a call of
		# unknownin()) to another type, which it reports as an internal
		# error.  Shown without jobtrack, in a cluster without the extension:
		#   SELECT 'x'::bytea ~~ cast(nullif(cast(null as unknown), cast(null as unknown)) as unknown);
		#     XX000 failed to find conversion function from unknown to bytea, at coerce_type
		#   SELECT c4 || 'x' FROM (SELECT pg_catalog.unknownin('a'::cstring) AS c4 OFFSET 0) s;
		#     XX000 failed to find conversion function from unknown to text, at coerce_type
		message => qr/^failed to find conversion function from unknown to \w+$/,
		location => qr/^coerce_type, parse_coerce\.c:\d+$/,
		statement => qr/cast\(null as unknown\)|pg_catalog\.unknownin\(/,
	},);

# The log as records: a line with the prefix starts one, other lines (of a
# multi-line statement, or written to stderr without a prefix) continue it.
my $log = slurp_file($node->logfile);
my @records;
foreach my $line (split /\n/, $log)
{
	if ($line =~ /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[(\d+)\] (\S*) ?(.*)$/)
	{
		push @records, { pid => $1, sqlstate => $2, text => $3 };
	}
	elsif (@records)
	{
		$records[-1]{text} .= "\n$line";
	}
}

# crashes: a process killed by a signal, a failed assertion, a PANIC
my @crashes = grep {
	/terminated by signal|was terminated by exception|server process \(PID \d+\) was terminated|all server processes terminated|TRAP:|PANIC:/
} split /\n/, $log;
is(scalar @crashes, 0, 'no process crashed, no assertion failed, no PANIC')
  or diag join("\n", @crashes[0 .. ($#crashes < 9 ? $#crashes : 9)]);

# internal errors, each with the LOCATION and STATEMENT lines of its process that follow it
my (@unexplained, $explained);
foreach my $i (0 .. $#records)
{
	my $r = $records[$i];
	next unless $r->{sqlstate} eq 'XX000' && $r->{text} =~ /^(ERROR|FATAL|PANIC):\s+(?:XX000: )?(.*)/s;
	my %error = (message => $2, location => '', statement => '', text => $r->{text});
	for (my $k = $i + 1; $k <= $#records; $k++)
	{
		my $next = $records[$k];
		next if $next->{pid} ne $r->{pid};
		last unless $next->{text} =~ /^(DETAIL|HINT|QUERY|CONTEXT|LOCATION|STATEMENT):\s+(.*)/s;
		$error{ lc $1 } = $2 if $1 eq 'LOCATION' || $1 eq 'STATEMENT';
	}
	my $known = grep {
		     $error{message} =~ $_->{message}
		  && $error{location} =~ $_->{location}
		  && $error{statement} =~ $_->{statement}
	} @postgres_own;
	if ($known)
	{
		$explained++;
	}
	else
	{
		push @unexplained, "$error{text}\n  at $error{location}\n  in "
		  . substr($error{statement}, 0, 2000);
	}
}
is(scalar @unexplained, 0,
	'no internal error (XX000) in the server log but PostgreSQL\'s own listed ones')
  or diag join("\n", @unexplained[0 .. ($#unexplained < 9 ? $#unexplained : 9)]);
note(($explained // 0) . ' internal errors of PostgreSQL\'s own listed ones');

is($node->safe_psql('fuzz', 'SELECT 1'), '1', 'the server still accepts connections');
is($node->safe_psql('fuzz', 'SELECT worker_pid FROM jobtrack.stats'), $worker_before,
	'the worker is the same process as before the run');
is($node->safe_psql('fuzz', 'SELECT count(*) FROM jobtrack.job_status WHERE job_type = \'Fuzz\''), '200',
	'the fuzzer, holding only writer grants, deleted no job');

$node->stop;
done_testing();
