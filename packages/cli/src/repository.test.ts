/**
 * The repository is self-contained: a hoster's clone has nothing beside it, so no tracked file
 * may read or point at a folder next to the repository (the project's own fixtures live in
 * packages/schemas/fixtures/).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

describe('the repository is self-contained', () => {
  it('no tracked file refers to a shared folder beside the repository', function () {
    if (!existsSync(path.join(REPO, '.git'))) this.skip();
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 }).split('\0').filter(Boolean);
    expect(files.length).to.be.greaterThan(100);
    const beside = new RegExp(['\\.\\./', 'shared\\b'].join('') + '|' + ['(^|[^A-Za-z0-9_])', 'shared/(host-|seeds|design)'].join(''));
    const hits: string[] = [];
    for (const f of files) {
      if (f === 'package-lock.json') continue;
      let text: string;
      try {
        text = readFileSync(path.join(REPO, f), 'utf8');
      } catch {
        continue; // deleted in the working tree
      }
      if (text.includes('\0')) continue;
      text.split('\n').forEach((l, i) => {
        if (beside.test(l)) hits.push(`${f}:${i + 1}: ${l.trim().slice(0, 120)}`);
      });
    }
    expect(hits).to.deep.equal([]);
  });
});
