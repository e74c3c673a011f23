// string-width for the bundle: printable ASCII (all of the CLI's help text) is as wide as it
// is long, so only other strings go to the real string-width. Its Unicode segmentation and
// emoji regex, called for every word yargs' help wraps, were a third of `test --help`.
import stringWidth from 'string-width';

const PLAIN = /^[\x20-\x7e]*$/;

export default function fastStringWidth(s, options) {
  return typeof s === 'string' && PLAIN.test(s) ? s.length : stringWidth(s, options);
}
