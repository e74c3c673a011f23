/**
 * The formats of the host contract, defined once: the schemas carry the same patterns (a hoster
 * validating by hand reads them there), formats.test.ts holds that they are these, and the
 * runner, the emulator and the packer use these (never a copy).
 */
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const H16 = '[0-9A-Fa-f]{1,4}';
const IPV6 =
  `(?:(?:${H16}:){7}${H16}|(?:${H16}:){1,7}:|(?:${H16}:){1,6}:${H16}|(?:${H16}:){1,5}(?::${H16}){1,2}|` +
  `(?:${H16}:){1,4}(?::${H16}){1,3}|(?:${H16}:){1,3}(?::${H16}){1,4}|(?:${H16}:){1,2}(?::${H16}){1,5}|` +
  `${H16}:(?::${H16}){1,6}|:(?:(?::${H16}){1,7}|:)|(?:${H16}:){6}${IPV4}|::(?:[Ff]{4}(?::0{1,4})?:)?${IPV4}|(?:${H16}:){1,4}:${IPV4})`;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A host name of RFC 1123 labels whose last label is not all digits (that is a broken IPv4). */
const HOSTNAME = `(?=.{1,253}$)(?:${LABEL}\\.)*(?![0-9]+\\.?$)${LABEL}\\.?`;

/** `server` of a finished order (STAT-FINISHED): an IPv4 address, an IPv6 address or a host name. */
export const SERVER_ADDRESS_PATTERN = `^(?:${IPV4}|${IPV6}|${HOSTNAME})$`;
export const SERVER_ADDRESS = new RegExp(SERVER_ADDRESS_PATTERN);

/** A config id or task id: one unquoted shell word and a safe file name (CFG-ID-SAFE, ORD-TASK-SAFE). */
export const SAFE_WORD_PATTERN = '^[A-Za-z0-9._][A-Za-z0-9._-]*$';
export const SAFE_WORD = new RegExp(SAFE_WORD_PATTERN);
/** The longest task id the host can keep as a file name (ORD-TASK-SAFE). */
export const TASK_ID_MAX = 64;

/** A provider NAME (PKG-NAME): a path component and a shell word. */
export const SAFE_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]*$';
export const SAFE_NAME = new RegExp(SAFE_NAME_PATTERN);

export function isServerAddress(v: unknown): v is string {
  return typeof v === 'string' && SERVER_ADDRESS.test(v);
}
