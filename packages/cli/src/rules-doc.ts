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
    out.push(`## ${AREA_TITLES[area]}`, '', '| id | severity | rule | what the host does | fix |', '|---|---|---|---|---|');
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
