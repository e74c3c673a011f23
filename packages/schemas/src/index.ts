export { KitError } from './errors.js';
export { RULES, rule, isRuleId, matchRules, SAFE_WORD, SAFE_NAME } from './rules.js';
export type { RuleDef, RuleArea, Severity } from './rules.js';
export { listKinds, getSchema, schemasDir } from './kinds.js';
export { validate, compileAll, isErrorAnswer, ANNOTATION_KEYWORDS } from './validate.js';
export type { Problem, ValidationResult } from './validate.js';
export { readPluginStdout } from './stdout.js';
export type { PluginStdout, StdoutRule } from './stdout.js';
export type * from './types.generated.js';
