import type { CommandModule } from 'yargs';

import { paint, useColor } from '../tty.js';

interface Args {
  kind?: string;
  json?: boolean;
}

export const schemaCommand: CommandModule<object, Args> = {
  command: 'schema [kind]',
  describe: 'Print the JSON Schema of a document kind, or list the kinds',
  builder: (y) =>
    y
      .positional('kind', { type: 'string', describe: 'Document kind, e.g. plugin/help or host/orders_list' })
      .option('json', { type: 'boolean', describe: 'With no kind: list the kinds as JSON [{kind, title, id}]' })
      .example('$0 schema', 'List the document kinds with their titles')
      .example('$0 schema plugin/order_status > order_status.schema.json', 'Save a schema for an editor or another validator')
      .epilogue('Exit codes: 0 printed, 2 unknown kind.'),
  handler: async (argv) => {
    const { getSchema, listKinds } = await import('@bx-provider-kit/schemas');
    if (argv.kind) {
      process.stdout.write(`${JSON.stringify(getSchema(argv.kind), null, 2)}\n`);
      return;
    }
    const rows = listKinds().map((kind) => {
      const s = getSchema(kind);
      return { kind, title: typeof s.title === 'string' ? s.title : '', id: typeof s.$id === 'string' ? s.$id : '' };
    });
    if (argv.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    const color = useColor(process.stdout);
    const w = Math.max(...rows.map((r) => r.kind.length));
    for (const r of rows) process.stdout.write(`${paint.bold(color, r.kind.padEnd(w))}  ${r.title}\n`);
  },
};
