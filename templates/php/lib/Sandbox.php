<?php
/**
 * Sandbox backend: fake servers, no network. For trying the plugin on a BitrixVM and for tests.
 *
 * Plans come from `plan = ID | description` lines of etc/NAME.conf. `order` writes one JSON
 * file per task into var/tasks/ under the plugin folder; the task is in_progress until
 * sandbox_delay_ms milliseconds have passed, then finished with an address from the
 * documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24: never a real host) and
 * a random password (or, for the plan named by sandbox_fail_plan, status error with a message).
 * Address and password are chosen at order time, so later answers never change.
 *
 * The interface every backend implements (see lib/HttpApi.php for the real one):
 *   listPlans()            array of array(id, description)
 *   createOrder($planId)   task id (letters, digits, _ and -), or throw PluginError
 *   getOrder($taskId)      array('status' => 'in_progress'|'finished'|'error',
 *                                'server' => ..., 'password' => ..., 'message' => ...)
 */
class Sandbox
{
    const ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

    private $conf;

    public function __construct(array $conf)
    {
        $this->conf = $conf;
    }

    private static function word($n)
    {
        $out = '';
        $max = strlen(self::ALPHABET) - 1;
        for ($i = 0; $i < $n; $i++) {
            $out .= self::ALPHABET[random_int(0, $max)];
        }
        return $out;
    }

    private static function nowMs()
    {
        return (int) floor(microtime(true) * 1000);
    }

    public function listPlans()
    {
        return $this->conf['plans'];
    }

    public function createOrder($planId)
    {
        $known = false;
        foreach ($this->conf['plans'] as $plan) {
            $known = $known || $plan[0] === $planId;
        }
        if (!$known) {
            throw new PluginError("unknown configuration \"$planId\" (see: {$this->conf['name']} configs)");
        }
        $state = $this->conf['state_dir'];
        if (!is_dir($state) && !@mkdir($state, 0700, true) && !is_dir($state)) {
            throw new PluginError("cannot create the task folder $state");
        }
        $ranges = array('192.0.2.', '198.51.100.', '203.0.113.');
        $now = self::nowMs();
        $task = array(
            'plan' => $planId,
            'created_ms' => $now,
            'ready_ms' => $now + $this->conf['sandbox_delay_ms'],
            'server' => $ranges[random_int(0, 2)] . random_int(1, 254),
            'password' => self::word(20),
            'fail' => $this->conf['sandbox_fail_plan'] !== '' && $planId === $this->conf['sandbox_fail_plan'],
        );
        // Write the whole task to a private file, then hard-link it to its final name: link(2)
        // fails if the name exists, so two concurrent orders never share an id, and a reader
        // never sees a half-written task.
        $tmp = $state . '/.new.' . getmypid() . '.' . self::word(8);
        $f = @fopen($tmp, 'x');
        if ($f === false || fwrite($f, json_encode($task)) === false || !fclose($f)) {
            @unlink($tmp);
            throw new PluginError("cannot write to $state");
        }
        try {
            for ($attempt = 0; $attempt < 8; $attempt++) {
                $taskId = 'sb-' . self::word(10);
                if (@link($tmp, "$state/$taskId")) {
                    plugin_log("sandbox: task $taskId ordered, plan $planId, ready in {$this->conf['sandbox_delay_ms']} ms");
                    return $taskId;
                }
            }
        } finally {
            @unlink($tmp);
        }
        throw new PluginError("cannot create a task in $state");
    }

    public function getOrder($taskId)
    {
        $path = $this->conf['state_dir'] . '/' . $taskId;
        if (!is_file($path)) {
            throw new PluginError("unknown task \"$taskId\"");
        }
        $task = json_decode((string) @file_get_contents($path), true);
        if (!is_array($task) || !isset($task['ready_ms'], $task['server'], $task['password'])) {
            throw new PluginError("task \"$taskId\" is damaged ($path)");
        }
        if (self::nowMs() < $task['ready_ms']) {
            return array('status' => 'in_progress');
        }
        if (!empty($task['fail'])) {
            return array('status' => 'error', 'message' => "sandbox: orders of plan {$task['plan']} fail (sandbox_fail_plan in etc/{$this->conf['name']}.conf)");
        }
        return array('status' => 'finished', 'server' => $task['server'], 'password' => $task['password']);
    }
}
