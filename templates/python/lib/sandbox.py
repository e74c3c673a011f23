"""Sandbox backend: fake servers, no network. For trying the plugin on a BitrixVM and for tests.

Plans come from `plan = ID | description` lines of etc/NAME.conf. `order` writes one JSON
file per task into var/tasks/ under the plugin folder; the task is in_progress until
sandbox_delay_ms milliseconds have passed, then finished with an address from the
documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24: never a real host) and a
random password (or, for the plan named by sandbox_fail_plan, status error with a message).
Address and password are chosen at order time, so later answers never change.

The interface every backend implements (see lib/http_api.py for the real one):
  list_plans(conf)               -> [(id, description), ...]
  create_order(conf, plan_id)    -> task id (letters, digits, _ and -), or raise PluginError
  get_order(conf, task_id)       -> {"status": "in_progress" | "finished" | "error",
                                     "server": ..., "password": ..., "message": ...}
"""
import json
import os
import secrets
import time

from plugin_errors import PluginError

ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RANGES = ("192.0.2.", "198.51.100.", "203.0.113.")


def _word(n):
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def list_plans(conf):
    return list(conf["plans"])


def create_order(conf, plan_id):
    if plan_id not in [p for p, _ in conf["plans"]]:
        raise PluginError('unknown configuration "%s" (see: %s configs)' % (plan_id, conf["name"]))
    state = conf["state_dir"]
    try:
        os.makedirs(state, exist_ok=True)
    except OSError as e:
        raise PluginError("cannot create the task folder %s: %s" % (state, e))
    now = int(time.time() * 1000)
    task = {
        "plan": plan_id,
        "created_ms": now,
        "ready_ms": now + conf["sandbox_delay_ms"],
        "server": secrets.choice(RANGES) + str(1 + secrets.randbelow(254)),
        "password": _word(20),
        "fail": bool(conf["sandbox_fail_plan"]) and plan_id == conf["sandbox_fail_plan"],
    }
    # Write the whole task to a private file, then hard-link it to its final name: link(2)
    # fails if the name exists, so two concurrent orders never share an id, and a reader never
    # sees a half-written task.
    tmp = os.path.join(state, ".new.%d.%s" % (os.getpid(), _word(8)))
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            json.dump(task, f)
        for _ in range(8):
            task_id = "sb-" + _word(10)
            try:
                os.link(tmp, os.path.join(state, task_id))
                conf["log"]("sandbox: task %s ordered, plan %s, ready in %d ms" % (task_id, plan_id, conf["sandbox_delay_ms"]))
                return task_id
            except FileExistsError:
                continue
    except OSError as e:
        raise PluginError("cannot write to %s: %s" % (state, e))
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    raise PluginError("cannot create a task in %s" % state)


def get_order(conf, task_id):
    path = os.path.join(conf["state_dir"], task_id)
    try:
        with open(path, encoding="utf-8") as f:
            task = json.load(f)
    except FileNotFoundError:
        raise PluginError('unknown task "%s"' % task_id)
    except (OSError, ValueError) as e:
        raise PluginError('task "%s" is damaged (%s): %s' % (task_id, path, e))
    if int(time.time() * 1000) < int(task["ready_ms"]):
        return {"status": "in_progress"}
    if task.get("fail"):
        return {"status": "error", "message": "sandbox: orders of plan %s fail (sandbox_fail_plan in etc/%s.conf)" % (task["plan"], conf["name"])}
    return {"status": "finished", "server": task["server"], "password": task["password"]}
