#!/usr/bin/env node
/**
 * `create-provider NAME` (also `npm create provider NAME`, `npx create-provider NAME`):
 * the same as `bx-provider-kit new NAME`, with the same flags.
 */
import { main } from './create-command.js';

process.exitCode = await main(process.argv.slice(2));
