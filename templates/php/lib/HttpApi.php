<?php
/**
 * HTTP backend: the adapter to YOUR hosting API. This is the file to rewrite.
 *
 * It implements the three backend methods (same interface as lib/Sandbox.php) against a small
 * REST API, which is also what `bx-provider-kit mock-api` serves for testing:
 *
 *   every request      Authorization: Bearer <api_token>, Accept: application/json
 *   GET  /plans        200 {"plans": [{"id": "1", "name": "VPS 1 CPU / 1 GB RAM"}, ...]}
 *   POST /orders       body {"plan": "1"}
 *                      201 {"id": "ord-7f3a9c", "status": "pending"}
 *                      404 {"error": "unknown plan 9"}
 *   GET  /orders/ID    200 {"id": "ord-7f3a9c", "plan": "1", "status": "pending"}
 *                      status: pending | provisioning | active | failed; when active also
 *                      "ip": "203.0.113.7" and "root_password": "..."; when failed, "error": "why"
 *                      404 {"error": "no such order"}
 *   any failure        a non-2xx status with {"error": "text"} (401: bad or missing token)
 *
 * Settings from etc/NAME.conf: api_url, api_token, api_timeout (seconds; the web interface
 * waits for every call, keep it short). Uses PHP's own HTTP streams (allow_url_fopen), so
 * neither the curl extension nor anything else has to be installed.
 *
 * Proxies: PHP streams read no proxy variable by themselves, so this adapter does what curl does:
 * http_proxy (for http://), https_proxy/HTTPS_PROXY (for https://), else all_proxy/ALL_PROXY,
 * unless the API's host is in no_proxy/NO_PROXY (as given: localhost is not bypassed by itself).
 * HTTP_PROXY (upper case) is not read for http://, as curl does not (httpoxy). The conformance
 * runner's fault proxy (API-* rules) reaches the API this way.
 */
/** The proxy for $url from the environment ("tcp://host:port"), or null. */
function http_api_proxy_for($url)
{
    $parts = parse_url($url);
    $scheme = isset($parts['scheme']) ? strtolower($parts['scheme']) : 'http';
    $host = isset($parts['host']) ? strtolower(trim($parts['host'], '[]')) : '';
    $env = function ($name) {
        $v = getenv($name);
        return $v === false ? '' : trim($v);
    };
    $no = $env('no_proxy') !== '' ? $env('no_proxy') : $env('NO_PROXY');
    foreach (preg_split('/[\s,]+/', $no, -1, PREG_SPLIT_NO_EMPTY) as $entry) {
        $entry = strtolower(ltrim(preg_replace('/:\d+$/', '', $entry), '.'));
        if ($entry === '*' || $host === $entry || substr($host, -strlen($entry) - 1) === ".$entry") {
            return null;
        }
    }
    $proxy = $scheme === 'https' ? ($env('https_proxy') !== '' ? $env('https_proxy') : $env('HTTPS_PROXY')) : $env('http_proxy');
    if ($proxy === '') {
        $proxy = $env('all_proxy') !== '' ? $env('all_proxy') : $env('ALL_PROXY');
    }
    if ($proxy === '') {
        return null;
    }
    $p = parse_url(preg_match('#^[a-z][a-z0-9+.-]*://#i', $proxy) ? $proxy : "http://$proxy");
    if (!$p || empty($p['host'])) {
        throw new PluginError("cannot read the proxy setting \"$proxy\" (expected http://host:port)");
    }
    return 'tcp://' . $p['host'] . ':' . (isset($p['port']) ? $p['port'] : 1080);
}

class HttpApi
{
    private $conf;

    public function __construct(array $conf)
    {
        $this->conf = $conf;
    }

