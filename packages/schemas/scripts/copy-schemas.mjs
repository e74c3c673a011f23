// Packing @bx-provider-kit/schemas (prepack): copies the repository's schemas/ (the one source of
// the JSON Schemas) into the package, byte for byte, so that an installed package finds them
// beside dist/ and the ahead-of-time validators' sha256 check holds. `--remove` (postpack)
// deletes the copy again, so a clone always reads the top-level folder.
import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.resolve(here, '../../../schemas');
const target = path.resolve(here, '../schemas');

rmSync(target, { recursive: true, force: true });
if (!process.argv.includes('--remove')) {
  if (!existsSync(source)) {
    console.error(`copy-schemas: ${source} is missing: pack @bx-provider-kit/schemas from a clone of the repository`);
    process.exit(2);
  }
  cpSync(source, target, { recursive: true, filter: (p) => path.basename(p) === path.basename(source) || !path.basename(p).startsWith('.') });
}
