/**
 * The rule catalogue: every rule of the project's host contract §5 (and the archive and host
 * round-trip rules it names; the ids are listed in fixtures/docs/host-contract.json), with its severity, what the real `bx-provider` does when the rule
 * is broken, and how to fix it. Every package reports rules by these ids; docs/rules.md is
 * generated from this list. `grep -rn "'OUT-BOM'"` finds every place a rule is used.
 */

export type Severity = 'error' | 'warning';

export type RuleArea =
  | 'output'
  | 'errors'
  | 'help'
  | 'configs'
  | 'order'
  | 'order_status'
  | 'lifecycle'
  | 'running'
  | 'package'
  | 'archive'
  | 'host'
  | 'api'
  | 'concurrency';

export interface RuleDef<Id extends string = string> {
  /** The id, verbatim from the host contract (fixtures/docs/host-contract.json). */
  id: Id;
  area: RuleArea;
  /**
   * The severity when the rule is broken. `error|warning` rules pick one per finding
   * (e.g. HELP-STATUS: `disabled` is an error, a missing status a warning).
   */
  severity: Severity | 'error|warning';
  /** One line: what the rule asks of a plugin. */
  title: string;
  /** What the real host does when the rule is broken. */
  host: string;
  /** How to fix it. */
  fix: string;
}

const R = <const Id extends string>(
  id: Id,
  area: RuleArea,
  severity: RuleDef['severity'],
  title: string,
  host: string,
  fix: string,
): RuleDef<Id> => ({ id, area, severity, title, host, fix });