    /** Returns array(HTTP status, decoded JSON); throws PluginError on network trouble. */
    private function request($method, $path, $body = null)
    {
        $conf = $this->conf;
        if ($conf['api_url'] === '') {
            throw new PluginError("api_url is not set in {$conf['conf_file']}");
        }
        if (!preg_match('#^https?://#', $conf['api_url'])) {
            throw new PluginError("api_url in {$conf['conf_file']} must start with http:// or https://");
        }
        if (!ini_get('allow_url_fopen')) {
            throw new PluginError('php has allow_url_fopen off: turn it on for php-cli, or rewrite lib/HttpApi.php with the curl extension');
        }
        $url = rtrim($conf['api_url'], '/') . $path;
        $headers = array('Accept: application/json', 'Authorization: Bearer ' . $conf['api_token'], 'Connection: close');
        $http = array(
            'method' => $method,
            'timeout' => $conf['api_timeout'],
            'ignore_errors' => true, // 4xx/5xx bodies still say why
            'follow_location' => 0,
        );
        $proxy = http_api_proxy_for($url);
        if ($proxy !== null) {
            $http['proxy'] = $proxy;
            $http['request_fulluri'] = strncasecmp($url, 'https:', 6) !== 0; // https goes through CONNECT
        }
        if ($body !== null) {
            $http['content'] = json_encode($body);
            $headers[] = 'Content-Type: application/json';
        }
        $http['header'] = implode("\r\n", $headers);
        ini_set('default_socket_timeout', (string) $conf['api_timeout']);
        plugin_log("api: $method $url");
        // The stream timeout bounds each read; the deadline bounds the whole answer, so a server
        // that sends one byte a second cannot hold the web interface either.
        $started = microtime(true);
        $deadline = $started + $conf['api_timeout'];
        $fp = @fopen($url, 'rb', false, stream_context_create(array('http' => $http)));
        if ($fp === false) {
            if (microtime(true) - $started >= $conf['api_timeout']) {
                throw new PluginError("the API did not answer within {$conf['api_timeout']} s ($method $url)");
            }
            $last = error_get_last();
            $why = $last ? preg_replace('/^fopen\([^)]*\): /', '', $last['message']) : 'no answer';
            throw new PluginError("cannot reach the API ($method $url): $why");
        }
        $meta = stream_get_meta_data($fp);
        $responseHeaders = isset($meta['wrapper_data']) ? $meta['wrapper_data'] : array();
        $raw = '';
        while (!feof($fp)) {
            $remaining = $deadline - microtime(true);
            if ($remaining <= 0 || strlen($raw) > 1048576) {
                fclose($fp);
                throw new PluginError("the API did not answer within {$conf['api_timeout']} s ($method $url)");
            }
            stream_set_timeout($fp, (int) floor($remaining), (int) (($remaining - floor($remaining)) * 1000000));
            $chunk = fread($fp, 8192);
            if ($chunk === false) {
                break;
            }
            $raw .= $chunk;
        }
        $meta = stream_get_meta_data($fp);
        fclose($fp);
        if (!empty($meta['timed_out'])) { // a read ran into the deadline (feof() is then true)
            throw new PluginError("the API did not answer within {$conf['api_timeout']} s ($method $url)");
        }
        if (!$responseHeaders) {
            throw new PluginError("cannot reach the API ($method $url): no HTTP answer");
        }
        $status = preg_match('#^HTTP/\S+\s+(\d{3})#', $responseHeaders[0], $m) ? (int) $m[1] : 0;
        plugin_log("api: $method $url -> $status");
        $doc = json_decode($raw, true);
        if ($doc === null && json_last_error() !== JSON_ERROR_NONE) {
            throw new PluginError("the API answered $method $path with HTTP $status and no JSON (" . json_last_error_msg() . ')');
        }
        return array($status, $doc);
    }

    private static function errorText($status, $doc)
    {
        return is_array($doc) && isset($doc['error']) && is_string($doc['error']) ? $doc['error'] : "HTTP $status";
    }

    public function listPlans()
    {
        list($status, $doc) = $this->request('GET', '/plans');
        if ($status < 200 || $status > 299) {
            throw new PluginError('the API refused to list plans: ' . self::errorText($status, $doc));
        }
        if (!is_array($doc) || !isset($doc['plans']) || !is_array($doc['plans'])) {
            throw new PluginError('the API\'s plan list has no "plans" array');
        }
        $plans = array();
        foreach (array_values($doc['plans']) as $i => $p) {
            if (!is_array($p) || !isset($p['id']) || !(is_string($p['id']) || is_int($p['id']))) {
                throw new PluginError("plan $i from the API has no id");
            }
            $plans[] = array((string) $p['id'], isset($p['name']) && is_string($p['name']) ? $p['name'] : 'plan ' . $p['id']);
        }
        return $plans;
    }

    public function createOrder($planId)
    {
        list($status, $doc) = $this->request('POST', '/orders', array('plan' => $planId));
        if ($status === 404 || $status === 422) {
            throw new PluginError("unknown configuration \"$planId\" (the API says: " . self::errorText($status, $doc) . ')');
        }
        if ($status < 200 || $status > 299) {
            throw new PluginError('the API refused the order: ' . self::errorText($status, $doc));
        }
        if (!is_array($doc) || !isset($doc['id']) || !(is_string($doc['id']) || is_int($doc['id']))) {
            throw new PluginError('the API accepted the order but returned no order id');
        }
        return (string) $doc['id'];
    }

    public function getOrder($taskId)
    {
        list($status, $doc) = $this->request('GET', '/orders/' . rawurlencode($taskId));
        if ($status === 404) {
            throw new PluginError("unknown task \"$taskId\"");
        }
        if ($status < 200 || $status > 299 || !is_array($doc)) {
            throw new PluginError("the API cannot tell the state of task $taskId: " . self::errorText($status, $doc));
        }
        // Map the API's states onto the three bx-provider knows.
        $state = isset($doc['status']) ? $doc['status'] : null;
        if ($state === 'pending' || $state === 'provisioning') {
            return array('status' => 'in_progress');
        }
        if ($state === 'active') {
            return array(
                'status' => 'finished',
                'server' => isset($doc['ip']) && is_string($doc['ip']) ? $doc['ip'] : '',
                'password' => isset($doc['root_password']) && is_string($doc['root_password']) ? $doc['root_password'] : '',
            );
        }
        if ($state === 'failed') {
            return array('status' => 'error', 'message' => isset($doc['error']) && is_string($doc['error']) && $doc['error'] !== '' ? $doc['error'] : 'the order failed');
        }
        throw new PluginError('the API reported an unknown state "' . (is_scalar($state) ? $state : 'none') . "\" for task $taskId");
    }
}
