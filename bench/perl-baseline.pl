#!/usr/bin/perl
# pop-before-smtp's approach as the baseline for readlog's parser: one Perl regular expression per
# server, tried in turn on every line (IPv4 only, as theirs are). Prints lines/s like ParseThroughput.
use strict;
use warnings;
use Time::HiRes qw(time);

my @patterns = map { qr/$_/ } (
    '^(... .. ..:..:..) \S+ (?:dovecot: )?(?:imap|pop3)-login: Login: user=<[^>]*>, method=\S+, rip=(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)',
    '^(... .. ..:..:..) \S+ (?:courier)?(?:pop3|imap)(?:login|d|d-ssl): LOGIN, user=\S+, ip=\[[:f]*(\d+\.\d+\.\d+\.\d+)\]',
    '^(... .. ..:..:..) \S+ (?:ipop3s?d|imaps?d)\[\d+\]: (?:Login|Authenticated|Auth|APOP) user=\S+ host=(?:\S+ )?\[(\d+\.\d+\.\d+\.\d+)\]',
    '^(... .. ..:..:..) \S+ (?:in\.)?qpopper[^[]*\[\d+\]: \([^)]*\) POP login by user "[^"]+" at \([^)]+\) (\d+\.\d+\.\d+\.\d+)',
    '^(... .. ..:..:..) \S+ (?:cyrus/)?(?:pop3|imap)[ds]?\[\d+\]: login: [^[\s]*\s*\[[:f]*(\d+\.\d+\.\d+\.\d+)\] \S+ \S+',
    '^(... .. ..:..:..) \S+ vpopmail\[\d+\]: vchkpw-(?:pop3|imap): \(\S+\) login success \S+:(\d+\.\d+\.\d+\.\d+)',
);

my ($file, $runs) = @ARGV;
my @rates;
my ($lines, $logins);
for (1 .. $runs) {
    ($lines, $logins) = (0, 0);
    my $start = time;
    open(my $in, '<', $file) or die "$file: $!\n";
    while (my $line = <$in>) {
        $lines++;
        for my $re (@patterns) {
            if ($line =~ $re) { $logins++; last; }
        }
    }
    close $in;
    push @rates, $lines / (time - $start);
}
@rates = sort { $a <=> $b } @rates;
printf "perl one-regex-per-server: %d lines, %d logins, median %.0f lines/s over %d runs\n", $lines, $logins, $rates[int(@rates / 2)], $runs;
