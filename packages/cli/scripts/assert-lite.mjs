// The two functions yargs takes from node:assert, for the bundle: loading node:assert pulls in
// its error formatting, colour detection and streams, a tenth of `--help`'s start-up. Same
// comparison as node:assert (Object.is); the error is an Error with code ERR_ASSERTION.
function fail(message, fallback) {
  if (message instanceof Error) throw message;
  const e = new Error(message ?? fallback);
  e.code = 'ERR_ASSERTION';
  throw e;
}

export function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) fail(message, `Expected values to be strictly equal: ${String(actual)} !== ${String(expected)}`);
}

export function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) fail(message, `Expected "actual" to be strictly unequal to: ${String(expected)}`);
}
