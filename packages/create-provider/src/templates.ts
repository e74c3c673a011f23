/**
 * The one table of plugin templates (as create-vite's FRAMEWORKS): the scaffolder, its
 * interactive menu and --help, the printed next steps, and bx-provider-kit's `new`, `demo` and
 * shell completion all read it. A row names a folder `templates/<name>/`; files every template
 * has in common live once in `templates/_shared/` (see render.ts).
 *
 * This module is light on purpose (no ajv, no schemas, no file system): the CLI imports it
 * statically as `create-provider/templates` for its --template choices and still starts fast.
 */
import { KitError } from '@bx-provider-kit/schemas/errors';

export interface TemplateInfo {
  /** The folder under templates/ and the value of --template. */
  readonly name: string;
  /** One line for menus and help: the language and what it needs. */
  readonly label: string;
  /** The HTTP adapter to the hoster's own API: the file a hoster rewrites. */
  readonly adapter: string;
  /** The sandbox backend (fake servers, no network). */
  readonly sandbox: string;
  /** What the plugin needs on the BitrixVM (a stock one has it). */
  readonly runtime: string;
  /**
   * A command that checks a source file of the template without running it, the file's path
   * appended, run from the plugin folder; `command -v argv[0]` says whether it can run here.
   */
  readonly syntaxCheck: readonly string[];
}

export const TEMPLATE_TABLE = [
  {
    name: 'bash',
    label: 'bash + coreutils + curl (no jq)',
    adapter: 'lib/api.sh',
    sandbox: 'lib/sandbox.sh',
    runtime: 'bash 4.2+, coreutils, curl',
    syntaxCheck: ['bash', '-n'],
  },
  {
    name: 'php',
    label: 'PHP (php-cli, json extension)',
    adapter: 'lib/HttpApi.php',
    sandbox: 'lib/Sandbox.php',
    runtime: 'php-cli 7.2+ with the json extension',
    syntaxCheck: ['php', '-l'],
  },
  {
    name: 'python',
    label: 'Python 3 (standard library only)',
    adapter: 'lib/http_api.py',
    sandbox: 'lib/sandbox.py',
    runtime: 'python3 3.6+, standard library only',
    // ast.parse: a syntax check that writes no __pycache__
    syntaxCheck: ['python3', '-c', 'import ast, sys; ast.parse(open(sys.argv[1], "rb").read(), sys.argv[1])'],
  },
  {
    name: 'perl',
    label: 'Perl 5 (core modules: JSON::PP, HTTP::Tiny)',
    adapter: 'lib/HttpApi.pm',
    sandbox: 'lib/Sandbox.pm',
    runtime: 'perl 5.10+, core modules only',
    syntaxCheck: ['perl', '-Ilib', '-c'],
  },
] as const satisfies readonly TemplateInfo[];

export type TemplateName = (typeof TEMPLATE_TABLE)[number]['name'];

/** The template names, in the table's order (the menu's order). */
export const TEMPLATES: readonly TemplateName[] = TEMPLATE_TABLE.map((t) => t.name);

export const DEFAULT_TEMPLATE: TemplateName = 'bash';

/** The labels by name (derived from TEMPLATE_TABLE). */
export const TEMPLATE_LABELS: Readonly<Record<TemplateName, string>> = Object.fromEntries(TEMPLATE_TABLE.map((t) => [t.name, t.label])) as Record<TemplateName, string>;

export function isTemplateName(t: string): t is TemplateName {
  return (TEMPLATES as readonly string[]).includes(t);
}

/** The table row of a template. */
export function templateInfo(name: TemplateName): TemplateInfo {
  return TEMPLATE_TABLE.find((t) => t.name === name)!;
}

/** Throws the one-line KitError (exit 2) that names the templates when T is not one. */
export function assertTemplate(t: string): asserts t is TemplateName {
  if (!isTemplateName(t)) throw new KitError(`unknown template "${t}": choose one of ${TEMPLATES.join(', ')}`);
}