const CATALOGUE = [
  // ---- Output (every action) ----
  R('OUT-EMPTY', 'output', 'error', 'stdout must not be empty or only whitespace',
    'Empty stdout or a lone "\\n" gives `Command `...` return empty string` (error 1); any other whitespace-only output makes the Perl die with a JSON parse error (exit 255, nothing on stdout).',
    'Print exactly one JSON object on stdout for every action, errors included.'),
  R('OUT-JSON', 'output', 'error', 'stdout must be exactly one JSON document',
    'The host parses all of stdout with JSON::PP; a log line before the document, text after it or a second document makes it die (exit 255); the web interface gets nothing.',
    'Send logs and debug lines to stderr or a log file; print one JSON document and a newline on stdout.'),
  R('OUT-BOM', 'output', 'error', 'stdout must not start with a byte order mark',
    'The BOM is read as three junk characters and the JSON parser dies (exit 255).',
    'Write UTF-8 without a BOM (check the editor or the encoder settings).'),
  R('OUT-OBJECT', 'output', 'error', 'the document must be a JSON object',
    'An array, string or number dies with `Not a HASH reference` (exit 255).',
    'Wrap the answer in an object, e.g. {"configurations": [...], "status": "enabled"}.'),
  R('OUT-UTF8', 'output', 'error', 'stdout must be valid UTF-8',
    'Invalid bytes pass into the web interface, whose JSON decoding fails; the page shows nothing.',
    'Encode every string as UTF-8 (convert legacy encodings such as CP1251 before printing).'),
  R('OUT-SIZE', 'output', 'error', 'stdout must stay under 1 MiB',
    'The host buffers all of stdout in memory and hands it to the web request; the runner stops reading at 1 MiB.',
    'Answer with what the host needs only; keep large data out of the answers.'),
  R('OUT-NEWLINE', 'output', 'warning', 'the document should be followed by exactly one newline',
    'The host does not care, but people running the plugin by hand get a glued prompt or stray blank lines.',
    'End the output with a single "\\n" after the JSON document.'),
  R('OUT-STDERR', 'output', 'warning', 'a successful call should print nothing on stderr',
    'stderr goes straight through bx-provider to the caller and its logs on every call.',
    'Write diagnostics to a log file under the plugin folder, or only on failures.'),
  // ---- Errors ----
  R('ERR-SUCCESS-KEY', 'errors', 'error', 'a success answer must not have an `error` key',
    'Any `error` key makes the host drop the data; with `"error": 0` it then dereferences the missing data and dies (exit 255), in `help` it breaks `list` for every provider.',
    'Leave `error` out of success answers entirely (not 0, not false, not null).'),
  R('ERR-TYPE', 'errors', 'error', '`error` must be a positive integer',
    '`true`, `"yes"` or any non-integer dies on a Moose Int type check (exit 2 or 255); 0 is taken as success with no data and dies a line later. A string of digits such as `"1"` passes that check and works: a warning, since the documented form is a number.',
    'Use {"error": 1, "error_message": "..."} (any integer >= 1).'),
  R('ERR-MESSAGE', 'errors', 'error', 'an error answer must have a non-empty string `error_message`',
    'Only `error_message` is read: without it the host reports `... return ` with no text and prints a Perl warning; `message` is ignored.',
    'Put the human-readable reason in `error_message`.'),
  R('ERR-BAD-ARGS', 'errors', 'error', 'bad arguments must get an error answer',
    'A crash, empty output or a success for a missing argument, an unknown config id, an unknown task id or an unknown action reaches the web interface as garbage or as a phantom order.',
    'Validate the action and its argument first and answer {"error": 1, "error_message": "..."} for anything unknown or missing.'),
  R('ERR-EXIT', 'errors', 'warning', 'exit 0 on success, non-zero on an error answer',
    'The host ignores the exit code, but scripts, CI and people rely on it.',
    'exit 1 after printing an error answer; exit 0 after a success.'),
  // ---- help ----
  R('HELP-SCHEMA', 'help', 'error', '`options` must be an array of strings',
    'A string `options` dies with `Can\'t use string ... as an ARRAY ref` and takes `list` and `orders_list` down for every provider.',
    'Answer help with {"options": ["help", "configs", "order", "order_status"], "status": "enabled"}.'),
  R('HELP-REQUIRED', 'help', 'error', '`options` must list help, configs, order and order_status',
    'Each action is refused (`doesn\'t support ... option`) unless its name is listed; `order_to_host` and `orders_list` need `order_status`.',
    'List every action the plugin implements in `options`.'),
  R('HELP-UNKNOWN', 'help', 'warning', '`options` should only name actions the host knows',
    'Only help, init, configs, order and order_status are recognised; other names are silently ignored.',
    'Remove names the host does not know from `options`.'),
  R('HELP-STATUS', 'help', 'error|warning', '`status` should be `enabled`',
    '`disabled` blocks every action (error); a missing status shows the provider as `exists`, any other string passes through as the provider\'s status (warning).',
    'Answer "status": "enabled" (or "disabled" on purpose, to switch the provider off).'),
  R('HELP-ERROR', 'help', 'error', '`help` must not answer with an error',
    'An error from `help` is swallowed: the provider shows status `exists`, every option 0, and every action is refused with `doesn\'t support ... option`; the error message is never shown.',
    'Make `help` answer without calling the hoster\'s API; report API problems from the other actions.'),
  // ---- configs ----
  R('CFG-SCHEMA', 'configs', 'error', '`configurations` must be an array of {id, descr} with string values',
    'The host passes the answer through as `provider_configs.NAME`; the web interface reads `configurations[].id` and `.descr` and plain output prints them; a missing array makes the host die.',
    'Answer {"configurations": [{"id": "1", "descr": "VPS 1 CPU / 1 GB"}], "status": "enabled"}.'),
  R('CFG-EMPTY', 'configs', 'warning', 'there should be at least one configuration',
    'The web interface shows nothing to order.',
    'Return the plans a customer can order, or disable the provider in `help`.'),
  R('CFG-ID-SAFE', 'configs', 'error', 'a config id must survive an unquoted shell word',
    'The id reaches `bin/NAME order ID` through `sh -c` unquoted: spaces split it, `;`, `$()` and backquotes run commands as root.',
    'Use only A-Z a-z 0-9 . _ - in ids, not starting with "-".'),
  R('CFG-ID-UNIQUE', 'configs', 'error', 'config ids must be unique',
    'The web interface cannot tell the plans apart; an order goes to whichever plan the plugin finds first.',
    'Give every configuration its own id.'),
  R('CFG-ID-STRING', 'configs', 'warning', 'a config id should be a JSON string',
    'A number works (the host passes it through), but the documented form is a string.',
    'Quote the id: "id": "1".'),
  // ---- order ----
  R('ORD-TASK-ID', 'order', 'error', '`order` must answer a non-empty `task_id` (string or number)',
    'A missing or empty task_id gives `doesn\'t return task_id` (error 1), after the plugin already placed the order.',
    'Answer {"task_id": "24"} with the id `order_status` understands.'),
  R('ORD-TASK-SAFE', 'order', 'error', 'a task id must be a safe file name and shell word',
    'The host saves each task as `tasks/TASK_ID` (a "/" gives `Cannot save`, after the plugin already ordered) and passes the id to a shell unquoted later.',
    'Use only A-Z a-z 0-9 . _ - (not starting with "-", not "." or "..", at most 64 characters).'),
  R('ORD-TASK-UNIQUE', 'order', 'error', 'every order must get a new task id',
    'Re-using a task id truncates that task\'s file: its `complete` or `error` mark is lost and two orders share one record.',
    'Derive task ids from the hoster\'s order id, or generate unique ones (counter under a lock, or random).'),
  R('ORD-SPEED', 'order', 'error|warning', '`order` must return at once',
    'The host waits for `order` with no timeout; the web request hangs while the plugin provisions.',
    'Place the order, answer the task id at once, and let `order_status` report the progress.'),
  // ---- order_status ----
  R('STAT-SCHEMA', 'order_status', 'error', '`status` must be in_progress, finished or error',
    'A missing/empty status gives `doesn\'t return status` (error 1); a numeric one gives `Unknown status` in order_to_host; any other string is treated as in progress forever.',
    'Answer "status": "in_progress", "finished" or "error".'),
  R('STAT-ECHO', 'order_status', 'warning', '`task_id` should echo the id asked for',
    'The host passes the answer through; the web interface and plain output show the task id the plugin returns.',
    'Include "task_id" with the id you were called with.'),
  R('STAT-FINISHED', 'order_status', 'error|warning', '`finished` needs `server` (and `server_password`)',
    'order_to_host adds `server` to the pool (error without it); it copies the pool\'s SSH key with `server_password` (warning without it: the key copy is skipped and adding the host fails).',
    'Answer {"task_id": "24", "status": "finished", "server": "203.0.113.5", "server_password": "..."}.'),
  R('STAT-ERROR-STATUS', 'order_status', 'warning', '`status: "error"` should carry a `message`',
    'A plugin `status: "error"` is not an error for the host: it passes the answer through and the web interface shows its `message`, or nothing.',
    'Add "message": "why the order failed".'),
  // ---- lifecycle ----
  R('LIFE-REACHES-END', 'lifecycle', 'error', 'an order must reach finished or error',
    'The web interface polls order_status until the order ends; a task that never ends is a server that never joins the pool.',
    'Make order_status report finished (or error with a message) once the hoster is done.'),
  R('LIFE-MONOTONIC', 'lifecycle', 'error', 'a final status must stay put',
    'order_to_host and orders_list call order_status again later: a task that goes back to in_progress or changes its server is added twice or never.',
    'Once a task is finished or error, answer the same status and server on every later call.'),
  // ---- running ----
  R('RUN-TIMEOUT', 'running', 'error', 'every call must end within the hard budget',
    'The host has no timeout: a slow call blocks the web request for as long as it runs.',
    'Keep every action fast; do slow work asynchronously behind order/order_status; set timeouts on API calls.'),
  R('RUN-SLOW', 'running', 'warning', 'every call should end within the soft budget',
    'Each web page runs `help` plus an action; seconds add up for the person waiting.',
    'Cache what does not change (plans) and set short timeouts on API calls.'),
  R('RUN-CWD', 'running', 'error', 'the answer must not depend on the current directory',
    'The host runs the plugin in the caller\'s cwd, never in the plugin folder.',
    'Find etc/NAME.conf relative to the plugin\'s own path ($0, __FILE__, __file__).'),
  R('RUN-STDIN', 'running', 'error', 'the plugin must not read stdin',
    'stdin is the caller\'s: under the web interface there is nothing to read and the call hangs.',
    'Take everything from argv and the config file; never prompt.'),
  R('RUN-DETERMINISTIC', 'running', 'warning', '`help` and `configs` should answer the same on every call',
    'The host calls help before every action; a flapping answer makes actions refused at random.',
    'Return a stable list (cache the plans if the API is flaky).'),
  R('RUN-CRASH', 'running', 'error', 'the plugin must start and not be killed by a signal',
    'A plugin that cannot start (bad shebang, CRLF, missing interpreter) prints nothing: every action fails.',
    'Check the shebang line and the interpreter, use LF line ends, run the plugin by hand once.'),
  // ---- package (plugin folder) ----
  R('PKG-LAYOUT', 'package', 'error', '`bin/NAME` must exist at the root and be executable',
    'The host looks only for providers/NAME/bin/NAME with -x; without it the provider is `not exist on the host`, although install said it succeeded.',
    'Put the plugin at bin/NAME (no wrapping folder), chmod 0755.'),
  R('PKG-NAME', 'package', 'error', 'NAME must be a safe name',
    'NAME reaches shell command lines unquoted (install runs `tar xzf ... -C /opt/webdir/providers/NAME`).',
    'Use letters, digits, "_" and "-", starting with a letter.'),
  R('PKG-SHEBANG', 'package', 'error', '`bin/NAME` must start with a sound `#!` line',
    'Without a shebang, with a CRLF in it or with an interpreter a stock BitrixVM lacks, the plugin cannot start and every action gets empty output.',
    'Start with #!/bin/bash, #!/usr/bin/env python3, #!/usr/bin/perl or #!/usr/bin/php, with LF line ends.'),
  // ---- archive ----
  R('ARCH-SUFFIX', 'archive', 'error', 'the archive must be a .tar.gz or a .zip',
    '`.tar.bz2` is unpacked with `tar xzf` and always fails; `.tgz` and anything else is refused (`not supported archive`).',
    'Pack as NAME-vVERSION.tar.gz (bx-provider-kit pack does).'),
  R('ARCH-FORMAT', 'archive', 'error', 'the archive must be readable as its suffix says',
    'The host runs `tar xzf` or `unzip` on it; a corrupt or mislabelled file fails to unpack with a stale errno message.',
    'Repack the plugin; check the upload or download did not alter the file.'),
  R('ARCH-FILENAME', 'archive', 'error', 'the archive path must survive an unquoted shell',
    'The path is interpolated unquoted into `tar xzf PATH -C ...`: a space or shell character breaks install or runs commands as root.',
    'Name the archive with letters, digits, ".", "_" and "-" only, and keep it in such a folder.'),
  R('ARCH-LAYOUT', 'archive', 'error', 'the archive must hold bin/NAME at its root',
    'The host unpacks straight into providers/NAME; a wrapping folder installs "successfully" but the provider does not exist.',
    'Pack from inside the plugin folder: tar czf NAME.tar.gz -C DIR bin etc (or bx-provider-kit pack DIR).'),
  R('ARCH-NAME', 'archive', 'error|warning', 'NAME must agree across --name, the file name and bin/NAME',
    'The host looks for providers/NAME/bin/NAME with NAME the --provider value, not the archive name.',
    'Name the executable bin/NAME and the archive NAME-vVERSION.tar.gz, and install with --provider NAME.'),
  R('ARCH-EXEC', 'archive', 'error', 'bin/NAME must be stored executable',
    'tar and unzip keep the stored mode: without +x the provider is invisible after a "successful" install.',
    'chmod 0755 bin/NAME before packing.'),
  R('ARCH-ZIP-MODES', 'archive', 'error', 'zip entries must carry unix modes',
    'unzip extracts entries without unix attributes as 0600: bin/NAME is not executable and the provider does not exist.',
    'Use tar.gz, or a zip tool that stores unix modes (Info-ZIP `zip`).'),
  R('ARCH-SHEBANG', 'archive', 'error', 'bin/NAME in the archive must start with a sound `#!` line',
    'Without a shebang, with a CRLF in it or with a missing interpreter the installed plugin cannot start.',
    'Fix the first line of bin/NAME and repack.'),
  R('ARCH-ABSOLUTE', 'archive', 'error', 'no absolute paths',
    'Older tar and unzip would write outside providers/NAME, as root.',
    'Pack with relative paths (tar -C DIR ...).'),
  R('ARCH-TRAVERSAL', 'archive', 'error', 'no ".." in paths',
    'An entry with ".." writes outside providers/NAME, as root (zip-slip).',
    'Pack with relative paths inside the plugin folder only.'),
  R('ARCH-LINK', 'archive', 'error', 'no symlinks or hard links that leave the holder',
    'tar follows a link entry and later entries through it write anywhere on the host, as root.',
    'Copy the file into the plugin instead of linking to it.'),
  R('ARCH-SPECIAL', 'archive', 'error', 'no devices or fifos',
    'tar as root creates device nodes and fifos; a fifo in etc/ blocks the plugin that reads it.',
    'Pack regular files and folders only.'),
  R('ARCH-SETUID', 'archive', 'error', 'no setuid or setgid files',
    'tar as root keeps the bits: a setuid file is a privilege escalation.',
    'chmod u-s,g-s the file before packing.'),
  R('ARCH-WORLD-WRITABLE', 'archive', 'error', 'no world-writable files or folders',
    'The plugin runs as root: anyone on the host who can write it runs code as root.',
    'chmod o-w before packing (bx-provider-kit pack normalises modes).'),
  R('ARCH-DUPLICATE', 'archive', 'error', 'no duplicate entries',
    'The last copy wins on extraction: what was reviewed is not what runs.',
    'Repack from a clean folder.'),
  R('ARCH-LIMITS', 'archive', 'error', 'bounded entry count and uncompressed size',
    'The host unpacks everything with no limit: a bomb fills the disk of the server.',
    'Ship only the plugin: bin/, etc/, lib/, provider.json.'),
  R('ARCH-EXTRA', 'archive', 'warning', 'only bin/, etc/, lib/ and provider.json at the root',
    'Everything is unpacked into providers/NAME: VCS folders, editor files and tests are shipped to every host.',
    'Pack with bx-provider-kit pack, or list only the plugin\'s folders.'),
  // ---- host round trip ----
  R('HOST-INSTALL', 'host', 'error', 'the archive installs and the provider exists',
    '`-a install` followed by `-a status` must show the provider; otherwise nothing else works.',
    'Fix the PKG-* and ARCH-* findings.'),
  R('HOST-LIST', 'host', 'error', '`-a list` shows the provider',
    'The web interface lists providers from `list`; a broken `help` takes `list` down for every provider.',
    'Fix the help findings.'),
  R('HOST-STATUS', 'host', 'error', '`-a status` answers as the host schema says',
    'The web interface reads the provider\'s options and status from `status`.',
    'Fix the help findings.'),
  R('HOST-CONFIGS', 'host', 'error', '`-a configs` passes the configurations through',
    'The web interface reads `params.provider_configs.NAME.configurations`.',
    'Fix the configs findings.'),
  R('HOST-ORDER', 'host', 'error', '`-a order` returns the task id and saves the task',
    'The host saves tasks/TASK_ID and returns `params.provider_order.NAME.task_id`.',
    'Fix the order findings.'),
  R('HOST-ORDER-STATUS', 'host', 'error', '`-a order_status` passes the status through',
    'The web interface polls `params.provider_order.NAME.status`.',
    'Fix the order_status findings.'),
  R('HOST-ORDERS-LIST', 'host', 'error', '`-a orders_list` lists the task',
    'The web interface lists tasks from `params.provider_order_list.NAME`.',
    'Fix the order and order_status findings.'),
  R('HOST-ORDER-TO-HOST', 'host', 'error', '`-a order_to_host` adds the finished server to the pool',
    'On `finished` the host adds `server` to the pool and marks the task complete.',
    'Fix the STAT-FINISHED findings.'),

  // ---- API faults: the plugin's API fails (issue 13; probed through the runner's fault proxy) ----
  R('API-HELP', 'api', 'error', '`help` still lists its options when the API fails',
    'The host runs `help` before every action and reads an error (or no answer) as "supports nothing": while the API is down the provider shows every option 0 and every action is refused; a `help` that waits on the API blocks the web interface each time.',
    'Answer `help` from the plugin itself, without calling the API.'),
  R('API-CONFIGS', 'api', 'error', '`configs` answers an error object when the API fails',
    'A success with no configurations (or a cached guess) makes the web interface offer nothing, or plans that cannot be ordered, with no word of why; the hoster never learns its API was down.',
    'Turn every failed request (refused, timed out, a 5xx, not JSON) into {"error": 1, "error_message": "the API ... (why)"}.'),
  R('API-ORDER', 'api', 'error', '`order` answers an error, never a task id, when the API fails',
    'A task id for an order the API never received makes the host save a task that will never end: the web interface waits forever, or the plugin later reports a server that does not exist.',
    'Return a task id only after the API confirmed the order; any failure is an error answer.'),
  R('API-STATUS', 'api', 'error', '`order_status` answers an error or its last known `in_progress` when the API fails',
    '`finished` without a server loses the order the hoster already billed (the host never adds a server); `status: "error"` tells the administrator the order failed while it is still being provisioned.',
    'On a failed request answer an error object (or the last status the API gave); never "finished" or "error" without the API saying so.'),
  R('API-RECOVERS', 'api', 'error', 'once the API is back, the same task still reaches its end',
    'A task that stays broken after an outage (a cached failure, a lost task file) never reaches `finished`: the server is billed but never added to the pool.',
    'Keep no failure state from a failed request: ask the API again on the next order_status.'),
  R('API-TIME', 'api', 'error|warning', 'every call answers within the budgets when the API fails (error: hard, warning: soft)',
    'The host has no timeout: a plugin waiting on a dead API (no timeout on its HTTP client, or a long one) blocks the web request, and the administrator\'s page, for as long as it waits.',
    'Give every API request a short total timeout (connect and read; curl --max-time, urllib timeout plus an alarm, HTTP::Tiny timeout plus alarm, a stream context timeout), below the soft budget.'),
  R('API-OUTPUT', 'api', 'error', 'every answer is one well-formed JSON object when the API fails',
    'An uncaught exception printing HTML or a stack trace, a crash, or an error object without a positive `error` and an `error_message` makes the host die or report nothing: the web interface gets nothing.',
    'Catch every failure of the API client and answer {"error": 1, "error_message": "..."}; send diagnostics to stderr or a log.'),
  // ---- concurrency: two administrators, or a page reload, call the plugin at once (issue 13) ----
  R('CONC-TASK-UNIQUE', 'concurrency', 'error', 'parallel orders get distinct, safe task ids',
    'Two orders given the same task id share one task file on the host (the second truncates the first) and one of them is lost, though the hoster bills both.',
    'Create task ids atomically: take them from the API, or from a counter under flock, or create the task file with O_EXCL/link(2) and retry on a clash; never "count the files + 1".'),
  R('CONC-REACHES-END', 'concurrency', 'error', 'each of the parallel orders reaches its end',
    'A task lost to a race (a read-modify-write of one shared state file, an overwritten task file) never reaches `finished`: the server is billed but never added.',
    'Keep one file per task, written whole to a temporary name and renamed or linked into place; lock any shared file you must update.'),
  R('CONC-STATUS', 'concurrency', 'error', 'parallel `order_status` calls on one task give complete, valid answers that never move back',
    'A call that reads a state file while another rewrites it answers an error, nothing, or an older status: the web interface shows a failure or a task going back.',
    'Never rewrite state in place: write a temporary file and rename(2) it over the old one; readers then see the old or the new file, never half of one.'),
  R('CONC-REPEAT', 'concurrency', 'error|warning', 'repeated `help` and `configs` called at once answer the same (error: an error or no answer, warning: a different answer)',
    'The host runs `help` before every action of every administrator: a `help` or `configs` that fails when called at once (a busy lock, a shared temp file) refuses the action or shows no plans.',
    'Make help and configs read-only; never take an exclusive lock or write a fixed temp file in them.'),
];

