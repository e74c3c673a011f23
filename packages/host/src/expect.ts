/** Assertions shared by the emulator's tests: the recorded host runs (packages/schemas/fixtures/host-9.0.9) vs a run. */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Host, type HostResult, type RunOptions } from './index.js';
import { GOOD_HELP, tempDir, type ProbeSpec } from './testkit.js';

const temps: string[] = [];
/** Removes every temp folder made by tmp(); call from a root-level after hook. */
export function cleanup(): void {
  temps.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
}
export function tmp(): string {
  const d = tempDir();
  temps.push(d);
  return d;
}

export interface Env {
  root: string;
  host: Host;
  cwd: string;
  run(o: RunOptions): Promise<HostResult>;
  sub(s: string): string;
}
export function env(pool = true): Env {
  const base = tmp();
  const root = path.join(base, 'webdir');
  const cwd = path.join(base, 'cwd');
  fs.mkdirSync(cwd);
  const host = new Host({ root, pool });
  return {
    root,
    host,
    cwd,
    run: (o) => host.run({ cwd, ...o }),
    sub: (s) => s.split('/opt/webdir').join(root),
  };
}

/** The transcript's stdout (a JSON text) parsed, with ROOT for /opt/webdir. */
export function expectJson(e: Env, r: HostResult, expected: string, exit = 0): void {
  expect(r.exitCode, r.stderr).to.equal(exit);
  expect(r.stdout.endsWith('\n'), 'no trailing newline').to.equal(false);
  expect(r.json).to.deep.equal(JSON.parse(e.sub(expected)));
}
export function expectPlain(e: Env, r: HostResult, expected: string, exit = 0): void {
  expect(r.exitCode, r.stderr).to.equal(exit);
  expect(r.stdout).to.equal(e.sub(expected));
}
/** Where the real host dies: nothing on stdout, the same first line on stderr, exit 255 (or the stale errno). */
export function expectDie(e: Env, r: HostResult, firstLine: string, exit = 255): void {
  expect(r.stdout).to.equal('');
  expect(r.stderr.split('\n')[0]).to.equal(e.sub(firstLine));
  expect(r.exitCode).to.equal(exit);
}
export const statusJson = (name: string, opts: string, status = 'enabled', config = 'exists') =>
  `{"params":{"provider_options":{"${name}":{"options":${opts},"status":"${status}","files":{"config":"/opt/webdir/providers/${name}/etc/${name}.conf","execute":"/opt/webdir/providers/${name}/bin/${name}","holder":"/opt/webdir/providers/${name}"},"config":"${config}","name":"${name}"}}}}`;
export const ALL_OPTS = '{"order":1,"configs":1,"order_status":1,"help":1,"init":0}';
export const NO_OPTS = '{"order":0,"configs":0,"order_status":0,"help":0,"init":0}';
export const probeFiles = (l: string[]) => l.filter((x) => !/(answers|calls\.log)/.test(x));

export function withConfigs(configs: string, extra: ProbeSpec['answers'] = {}): ProbeSpec {
  return { answers: { help: GOOD_HELP, configs, ...extra } };
}

