import { expect } from 'chai';
import { getSchema } from './kinds.js';
import { SAFE_NAME_PATTERN, SAFE_WORD_PATTERN, SERVER_ADDRESS_PATTERN, TASK_ID_MAX, isServerAddress } from './formats.js';

/** The value at a JSON Pointer inside a schema. */
function at(kind: string, pointer: string): unknown {
  return pointer.split('/').filter(Boolean).reduce<unknown>((n, k) => (n as Record<string, unknown>)?.[k], getSchema(kind));
}

describe('formats: one definition each, and the schemas carry exactly it', () => {
  const rows: [string, string, string][] = [
    ['plugin/order_status', '/properties/server/pattern', SERVER_ADDRESS_PATTERN],
    ['plugin/configs', '/properties/configurations/items/properties/id/pattern', SAFE_WORD_PATTERN],
    ['plugin/order', '/properties/task_id/pattern', SAFE_WORD_PATTERN],
    ['provider', '/properties/name/pattern', SAFE_NAME_PATTERN],
  ];
  for (const [kind, pointer, want] of rows) {
    it(`${kind} ${pointer}`, () => expect(at(kind, pointer)).to.equal(want));
  }
  it('plugin/order task_id maxLength is TASK_ID_MAX', () => expect(at('plugin/order', '/properties/task_id/maxLength')).to.equal(TASK_ID_MAX));

  const servers: [unknown, boolean][] = [
    ['203.0.113.5', true], ['2001:db8::5', true], ['::1', true], ['vps-1.example.com', true], ['example.com.', true], ['h1', true],
    ['srv.123', false], ['999.1.1.1', false], ['1.2.3', false], ['1234', false], ['-a.com', false], ['a-.com', false], ['', false], [5, false], ['a b', false], [`${'a'.repeat(64)}.com`, false],
  ];
  for (const [v, ok] of servers) it(`server ${JSON.stringify(v)}: ${ok ? 'an address' : 'not an address'}`, () => expect(isServerAddress(v)).to.equal(ok));
});
