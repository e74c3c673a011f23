import { expect } from 'chai';
import { shebangProblem } from './shebang.js';

const check = (s: string | Buffer) => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'latin1');
  return shebangProblem(b.subarray(0, 512), b.length);
};

describe('shebangProblem', () => {
  it('accepts the interpreters of a stock BitrixVM', () => {
    for (const l of ['#!/bin/bash', '#!/bin/sh', '#!/usr/bin/bash', '#! /bin/bash -e', '#!/usr/bin/perl -w', '#!/usr/bin/python3', '#!/usr/bin/php', '#!/usr/bin/env bash', '#!/usr/bin/env python3', '#!/usr/bin/env perl', '#!/usr/bin/env php', '#!/usr/bin/env sh', '#!/usr/bin/env -S bash -e']) {
      expect(check(`${l}\necho\n`), l).to.equal(null);
    }
    expect(check('#!/bin/sh'), 'no newline, whole file').to.equal(null);
  });
  it('refuses the rest, saying why', () => {
    const cases: [string | Buffer, RegExp][] = [
      ['', /empty/],
      ['echo hi\n', /no #! line/],
      [Buffer.from([0xef, 0xbb, 0xbf, 0x23, 0x21, 0x2f, 0x62, 0x0a]), /byte order mark/],
      ['#!/bin/bash\r\necho\r\n', /CRLF/],
      ['#!/usr/bin/env node\n', /"node"/],
      ['#!/usr/bin/python\n', /"\/usr\/bin\/python"/],
      ['#!/usr/local/bin/bash\n', /lacks/],
      ['#!\n', /empty #! line/],
      ['#!/usr/bin/env\n', /without a program/],
      [`#!/bin/bash ${'x'.repeat(300)}\n`, /longer than 255/],
      [Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(100)]), /ELF/],
    ];
    for (const [input, re] of cases) expect(check(input), JSON.stringify(String(input).slice(0, 30))).to.match(re);
  });
});