/** Every rule id of the catalogue, as a literal union: a mistyped id is a compile error. */
export type RuleId = (typeof CATALOGUE)[number]['id'];

export const RULES: readonly RuleDef<RuleId>[] = CATALOGUE;

const BY_ID = new Map<string, RuleDef<RuleId>>(RULES.map((r) => [r.id, r]));

/** The rule with this id; throws on an unknown id (a typo in the kit is a bug, not user input). */
export function rule(id: string): RuleDef<RuleId> {
  const r = BY_ID.get(id);
  if (!r) throw new Error(`unknown rule id ${id}`);
  return r;
}

export function isRuleId(id: string): id is RuleId {
  return BY_ID.has(id);
}

/** Rule ids matching an id or a prefix such as `OUT` or `OUT-` or `ARCH-*`. */
export function matchRules(selector: string): RuleDef<RuleId>[] {
  const s = selector.replace(/\*$/, '').toUpperCase();
  if (BY_ID.has(s)) return [BY_ID.get(s)!];
  const prefix = s.endsWith('-') ? s : `${s}-`;
  return RULES.filter((r) => r.id.startsWith(prefix));
}

// The formats (SAFE_WORD, SAFE_NAME, the server address) are defined once, in formats.ts.
export { SAFE_WORD, SAFE_NAME } from './formats.js';
