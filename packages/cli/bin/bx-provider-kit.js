#!/usr/bin/env node
// Committed entry point, so that `npm ci` links the bin before the first build.
// Start-up (bench/startup.js): `--version`, `--help` and `COMMAND --help` are answered here
// without loading yargs (the help as `npm run build` rendered it into dist/help.json; yargs
// wraps at min(100, columns), so only a terminal narrower than 100 columns needs yargs).
// Everything else runs dist/bx-provider-kit.js, the bundle of yargs and the CLI (each command
// loads its packages when it runs), or dist/main.js when there is no bundle or it is older than
// the last `tsc -b`.
import { readFileSync, statSync } from 'node:fs';

const args = process.argv.slice(2);

/**
 * Is this build output (the bundle, the help) from the latest build? A `tsc -b` alone leaves
 * the bundle older than tsconfig.tsbuildinfo: then the modules tsc wrote are the truth. An
 * installed package has no tsbuildinfo: its bundle is the build.
 */
function fresh(url) {
  let mtime;
  try {
    mtime = statSync(url).mtimeMs;
  } catch {
    return false;
  }
  try {
    return mtime >= statSync(new URL('../tsconfig.tsbuildinfo', import.meta.url)).mtimeMs;
  } catch {
    return true;
  }
}
const isHelp = (a) => a === '--help' || a === '-h';

function fast() {
  if (args.length === 1 && args[0] === '--version') {
    process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
    return true;
  }
  if (!((args.length === 1 && isHelp(args[0])) || (args.length === 2 && isHelp(args[1]) && !args[0].startsWith('-')))) return false;
  if (process.stdout.isTTY && !(process.stdout.columns >= 100)) return false;
  const file = new URL('../dist/help.json', import.meta.url);
  if (!fresh(file)) return false;
  let help;
  try {
    help = JSON.parse(readFileSync(file, 'utf8'));
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
  await import(fresh(bundle) ? bundle.href : '../dist/main.js');
}
