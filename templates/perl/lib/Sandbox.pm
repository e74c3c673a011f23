# Sandbox backend: fake servers, no network. For trying the plugin on a BitrixVM and for tests.
#
# Plans come from `plan = ID | description` lines of etc/NAME.conf. `order` writes one JSON
# file per task into var/tasks/ under the plugin folder; the task is in_progress until
# sandbox_delay_ms milliseconds have passed, then finished with an address from the
# documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24: never a real host) and a
# random password (or, for the plan named by sandbox_fail_plan, status error with a message).
# Address and password are chosen at order time, so later answers never change.
#
# The interface every backend implements (see lib/HttpApi.pm for the real one):
#   ->list_plans             [ [id, description], ... ]
#   ->create_order($plan)    task id (letters, digits, _ and -), or $conf->{fail}->("why")
#   ->get_order($task_id)    { status => 'in_progress'|'finished'|'error', server, password, message }
package Sandbox;
use strict;
use warnings;
use Fcntl qw(O_WRONLY O_CREAT O_EXCL);
use File::Path qw(make_path);
use Time::HiRes ();
use JSON::PP ();

my $ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
my @RANGES   = ('192.0.2.', '198.51.100.', '203.0.113.');

sub new { my ($class, $conf) = @_; return bless { conf => $conf }, $class }

# N random bytes from /dev/urandom, as numbers 0..255.
sub _random_bytes {
    my ($n) = @_;
    open(my $fh, '<:raw', '/dev/urandom') or die "cannot read /dev/urandom: $!\n";
    read($fh, my $buf, $n) == $n or die "cannot read /dev/urandom\n";
    close $fh;
    return unpack('C*', $buf);
}

sub _word { return join '', map { substr($ALPHABET, $_ % length($ALPHABET), 1) } _random_bytes($_[0]) }

sub _now_ms { return int(Time::HiRes::time() * 1000) }

sub list_plans { return $_[0]{conf}{plans} }

sub create_order {
    my ($self, $plan) = @_;
    my $conf = $self->{conf};
    $conf->{fail}->("unknown configuration \"$plan\" (see: $conf->{name} configs)") unless grep { $_->[0] eq $plan } @{ $conf->{plans} };
    my $state = $conf->{state_dir};
    eval { make_path($state) unless -d $state; 1 } or $conf->{fail}->("cannot create the task folder $state");
    my ($b1, $b2) = _random_bytes(2);
    my $now  = _now_ms();
    my $task = {
        plan       => $plan,
        created_ms => $now,
        ready_ms   => $now + $conf->{sandbox_delay_ms},
        server     => $RANGES[ $b1 % 3 ] . (1 + $b2 % 254),
        password   => _word(20),
        fail       => ($conf->{sandbox_fail_plan} ne '' && $plan eq $conf->{sandbox_fail_plan}) ? 1 : 0,
    };
    # Write the whole task to a private file, then hard-link it to its final name: link(2)
    # fails if the name exists, so two concurrent orders never share an id, and a reader never
    # sees a half-written task.
    my $tmp = "$state/.new.$$." . _word(8);
    sysopen(my $fh, $tmp, O_WRONLY | O_CREAT | O_EXCL, 0600) or $conf->{fail}->("cannot write to $state: $!");
    print $fh JSON::PP->new->utf8->encode($task);
    close($fh) or do { unlink $tmp; $conf->{fail}->("cannot write to $state: $!") };
    for (1 .. 8) {
        my $task_id = 'sb-' . _word(10);
        if (link($tmp, "$state/$task_id")) {
            unlink $tmp;
            $conf->{log}->("sandbox: task $task_id ordered, plan $plan, ready in $conf->{sandbox_delay_ms} ms");
            return $task_id;
        }
    }
    unlink $tmp;
    $conf->{fail}->("cannot create a task in $state");
}

sub get_order {
    my ($self, $task_id) = @_;
    my $conf = $self->{conf};
    my $path = "$conf->{state_dir}/$task_id";
    $conf->{fail}->("unknown task \"$task_id\"") unless -f $path;
    open(my $fh, '<:raw', $path) or $conf->{fail}->("cannot read task \"$task_id\": $!");
    my $text = do { local $/; <$fh> };
    close $fh;
    my $task = eval { JSON::PP->new->utf8->decode($text) };
    $conf->{fail}->("task \"$task_id\" is damaged ($path)") unless ref $task eq 'HASH' && defined $task->{ready_ms};
    return { status => 'in_progress' } if _now_ms() < $task->{ready_ms};
    return { status => 'error', message => "sandbox: orders of plan $task->{plan} fail (sandbox_fail_plan in etc/$conf->{name}.conf)" } if $task->{fail};
    return { status => 'finished', server => $task->{server}, password => $task->{password} };
}

1;
