#!/usr/bin/perl
# The baseline policy server, written the way the Postfix world writes them (postfix-policyd-spf-perl,
# greylisting daemons): one forked process per connection, answering from a hash of addresses.
# Usage: perl-policy.pl PORT FILE_OF_ADDRESSES
use strict;
use warnings;
use IO::Socket::INET;
my ($port, $file) = @ARGV;
my %granted;
open(my $in, '<', $file) or die "$file: $!";
while (<$in>) { chomp; $granted{$_} = 1; }
close $in;
$SIG{CHLD} = 'IGNORE';
my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Listen => 128, ReuseAddr => 1) or die "listen: $!";
print "ready\n";
$| = 1;
while (my $client = $server->accept) {
    if (fork() == 0) {
        close $server;
        my %attr;
        while (my $line = <$client>) {
            $line =~ s/\r?\n$//;
            if ($line eq '') {
                my $ip = $attr{client_address} // '';
                print $client 'action=' . ($granted{$ip} ? 'OK' : 'DUNNO') . "\n\n";
                %attr = ();
                next;
            }
            my ($k, $v) = split /=/, $line, 2;
            $attr{$k} = $v;
        }
        exit 0;
    }
    close $client;
}
