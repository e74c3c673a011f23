/**
 * Shell completion beyond yargs' commands and flags: the values a user cannot guess.
 * `--reporter` values, `host -a` actions and `-o` formats, schema kinds for validate/schema,
 * rule ids for --only/--skip and `rules`. Loaded only when the shell asks (`--get-yargs-completions`).
 */
import { REPORTERS } from './commands/test.js';
import { TEMPLATES } from 'create-provider/templates';

/** The actions of bx-provider -a (as @bx-provider-kit/host's HOST_ACTIONS; kept here so completion does not load the emulator). */
export const HOST_ACTIONS = ['status', 'list', 'install', 'uninstall', 'pool', 'configs', 'order', 'orders_list', 'order_status', 'order_to_host'];
export const HOST_OUTPUTS = ['json', 'plain'];

async function kinds(): Promise<string[]> {
  const { listKinds } = await import('@bx-provider-kit/schemas');
  return listKinds();
}

async function ruleIds(): Promise<string[]> {
  const { RULES } = await import('@bx-provider-kit/schemas');
  const prefixes = [...new Set(RULES.map((r) => r.id.split('-')[0]!))];
  return [...prefixes, ...RULES.map((r) => r.id)];
}

/**
 * Completions for the words typed so far (the program name first, the word being completed
 * last), or undefined to let yargs offer commands and flags.
 */
export async function complete(words: string[]): Promise<string[] | undefined> {
  const typed = words.slice(1, -1);
  const current = words.at(-1) ?? '';
  const command = typed.find((w) => !w.startsWith('-'));
  const prev = typed.at(-1);
  if (current.startsWith('-')) return undefined;
  if (command === 'test' && (prev === '--reporter' || prev === '-r')) return current.includes(':') ? [] : [...REPORTERS];
  if (command === 'host' && (prev === '-a' || prev === '--action')) return HOST_ACTIONS;
  if (command === 'host' && (prev === '-o' || prev === '--output')) return HOST_OUTPUTS;
  if (command === 'new' && (prev === '-t' || prev === '--template')) return [...TEMPLATES];
  if (command === 'rules' && prev === '--format') return ['text', 'markdown', 'json'];
  // --only A B ...: every word after the flag until the next flag
  const lastFlag = [...typed].reverse().find((w) => w.startsWith('-'));
  if (command === 'test' && (lastFlag === '--only' || lastFlag === '--skip')) return ruleIds();
  const positionals = typed.filter((w, i) => !w.startsWith('-') && !(i > 0 && /^-/.test(typed[i - 1]!) && !typed[i - 1]!.includes('=') && VALUE_FLAGS.has(typed[i - 1]!)));
  if ((command === 'validate' || command === 'schema') && positionals.length === 1) return kinds();
  if (command === 'rules' && lastFlag === undefined) return ruleIds();
  return undefined;
}

/** Flags that take a value, so the word after them is not a positional. */
const VALUE_FLAGS = new Set(['--reporter', '-r', '--output', '-o', '--config', '--timeout', '--name', '--format', '-a', '--action', '--provider', '--config_id', '--task_id', '--archive', '--root', '-t', '--template', '-d', '--dir', '--description']);
