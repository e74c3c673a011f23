#!/usr/bin/env node
// Committed entry point, so that `npm ci` links the bin before the first build.
// Start-up (bench/startup.js): `--version`, `--help` and `COMMAND --help` are answered here
// without loading yargs (the help as `npm run build` rendered it into dist/help.json; yargs
// wraps at min(100, columns), so only a terminal narrower than 100 columns needs yargs).
// Everything else runs dist/bx-provider-kit.js, the bundle of yargs and the CLI (each command
// loads its packages when it runs), or dist/main.js when there is no bundle.
import { existsSync, readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const isHelp = (a) => a === '--help' || a === '-h';

function fast() {
  if (args.length === 1 && args[0] === '--version') {
    process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
    return true;
  }
  if (!((args.length === 1 && isHelp(args[0])) || (args.length === 2 && isHelp(args[1]) && !args[0].startsWith('-')))) return false;
  if (process.stdout.isTTY && !(process.stdout.columns >= 100)) return false;
  let help;
  try {
    help = JSON.parse(readFileSync(new URL('../dist/help.json', import.meta.url), 'utf8'));
  } catch {
    return false;
  }
  const text = help?.texts?.[args.length === 1 ? '' : args[0]];
  if (typeof text !== 'string') return false;
  process.stdout.write(text);
  return true;
}

if (!fast()) {
  const bundle = new URL('../dist/bx-provider-kit.js', import.meta.url);
  await import(existsSync(bundle) ? bundle.href : '../dist/main.js');
}
