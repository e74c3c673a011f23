export { KitError } from './errors.js';
export { RULES, rule, isRuleId, matchRules, SAFE_WORD, SAFE_NAME } from './rules.js';
export type { RuleDef, RuleArea, Severity } from './rules.js';
