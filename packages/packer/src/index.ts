/**
 * @bx-provider-kit/packer: pack plugin folders into byte-reproducible .tar.gz archives, judge any
 * archive the way the host will treat it, and extract archives safely for the host emulator.
 */
export type { Finding } from '@bx-provider-kit/schemas';
export { checkPluginFolder } from './folder.js';
export { pack, PackRefused, DEFAULT_MTIME, type PackOptions, type PackResult, type PackEntry } from './pack.js';
export { verifyArchive, type VerifyOptions, type VerifyResult, type ArchiveEntry } from './verify.js';
export { extractArchive, type ExtractOptions } from './extract.js';
export { shebangProblem, STOCK_INTERPRETERS, ENV_PROGRAMS } from './shebang.js';
export { readManifest, manifestProblems, type ProviderManifest } from './manifest.js';
export { isIgnoredName } from './ignore.js';
export { DEFAULT_LIMITS } from './walk.js';
export { LinkTree, lengthProblem, PATH_MAX } from './paths.js';
