/**
 * The CloudFormation templates `cdk synth` would produce, built in-process from the real app
 * (without esbuild: only the templates are needed). The offline run and the benchmarks read
 * deployed settings from them — the direct mode's input transformer, each function's
 * environment — so they exercise what the stacks deploy instead of a copy of it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app';
import { PROJECT_ROOT } from '../../lib/bundling';
import { CertyoConfig, loadConfig } from '../../lib/config';

export type CfnTemplate = { readonly Resources?: Readonly<Record<string, CfnResource>> };
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

const CDK_JSON = path.join(PROJECT_ROOT, 'cdk.json');

/** cdk.json has no tenant id (a deploy must name one); offline runs use this one unless told otherwise. */
export const LOCAL_TENANT_ID = 'local-tenant';

function projectContext(): Record<string, unknown> {
  return { 'certyo:tenantId': LOCAL_TENANT_ID, ...(JSON.parse(fs.readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> }).context };
}

/** The deploy configuration `cdk synth` would use, with `overrides`. */
export function projectConfig(overrides: Readonly<Record<string, unknown>> = {}): CertyoConfig {
  return loadConfig({ ...projectContext(), ...overrides });
}

/** Every stack's template, by stack name, for `cdk.json`'s context plus `overrides`. */
export function synthesizeTemplates(overrides: Readonly<Record<string, unknown>> = {}): Record<string, CfnTemplate> {
  const context = projectContext();
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'certyo-synth-'));
  try {
    const app = new App({ outdir, context: { ...context, ...overrides, 'aws:cdk:bundling-stacks': [] } });
    buildApp(app);
    try {
      app.synth();
    } catch (error) {
      // cdk-nag findings fail synth after the templates are written; they are the infra tests' concern.
      if (!(error instanceof Error) || !error.message.includes('validation-report.json')) throw error;
    }
    const templates: Record<string, CfnTemplate> = {};
    for (const file of fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'))) {
      templates[file.replace(/\.template\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8')) as CfnTemplate;
    }
    return templates;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Resources of one type across templates. */
export function resourcesOfType(templates: Readonly<Record<string, CfnTemplate>>, type: string): CfnResource[] {
  return resourceEntries(templates, type).map(([, r]) => r);
}

/** Resources of one type across templates, with their logical ids. */
export function resourceEntries(templates: Readonly<Record<string, CfnTemplate>>, type: string): [string, CfnResource][] {
  return Object.values(templates).flatMap((t) => Object.entries(t.Resources ?? {}).filter(([, r]) => r.Type === type));
}

/** Memory of each Lambda, by its folder name (`POWERTOOLS_SERVICE_NAME`). */
export function lambdaMemoryMb(templates: Readonly<Record<string, CfnTemplate>>): Record<string, number> {
  const memory: Record<string, number> = {};
  for (const fn of resourcesOfType(templates, 'AWS::Lambda::Function')) {
    const name = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.POWERTOOLS_SERVICE_NAME;
    if (typeof name === 'string') memory[name] = Number(fn.Properties?.MemorySize ?? 128);
  }
  return memory;
}

/** The logical id an `{"Fn::GetAtt": [id, attr]}` or `{"Ref": id}` points at. */
export function referencedId(value: unknown): string | undefined {
  const v = value as { 'Fn::GetAtt'?: unknown[]; Ref?: unknown } | undefined;
  const id = v?.['Fn::GetAtt']?.[0] ?? v?.Ref;
  return typeof id === 'string' ? id : undefined;
}
