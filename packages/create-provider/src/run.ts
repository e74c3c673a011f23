/**
 * The command behind `create-provider NAME` and `bx-provider-kit new NAME`: asks for what is
 * missing when both stdin and stdout are terminals (and --yes is not given), never waits for
 * input otherwise, writes the plugin and prints the next steps.
 */
import { createInterface } from 'node:readline/promises';
import { KitError } from '@bx-provider-kit/schemas';
import { createProvider, defaultDescription, explainBadName, nextSteps, type CreateProviderResult } from './scaffold.js';
import { DEFAULT_TEMPLATE, TEMPLATE_TABLE, TEMPLATES, assertTemplate, isTemplateName } from './templates.js';

export interface RunCreateArgs {
  name?: string;
  template?: string;
  dir?: string;
  description?: string;
  force?: boolean;
  /** Never ask: take defaults for everything not given. */
  yes?: boolean;
}

export interface RunCreateIo {
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream;
  cwd?: string;
  /** How the printed next steps run the kit (see nextSteps): `npm` unless the caller is bx-provider-kit. */
  kit?: 'npm' | 'installed';
}

export const DEFAULT_NAME = 'my-hoster';

async function ask(io: Required<Pick<RunCreateIo, 'stdin' | 'stdout'>>, args: RunCreateArgs): Promise<RunCreateArgs> {
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: true });
  const out = { ...args };
  let closed = false;
  rl.on('close', () => {
    closed = true;
  });
  const question = async (q: string): Promise<string> => {
    if (closed) throw new KitError('input closed before every question was answered');
    try {
      return (await rl.question(q)).trim();
    } catch {
      throw new KitError('cancelled');
    }
  };
  try {
    if (out.name === undefined) {
      for (;;) {
        const a = (await question(`Provider name (${DEFAULT_NAME}): `)) || DEFAULT_NAME;
        const why = explainBadName(a);
        if (!why) {
          out.name = a;
          break;
        }
        io.stdout.write(`  ${why}\n`);
      }
    }
    if (out.template === undefined) {
      io.stdout.write(TEMPLATE_TABLE.map((t, i) => `  ${i + 1}) ${t.name.padEnd(7)} ${t.label}`).join('\n') + '\n');
      for (;;) {
        const a = (await question(`Template [1-${TEMPLATES.length} or name] (${DEFAULT_TEMPLATE}): `)) || DEFAULT_TEMPLATE;
        const pick = /^[1-9][0-9]*$/.test(a) ? TEMPLATES[Number(a) - 1] : a;
        if (pick && isTemplateName(pick)) {
          out.template = pick;
          break;
        }
        io.stdout.write(`  choose one of ${TEMPLATES.join(', ')}\n`);
      }
    }
    if (out.description === undefined) {
      const d = defaultDescription(out.name!);
      out.description = (await question(`Description (${d}): `)) || d;
    }
  } finally {
    rl.close();
  }
  return out;
}

/** Runs the scaffolder as a command; returns what was written. Throws KitError on bad input. */
export async function runCreate(args: RunCreateArgs, io: RunCreateIo = {}): Promise<CreateProviderResult> {
  const stdin = io.stdin ?? process.stdin;
  const stdout = io.stdout ?? process.stdout;
  const interactive = !args.yes && Boolean(stdin.isTTY) && Boolean(stdout.isTTY);
  let a = { ...args };
  if (a.template !== undefined) assertTemplate(a.template);
  if (a.name !== undefined) {
    const why = explainBadName(a.name);
    if (why) throw new KitError(`cannot use that provider name: ${why}`);
  }
  const missing = a.name === undefined || a.template === undefined || a.description === undefined;
  if (interactive && missing) a = await ask({ stdin, stdout }, a);
  if (a.name === undefined) {
    throw new KitError('name the provider: create-provider NAME (letters, digits, _ and -, starting with a letter); there is no terminal to ask on');
  }
  const result = await createProvider({
    name: a.name,
    template: a.template ?? DEFAULT_TEMPLATE,
    dir: a.dir,
    description: a.description,
    force: a.force,
  });
  stdout.write(nextSteps(result, io.cwd ?? process.cwd(), { kit: io.kit }));
  return result;
}
