"""HTTP backend: the adapter to YOUR hosting API. This is the file to rewrite.

It implements the three backend functions (same interface as lib/sandbox.py) against a small
REST API, which is also what `bx-provider-kit mock-api` serves for testing:

  every request      Authorization: Bearer <api_token>, Accept: application/json
  GET  /plans        200 {"plans": [{"id": "1", "name": "VPS 1 CPU / 1 GB RAM"}, ...]}
  POST /orders       body {"plan": "1"}
                     201 {"id": "ord-7f3a9c", "status": "pending"}
                     404 {"error": "unknown plan 9"}
  GET  /orders/ID    200 {"id": "ord-7f3a9c", "plan": "1", "status": "pending"}
                     status: pending | provisioning | active | failed; when active also
                     "ip": "203.0.113.7" and "root_password": "..."; when failed, "error": "why"
                     404 {"error": "no such order"}
  any failure        a non-2xx status with {"error": "text"} (401: bad or missing token)

Settings from etc/NAME.conf: api_url, api_token, api_timeout (seconds per request; the web
interface waits for every call, keep it short). Standard library only (urllib, json).

Proxies: urllib reads http_proxy/https_proxy (and HTTP_PROXY/HTTPS_PROXY) and skips the hosts of
no_proxy/NO_PROXY; it does not bypass 127.0.0.1 or localhost by itself. The conformance runner's
fault proxy (API-* rules) reaches the API this way. (requests also reads all_proxy.)
"""
import json
import signal
import socket
import urllib.error
import urllib.parse
import urllib.request

from plugin_errors import PluginError


def _request(conf, method, path, body=None):
    """Returns (HTTP status, parsed JSON answer); raises PluginError on network trouble."""
    if not conf["api_url"]:
        raise PluginError("api_url is not set in %s" % conf["conf_file"])
    url = conf["api_url"].rstrip("/") + path
    if not url.startswith(("http://", "https://")):
        raise PluginError("api_url in %s must start with http:// or https://" % conf["conf_file"])
    data = None
    headers = {"Accept": "application/json", "Authorization": "Bearer " + conf["api_token"]}
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    conf["log"]("api: %s %s" % (method, url))
    too_slow = PluginError("the API did not answer within %g s (%s %s)" % (conf["api_timeout"], method, url))

    # urllib's timeout bounds each socket operation; the alarm bounds the whole request, so a
    # server that sends one byte a second cannot hold the web interface either.
    def on_alarm(signum, frame):
        raise too_slow

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, conf["api_timeout"])
    try:
        with urllib.request.urlopen(req, timeout=conf["api_timeout"]) as resp:
            status, raw = resp.status, resp.read(1048576)
    except urllib.error.HTTPError as e:  # 4xx/5xx: the body still says why
        status, raw = e.code, e.read(1048576)
    except (socket.timeout, TimeoutError):
        raise too_slow
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise too_slow
        raise PluginError("cannot reach the API (%s %s): %s" % (method, url, reason))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    conf["log"]("api: %s %s -> %d" % (method, url, status))
    try:
        return status, json.loads(raw.decode("utf-8"))
    except ValueError as e:
        raise PluginError("the API answered %s %s with HTTP %d and no JSON (%s)" % (method, path, status, e))


def _error_text(status, doc):
    if isinstance(doc, dict) and isinstance(doc.get("error"), str):
        return doc["error"]
    return "HTTP %d" % status


def list_plans(conf):
    status, doc = _request(conf, "GET", "/plans")
    if not 200 <= status < 300:
        raise PluginError("the API refused to list plans: " + _error_text(status, doc))
    if not isinstance(doc, dict) or not isinstance(doc.get("plans"), list):
        raise PluginError('the API\'s plan list has no "plans" array')
    plans = []
    for i, p in enumerate(doc["plans"]):
        if not isinstance(p, dict) or not isinstance(p.get("id"), (str, int)):
            raise PluginError("plan %d from the API has no id" % i)
        plans.append((str(p["id"]), p.get("name") if isinstance(p.get("name"), str) else "plan %s" % p["id"]))
    return plans


def create_order(conf, plan_id):
    status, doc = _request(conf, "POST", "/orders", {"plan": plan_id})
    if status in (404, 422):
        raise PluginError('unknown configuration "%s" (the API says: %s)' % (plan_id, _error_text(status, doc)))
    if not 200 <= status < 300:
        raise PluginError("the API refused the order: " + _error_text(status, doc))
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), (str, int)):
        raise PluginError("the API accepted the order but returned no order id")
    return str(doc["id"])


def get_order(conf, task_id):
    status, doc = _request(conf, "GET", "/orders/" + urllib.parse.quote(task_id, safe=""))
    if status == 404:
        raise PluginError('unknown task "%s"' % task_id)
    if not 200 <= status < 300 or not isinstance(doc, dict):
        raise PluginError("the API cannot tell the state of task %s: %s" % (task_id, _error_text(status, doc)))
    # Map the API's states onto the three bx-provider knows.
    state = doc.get("status")
    if state in ("pending", "provisioning"):
        return {"status": "in_progress"}
    if state == "active":
        return {"status": "finished", "server": doc.get("ip"), "password": doc.get("root_password")}
    if state == "failed":
        return {"status": "error", "message": doc.get("error") or "the order failed"}
    raise PluginError('the API reported an unknown state "%s" for task %s' % (state, task_id))
