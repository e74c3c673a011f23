export {
  createProvider,
  explainBadName,
  assertName,
  assertDescription,
  defaultDescription,
  nextSteps,
  pluginPackageJson,
  archivePath,
  FIRST_VERSION,
  KIT_VERSION,
} from './scaffold.js';
export type { CreateProviderOptions, CreateProviderResult, NextStepsOptions } from './scaffold.js';
export { TEMPLATE_TABLE, TEMPLATES, TEMPLATE_LABELS, DEFAULT_TEMPLATE, isTemplateName, templateInfo, assertTemplate } from './templates.js';
export type { TemplateInfo, TemplateName } from './templates.js';
export { renderTemplate, templatesRoot, templateSources, RENAME_FILES, SHARED_DIR, EXAMPLE_NAME } from './render.js';
export type { TemplateValues, TemplateSource, PlannedFile } from './render.js';
export { runCreate, DEFAULT_NAME } from './run.js';
export type { RunCreateArgs, RunCreateIo } from './run.js';
export { startMockApi, mockOrderState, DEFAULT_MOCK_PLANS } from './mock-api.js';
export type { MockApi, MockApiOptions, MockPlan, MockOrder } from './mock-api.js';
