/** A provider as bxProvider.pm sees it: its files under ROOT/providers and its `help` answer. */
import { perlStr, perlStringRefDisplay, type PerlHash, type PerlValue } from './perl.js';
import { catfile, isExecutable, isFile } from './files.js';
import type { HostRun } from './run.js';

export type ProviderOptions = PerlHash & {
  name: PerlValue;
  status: PerlValue;
  config: string;
  files: { holder: string; config: string; execute: string };
  options: { help: number; init: number; configs: number; order: number; order_status: number };
};

export class Provider {
  private opts?: ProviderOptions;
  readonly nameStr: string;
  readonly holder: string;
  readonly execute: string;
  readonly config: string;
  readonly tasks: string;
  constructor(
    private readonly r: HostRun,
    readonly name: string | undefined,
  ) {
    this.nameStr = name ?? '';
    this.holder = catfile(r.base, this.nameStr);
    this.execute = catfile(catfile(this.holder, 'bin'), this.nameStr);
    this.config = catfile(catfile(this.holder, 'etc'), this.nameStr + '.conf');
    this.tasks = catfile(this.holder, 'tasks');
  }

  /** bxProvider::provider_options: lazily, once per provider object, running `help`. */
  async options(): Promise<ProviderOptions> {
    if (this.opts) return this.opts;
    const r = this.r;
    if (this.name === undefined) {
      r.warn('Use of uninitialized value in subroutine entry', 'bxProvider.pm', 106);
      r.warn('Use of uninitialized value in subroutine entry', 'bxProvider.pm', 126);
      r.warn('Use of uninitialized value $provider_name in concatenation (.) or string', 'bxProvider.pm', 127);
    }
    const o: ProviderOptions = {
      name: this.name ?? null,
      status: 'not_exists',
      config: 'not_exists',
      files: { holder: this.holder, config: this.config, execute: this.execute },
      options: { help: 0, init: 0, configs: 0, order: 0, order_status: 0 },
    };
    this.opts = o;
    if (!isExecutable(this.execute)) return o;
    o.status = 'exists';
    if (isFile(this.config)) o.config = 'exists';
    const ans = await r.exec(this, 'help');
    if (r.isError(ans)) return o;
    const data = r.dataOrDie(ans, 143);
    const opts = data.options;
    if (opts !== undefined && opts !== null) {
      if (Array.isArray(opts)) {
        for (const cmd of opts) {
          const k = perlStr(cmd);
          if (Object.prototype.hasOwnProperty.call(o.options, k)) (o.options as Record<string, number>)[k] = 1;
        }
      } else if (typeof opts === 'string' || typeof opts === 'number') {
        r.die(`Can't use string (${perlStringRefDisplay(perlStr(opts))}) as an ARRAY ref while "strict refs" in use`, 'bxProvider.pm', 145);
      } else {
        r.die('Not an ARRAY reference', 'bxProvider.pm', 145);
      }
    }
    if (data.status !== undefined && data.status !== null) o.status = data.status;
    return o;
  }
}
