# HTTP backend: the adapter to YOUR hosting API. This is the file to rewrite.
#
# It implements the three backend methods (same interface as lib/Sandbox.pm) against a small
# REST API, which is also what `bx-provider-kit mock-api` serves for testing:
#
#   every request      Authorization: Bearer <api_token>, Accept: application/json
#   GET  /plans        200 {"plans": [{"id": "1", "name": "VPS 1 CPU / 1 GB RAM"}, ...]}
#   POST /orders       body {"plan": "1"}
#                      201 {"id": "ord-7f3a9c", "status": "pending"}
#                      404 {"error": "unknown plan 9"}
#   GET  /orders/ID    200 {"id": "ord-7f3a9c", "plan": "1", "status": "pending"}
#                      status: pending | provisioning | active | failed; when active also
#                      "ip": "203.0.113.7" and "root_password": "..."; when failed, "error": "why"
#                      404 {"error": "no such order"}
#   any failure        a non-2xx status with {"error": "text"} (401: bad or missing token)
#
# Settings from etc/NAME.conf: api_url, api_token, api_timeout (seconds; the web interface
# waits for every call, keep it short). Core modules only: HTTP::Tiny and JSON::PP (https needs
# IO::Socket::SSL, which a BitrixVM has).
#
# Proxies: HTTP::Tiny reads http_proxy, https_proxy and all_proxy (and the upper-case forms) and
# skips the hosts of no_proxy; it does not bypass 127.0.0.1 or localhost by itself. (LWP reads
# them only after $ua->env_proxy.) The conformance runner's fault proxy (API-* rules) reaches the
# API this way.
package HttpApi;
use strict;
use warnings;
use HTTP::Tiny;
use JSON::PP ();
use Time::HiRes ();

sub new { my ($class, $conf) = @_; return bless { conf => $conf }, $class }

# Returns (HTTP status, decoded JSON); fails on network trouble.
sub _request {
    my ($self, $method, $path, $body) = @_;
    my $conf = $self->{conf};
    my $fail = $conf->{fail};
    $fail->("api_url is not set in $conf->{conf_file}") if $conf->{api_url} eq '';
    $fail->("api_url in $conf->{conf_file} must start with http:// or https://") unless $conf->{api_url} =~ m{\Ahttps?://};
    (my $url = $conf->{api_url}) =~ s{/+\z}{};
    $url .= $path;
    my $json = JSON::PP->new->utf8;
    my %options = (headers => { Accept => 'application/json', Authorization => "Bearer $conf->{api_token}" });
    if (defined $body) {
        $options{content} = $json->encode($body);
        $options{headers}{'Content-Type'} = 'application/json';
    }
    $conf->{log}->("api: $method $url");
    my $http = HTTP::Tiny->new(timeout => $conf->{api_timeout}, max_redirect => 0, agent => "$conf->{name}-bx-provider/1");
    # HTTP::Tiny's timeout bounds each socket operation; the alarm bounds the whole request, so
    # a server that sends one byte a second cannot hold the web interface either.
    my $res = eval {
        local $SIG{ALRM} = sub { die "bx-timeout\n" };
        Time::HiRes::alarm($conf->{api_timeout});
        my $r = $http->request($method, $url, \%options);
        Time::HiRes::alarm(0);
        $r;
    };
    Time::HiRes::alarm(0);
    if (!$res) {
        $fail->("the API did not answer within $conf->{api_timeout} s ($method $url)") if ($@ // '') eq "bx-timeout\n";
        die $@;
    }
    if ($res->{status} == 599) {    # HTTP::Tiny's own failures: connect, timeout, TLS
        my $why = $res->{content} // '';
        $why =~ s/\s+\z//;
        $fail->("the API did not answer within $conf->{api_timeout} s ($method $url)") if $why =~ /timed? ?out/i;
        $fail->("cannot reach the API ($method $url): $why");
    }
    $conf->{log}->("api: $method $url -> $res->{status}");
    my $doc = eval { $json->decode($res->{content} // '') };
    $fail->("the API answered $method $path with HTTP $res->{status} and no JSON") if $@;
    return ($res->{status}, $doc);
}

sub _error_text {
    my ($status, $doc) = @_;
    return ref $doc eq 'HASH' && defined $doc->{error} && !ref $doc->{error} ? $doc->{error} : "HTTP $status";
}

sub list_plans {
    my ($self) = @_;
    my $fail = $self->{conf}{fail};
    my ($status, $doc) = $self->_request(GET => '/plans');
    $fail->('the API refused to list plans: ' . _error_text($status, $doc)) unless $status =~ /\A2/;
    $fail->(q{the API's plan list has no "plans" array}) unless ref $doc eq 'HASH' && ref $doc->{plans} eq 'ARRAY';
    my @plans;
    my $i = 0;
    for my $p (@{ $doc->{plans} }) {
        $fail->("plan $i from the API has no id") unless ref $p eq 'HASH' && defined $p->{id} && !ref $p->{id};
        push @plans, [ "$p->{id}", defined $p->{name} && !ref $p->{name} ? "$p->{name}" : "plan $p->{id}" ];
        $i++;
    }
    return \@plans;
}

sub create_order {
    my ($self, $plan) = @_;
    my $fail = $self->{conf}{fail};
    my ($status, $doc) = $self->_request(POST => '/orders', { plan => "$plan" });
    $fail->("unknown configuration \"$plan\" (the API says: " . _error_text($status, $doc) . ')') if $status == 404 || $status == 422;
    $fail->('the API refused the order: ' . _error_text($status, $doc)) unless $status =~ /\A2/;
    $fail->('the API accepted the order but returned no order id') unless ref $doc eq 'HASH' && defined $doc->{id} && !ref $doc->{id};
    return "$doc->{id}";
}

sub get_order {
    my ($self, $task_id) = @_;
    my $fail = $self->{conf}{fail};
    (my $escaped = $task_id) =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
    my ($status, $doc) = $self->_request(GET => "/orders/$escaped");
    $fail->("unknown task \"$task_id\"") if $status == 404;
    $fail->("the API cannot tell the state of task $task_id: " . _error_text($status, $doc)) unless $status =~ /\A2/ && ref $doc eq 'HASH';
    # Map the API's states onto the three bx-provider knows.
    my $state = defined $doc->{status} ? $doc->{status} : '';
    return { status => 'in_progress' } if $state eq 'pending' || $state eq 'provisioning';
    return { status => 'finished', server => $doc->{ip}, password => $doc->{root_password} } if $state eq 'active';
    return { status => 'error', message => ($doc->{error} || 'the order failed') } if $state eq 'failed';
    $fail->("the API reported an unknown state \"$state\" for task $task_id");
}

1;
