import { expect } from 'chai';
import { TEMPLATES as SCAFFOLD_TEMPLATES } from 'create-provider';
import { TEMPLATES } from './new.js';

describe('bx-provider-kit new', () => {
  it('offers exactly the templates create-provider has (the list is repeated to keep start-up fast)', () => {
    expect([...TEMPLATES].sort()).to.deep.equal([...SCAFFOLD_TEMPLATES].sort());
  });
});
