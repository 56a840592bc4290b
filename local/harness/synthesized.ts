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

export type CfnTemplate = { readonly Resources?: Readonly<Record<string, CfnResource>> };
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

const CDK_JSON = path.join(PROJECT_ROOT, 'cdk.json');

/** Every stack's template, by stack name, for `cdk.json`'s context plus `overrides`. */
export function synthesizeTemplates(overrides: Readonly<Record<string, unknown>> = {}): Record<string, CfnTemplate> {
  const { context } = JSON.parse(fs.readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> };
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
  return Object.values(templates).flatMap((t) => Object.values(t.Resources ?? {}).filter((r) => r.Type === type));
}
