// Test helpers: the project's fixtures in packages/schemas/fixtures/ — the recorded runs of the
// real bx-provider (bitrix-env 9.0.9), the JSON examples of the two BitrixVM documentation
// pages, and what the tests check against the host contract (see fixtures/README.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

function readJson<T>(rel: string): T {
  return JSON.parse(readFileSync(`${FIXTURES}${rel}`, 'utf8')) as T;
}

/** One recorded run of the real host: the command and its exact output. */
export interface HostRun {
  section: string | null;
  command: string;
  stdout: string;
  stderr: string;
  exitCode: number;
  wallTimeS?: number;
  stderrTrimmed?: boolean;
}

export interface HostTranscripts {
  what: string;
  host: { product: string; version: string; script: string };
  source: string;
  general: { id: string; title: string; text: string; listing?: string }[];
  sections: { id: string; title: string; text?: string; meaning?: string; listing?: string }[];
  runs: HostRun[];
}

export function hostTranscripts(): HostTranscripts {
  return readJson<HostTranscripts>('host-9.0.9/transcripts.json');
}

export interface Observed {
  /** `runs[index]` of host-9.0.9/transcripts.json, and its section */
  index: number;
  section: string | null;
  action: string;
  command: string;
  stdout: string;
  value: Record<string, unknown>;
}

const HOST_KIND: Record<string, string> = {
  list: 'host/list',
  status: 'host/status',
  configs: 'host/configs',
  order: 'host/order',
  order_status: 'host/order_status',
  orders_list: 'host/orders_list',
  order_to_host: 'host/order_to_host',
  install: 'host/message',
  uninstall: 'host/message',
};

/** The kind a host answer belongs to: error envelopes are host/error, install/uninstall host/message. */
export function hostKindOf(o: Observed): string {
  const isEnvelope = !('params' in o.value) && 'error' in o.value;
  if (isEnvelope) return 'host/error';
  const k = HOST_KIND[o.action];
  if (!k) throw new Error(`transcripts.json runs[${o.index}]: no host kind for action ${o.action}`);
  return k;
}

/** Every recorded `bx-provider -a ACTION` run whose stdout is one JSON object (on one line). */
export function observedHostOutputs(): Observed[] {
  const out: Observed[] = [];
  hostTranscripts().runs.forEach((r, index) => {
    const cmd = /^(\S+)(.*)$/.exec(r.command);
    const a = cmd && / -a (\S+)/.exec(cmd[2]!);
    if (!cmd || cmd[1] !== 'bx-provider' || !a) return;
    const m = /^(\{.*\})\n?$/.exec(r.stdout);
    if (!m) return;
    out.push({ index, section: r.section, action: a[1]!, command: r.command, stdout: m[1]!, value: JSON.parse(m[1]!) as Record<string, unknown> });
  });
  return out;
}

export interface SeedBlock {
  /** the fixture file (fixtures/docs/...) */
  file: string;
  /** the line of the documentation page the example starts on */
  line: number;
  /** the bullet the block belongs to (`list`, `order_status`, ...) */
  action: string;
  text: string;
}

export interface DocExamples {
  what: string;
  source: string;
  answersOf: 'host' | 'plugin';
  examples: { action: string; pageLine: number; text: string }[];
}

/** The JSON examples of a documentation page, verbatim: `bx-provider-script-en` or `provider-plugins-ru`. */
export function seedBlocks(page: 'bx-provider-script-en' | 'provider-plugins-ru'): SeedBlock[] {
  const file = `docs/${page}.json`;
  return readJson<DocExamples>(file).examples.map((e) => ({ file, line: e.pageLine, action: e.action, text: e.text }));
}

export interface ContractFixture {
  what: string;
  source: string;
  /** the success answers of the contract's table "What each action must answer" (§4) */
  section4Answers: { action: string; answer: string }[];
  /** every rule id of "Rules the conformance runner checks" (§5), in order */
  section5RuleIds: string[];
}

export function hostContract(): ContractFixture {
  return readJson<ContractFixture>('docs/host-contract.json');
}
