#!/usr/bin/perl
# test/bench/stats.pl: small helpers of the jobtrack benchmark (run.sh).
#
#   stats.pl times     < psql output   "label ms" for each "\echo @label" followed by
#                                      psql's "Time: x ms" (the rest is ignored)
#   stats.pl summary   < "label value" "label n p50 p99 min max" per label, in
#                                      order of first appearance
#   stats.pl pick LABEL FIELD < summary  one field (n, p50, p99, min, max) of a label
#   stats.pl median v1 v2 ...          the median of the values
#   stats.pl table FILE                the results table as aligned text
#   stats.pl markdown FILE             the results table as Markdown
#
# Results FILE: one row per line, fields separated by tabs: workload,
# jobtrack figure, baseline figure, ratio, target, result.
use strict;
use warnings;

my $mode = shift @ARGV // '';

# Quantile returns the nearest-rank quantile of a sorted list.
sub quantile
{
	my ($q, @sorted) = @_;
	my $rank = int($q * @sorted + 0.999999);

	$rank = 1 if $rank < 1;
	return $sorted[$rank - 1];
}

sub median
{
	my @v = sort { $a <=> $b } @_;
	return 'NaN' unless @v;
	return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub read_rows
{
	my ($file) = @_;
	open my $fh, '<', $file or die "stats.pl: $file: $!\n";
	my @rows = map { chomp; [ split /\t/, $_, -1 ] } grep { /\S/ } <$fh>;
	close $fh;
	return @rows;
}

if ($mode eq 'times')
{
	my $label;
	while (<STDIN>)
	{
		if (/^@(\S+)/) { $label = $1; next; }
		if (/^Time: ([0-9.]+) ms/ && defined $label)
		{
			print "$label $1\n";
			undef $label;
		}
	}
}
elsif ($mode eq 'summary')
{
	my (%values, @order);
	while (<STDIN>)
	{
		my ($label, $value) = split;
		next unless defined $value && $value =~ /^-?[0-9.]+$/;
		push @order, $label unless exists $values{$label};
		push @{ $values{$label} }, $value;
	}
	for my $label (@order)
	{
		my @v = sort { $a <=> $b } @{ $values{$label} };
		printf "%s %d %.3f %.3f %.3f %.3f\n", $label, scalar @v, median(@v),
		  quantile(0.99, @v), $v[0], $v[-1];
	}
}
elsif ($mode eq 'pick')
{
	my ($label, $field) = @ARGV;
	my %index = (n => 1, p50 => 2, p99 => 3, min => 4, max => 5);
	die "stats.pl: unknown field $field\n" unless $index{$field};
	while (<STDIN>)
	{
		my @f = split;
		print "$f[$index{$field}]\n" if $f[0] eq $label;
	}
}
elsif ($mode eq 'median')
{
	my @v = grep { /^-?[0-9.]+$/ } @ARGV;
	print @v ? median(@v) : '', "\n";
}
elsif ($mode eq 'table')
{
	my @head = ('Workload', 'jobtrack', 'baseline', 'ratio', 'target', 'result');
	my @rows = ([@head], read_rows($ARGV[0]));
	my @width = (0) x @head;
	for my $r (@rows)
	{
		for my $i (0 .. $#head)
		{
			my $len = length($r->[$i] // '');
			$width[$i] = $len if $len > $width[$i];
		}
	}
	my $line = join('-+-', map { '-' x $_ } @width);
	for my $n (0 .. $#rows)
	{
		print join(' | ', map { sprintf "%-*s", $width[$_], $rows[$n][$_] // '' } 0 .. $#head), "\n";
		print "$line\n" if $n == 0;
	}
}
elsif ($mode eq 'markdown')
{
	print "| Workload | jobtrack | baseline | ratio | target | result |\n";
	print "|---|---:|---:|---:|---|---|\n";
	for my $r (read_rows($ARGV[0]))
	{
		my @cells = map { my $c = $r->[$_] // ''; $c =~ s/\|/\\|/g; $c } 0 .. 5;
		$cells[5] = "**$cells[5]**" if $cells[5] eq 'not met' || $cells[5] eq 'FAILED';
		print '| ', join(' | ', @cells), " |\n";
	}
}
else
{
	die "usage: stats.pl times|summary|pick|median|table|markdown ...\n";
}
