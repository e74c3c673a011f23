import { RULES, type RuleDef } from '@bx-provider-kit/schemas';

const AREA_TITLES: Record<RuleDef['area'], string> = {
  output: 'Output (every action)',
  errors: 'Errors',
  help: '`help`',
  configs: '`configs`',
  order: '`order`',
  order_status: '`order_status`',
  lifecycle: 'The order lifecycle',
  running: 'Running',
  package: 'The plugin folder',
  archive: 'The archive',
  host: 'The host round trip',
  api: 'When the API fails',
  concurrency: 'Concurrent calls',
};

/** What a reader must know before an area's table (how the runner probes it). */
const AREA_NOTES: Partial<Record<RuleDef['area'], string[]>> = {
  api: [
    'The runner starts a fault proxy on 127.0.0.1 (an ephemeral port per probe, closed at the end of the run; it never',
    'reaches the network) and calls the plugin with `http_proxy`, `https_proxy`, `HTTP_PROXY`, `HTTPS_PROXY`,',
    '`ALL_PROXY` and `all_proxy` pointing at it and `no_proxy`/`NO_PROXY` empty. It plays four faults: **refused**',
    '(the connection is reset), **black hole** (accepted, never answered), **slow** (503 after more than the soft',
    'budget) and **503** (plain HTTP gets an HTML 503 page; an HTTPS CONNECT gets 502). `help` and `configs` are',
    'probed under each; with `--allow-order`, and only once a `configs` probe reached the proxy, also `order`, and',
    '`order_status` of a task ordered with the API up, which is then polled again through the proxy passing',
    'requests on (to loopback targets only: an API elsewhere cannot be brought back, and API-RECOVERS says so).',
    '',
    'If no request reached the proxy (the plugin ignores the proxy variables, or talks to no API, like a sandbox',
    'backend), every API rule is **skipped** with that reason, never passed. To be tested, honour the proxy',
    'variables, and do not bypass 127.0.0.1/localhost unless `no_proxy` says so:',
    '',
    '- **curl** (bash): reads `http_proxy` (lower case only), `https_proxy`/`HTTPS_PROXY`, `all_proxy`/`ALL_PROXY`,',
    '  and `no_proxy`/`NO_PROXY`. Nothing to do.',
    '- **Python**: `urllib.request` reads `http_proxy`/`https_proxy` (both cases) and `no_proxy`; `requests` also',
    '  `all_proxy`. Nothing to do, unless you build an opener with an empty `ProxyHandler({})`.',
    '- **PHP**: streams (`file_get_contents`, `fopen`) read **no** proxy variable: pass the proxy in the stream',
    '  context (`\'proxy\' => \'tcp://HOST:PORT\'`, `\'request_fulluri\' => true` for http), as the PHP template\'s',
    '  `lib/HttpApi.php` does; the curl extension reads them like curl.',
    '- **Perl**: `HTTP::Tiny` reads `http_proxy`, `https_proxy`, `all_proxy` and `no_proxy`; `LWP::UserAgent` only',
    '  after `$ua->env_proxy`.',
  ],
  concurrency: [
    'Two administrators, or a page reload during an order, call the plugin at once. The runner calls `help` and',
    '`configs` N times at once (N = 4 by default, `parallel` in the options), and with `--allow-order` places N',
    'orders at once, polls every task to its end, and asks one of them N times at once per poll.',
  ],
};

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** docs/rules.md, generated from the rule catalogue (`npm run docs`; CI fails when stale). */
export function renderRulesMarkdown(rules: readonly RuleDef[] = RULES): string {
  const out: string[] = [
    '# Rule catalogue',
    '',
    '<!-- Generated from packages/schemas/src/rules.ts by `npm run docs`. Do not edit by hand. -->',
    '',
    'Every rule the conformance runner (`bx-provider-kit test`), the archive verifier',
    '(`bx-provider-kit verify`) and the packer check, by id. The ids are those of the host',
    'contract; `grep -rn RULE-ID` finds a rule everywhere in the kit. **error**: the host breaks,',
    'refuses, or the web interface gets nothing or the wrong thing. **warning**: it works today',
    'but is fragile, unsafe or unfriendly.',
    '',
  ];
  const areas = [...new Set(rules.map((r) => r.area))];
  for (const area of areas) {
    out.push(`## ${AREA_TITLES[area]}`, '');
    if (AREA_NOTES[area]) out.push(...AREA_NOTES[area]!, '');
    out.push('| id | severity | rule | what the host does | fix |', '|---|---|---|---|---|');
    for (const r of rules.filter((x) => x.area === area)) {
      out.push(`| \`${r.id}\` | ${r.severity.replace('|', ' or ')} | ${cell(r.title)} | ${cell(r.host)} | ${cell(r.fix)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** One line per rule, for `bx-provider-kit rules`. */
export function renderRulesText(rules: readonly RuleDef[] = RULES): string {
  const w = Math.max(...rules.map((r) => r.id.length));
  return rules.map((r) => `${r.id.padEnd(w)}  ${r.severity.padEnd(13)}  ${r.title}`).join('\n') + '\n';
}
