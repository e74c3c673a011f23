import type { CommandModule } from 'yargs';
import { rulesCommand } from './rules.js';
import { validateCommand } from './validate.js';
import { schemaCommand } from './schema.js';
import { packCommand } from './pack.js';
import { verifyCommand } from './verify.js';
import { newCommand } from './new.js';
import { mockApiCommand } from './mock-api.js';
import { hostCommand } from './host.js';
import { testCommand } from './test.js';
import { demoCommand } from './demo.js';

/**
 * Every command of bx-provider-kit, one module each. Add a command by importing its module
 * here; keep each module small: parse options, call the package that does the job, print.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  rulesCommand,
  validateCommand,
  schemaCommand,
  packCommand,
  verifyCommand,
  newCommand,
  mockApiCommand,
  hostCommand,
  testCommand,
  demoCommand,
];
