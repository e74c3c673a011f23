import type { CommandModule } from 'yargs';
import type { RunCreateArgs } from 'create-provider';
import { DEFAULT_TEMPLATE, TEMPLATES } from 'create-provider/templates';
import { KitError } from '../errors.js';
// Only create-provider's table of templates (a small module: no ajv, no file system) is
// imported here; the scaffolder itself is loaded when the command runs, so other commands
// start fast.

type Args = RunCreateArgs;

export const newCommand: CommandModule<object, Args> = {
  command: 'new [name]',
  describe: 'Scaffold a provider plugin (bash, PHP, Python or Perl) that passes every rule',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'Provider NAME: letters, digits, _ and -, starting with a letter' })
      .option('template', { alias: 't', type: 'string', choices: [...TEMPLATES], describe: `Plugin language (default ${DEFAULT_TEMPLATE})` })
      .option('dir', { alias: 'd', type: 'string', describe: 'Target folder (default ./NAME)' })
      .option('description', { type: 'string', describe: 'One line for provider.json' })
      .option('force', { alias: 'f', type: 'boolean', describe: "Write into a non-empty folder: overwrite the template's files, delete nothing" })
      .option('yes', { alias: 'y', type: 'boolean', describe: 'Never ask; defaults for everything not given' })
      .example('$0 new my-hoster', 'bash plugin in ./my-hoster (asks for the rest on a terminal)')
      .example('$0 new my-hoster --template python --yes', 'Python plugin, no questions')
      .example('$0 new my-hoster -t perl --dir plugins/my-hoster', 'Perl plugin in plugins/my-hoster')
      .epilogue('On a terminal, whatever is not given is asked for; otherwise nothing waits for input. Same as `npm create provider NAME`.'),
  handler: async (argv) => {
    const { name, template, dir, description, force, yes } = argv;
    // create-provider would name itself (`create-provider NAME`) in this message.
    if (name === undefined && (yes || !process.stdin.isTTY || !process.stdout.isTTY)) {
      throw new KitError(`name the provider: bx-provider-kit new NAME (letters, digits, _ and -, starting with a letter); ${yes ? 'with --yes nothing is asked' : 'there is no terminal to ask on'}`);
    }
    const { runCreate } = await import('create-provider');
    // the kit is installed already: the next steps call bx-provider-kit itself
    await runCreate({ name, template, dir, description, force, yes }, { kit: 'installed' });
  },
};
