import type { CommandModule } from 'yargs';
import type { RuleDef } from '@bx-provider-kit/schemas';
import { KitError } from '../errors.js';

interface Args {
  selector?: string[];
  format: 'text' | 'markdown' | 'json';
}

export const rulesCommand: CommandModule<object, Args> = {
  command: 'rules [selector..]',
  describe: 'List the rule catalogue (ids, severity, what the host does, the fix)',
  builder: (y) =>
    y
      .positional('selector', { type: 'string', array: true, describe: 'Rule ids or prefixes (OUT, ARCH-, HELP-STATUS)' })
      .option('format', { choices: ['text', 'markdown', 'json'] as const, default: 'text' as const, describe: 'Output format' })
      .example('$0 rules', 'One line per rule')
      .example('$0 rules ORD --format json', 'The order rules as JSON')
      .example('$0 rules --format markdown > docs/rules.md', 'Regenerate the catalogue page'),
  handler: async (argv) => {
    // Loaded when the command runs, so other commands start fast.
    const { RULES, matchRules } = await import('@bx-provider-kit/schemas');
    const { renderRulesMarkdown, renderRulesText } = await import('../rules-doc.js');
    let rules: readonly RuleDef[] = RULES;
    if (argv.selector?.length) {
      const picked = new Set<RuleDef>();
      for (const s of argv.selector) {
        const m = matchRules(s);
        if (!m.length) throw new KitError(`no rule matches "${s}": try an id such as OUT-JSON or a prefix such as ARCH`);
        m.forEach((r) => picked.add(r));
      }
      rules = RULES.filter((r) => picked.has(r));
    }
    const text =
      argv.format === 'markdown' ? renderRulesMarkdown(rules) : argv.format === 'json' ? JSON.stringify(rules, null, 2) + '\n' : renderRulesText(rules);
    process.stdout.write(text);
  },
};
