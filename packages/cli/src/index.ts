export { runCli, buildCli, VERSION } from './cli.js';
