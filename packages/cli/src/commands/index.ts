import type { CommandModule } from 'yargs';
import { rulesCommand } from './rules.js';

/**
 * Every command of bx-provider-kit, one module each. Add a command by importing its module
 * here; keep each module small: parse options, call the package that does the job, print.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  rulesCommand,
];
