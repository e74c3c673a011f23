/**
 * The ajv options every validator is built with: at run time (validate.ts) and ahead of time
 * (scripts/gen-types.mjs writes standalone validators with them; a test checks they agree).
 */
/**
 * The `format`s a schema may use (ajv itself knows none without the ajv-formats package, which
 * the kit does without). Regular expressions, so that standalone validators carry them. Host
 * contract formats (server address, safe word, provider name) are patterns in the schemas,
 * defined once in formats.ts.
 */
export const FORMATS = {
  'date-time': /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[Tt ](?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/,
  date: /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/,
  time: /^(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$/,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  uri: /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/,
  'uri-reference': /^[^\s]*$/,
  uuid: /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/,
};

export const AJV_OPTIONS = {
  formats: FORMATS,
  allErrors: true,
  // errors carry the failing schema node (x-rule, x-expect) and the offending value
  verbose: true,
  strict: true,
  // `required` inside if/then/else names properties declared next to the `if`
  strictRequired: false,
  allowUnionTypes: true,
  // checking each schema against the 2020-12 meta-schema costs ~100 ms per process; the tests
  // do it once (checkSchemas) and strict mode still refuses unknown keywords at compile time
  validateSchema: false,
} as const;

/** Annotation keywords the schemas use besides the standard ones. */
export const ANNOTATION_KEYWORDS = ['x-rule', 'x-error-answer', 'x-expect', 'x-why', 'tsType'] as const;
