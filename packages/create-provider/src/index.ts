export {
  createProvider,
  renderTemplate,
  templatesRoot,
  explainBadName,
  assertName,
  assertTemplate,
  assertDescription,
  defaultDescription,
  nextSteps,
  pluginPackageJson,
  archivePath,
  TEMPLATES,
  TEMPLATE_LABELS,
  FIRST_VERSION,
  KIT_VERSION,
} from './scaffold.js';
export type { CreateProviderOptions, CreateProviderResult, TemplateName, NextStepsOptions } from './scaffold.js';
export { runCreate, DEFAULT_NAME } from './run.js';
export type { RunCreateArgs, RunCreateIo } from './run.js';
export { startMockApi, mockOrderState, DEFAULT_MOCK_PLANS } from './mock-api.js';
export type { MockApi, MockApiOptions, MockPlan, MockOrder } from './mock-api.js';
