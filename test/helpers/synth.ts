import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, CertyoStacks } from '../../lib/app';

const CDK_JSON = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

/** The tenant id the tests deploy with: cdk.json deliberately has none. */
export const TEST_TENANT_ID = 'test-tenant';

/** The context `cdk deploy -c certyo:tenantId=test-tenant` uses, from cdk.json, plus per-test overrides. */
export function projectContext(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { 'certyo:tenantId': TEST_TENANT_ID, ...CDK_JSON.context, ...overrides };
}

export interface NagFinding {
  readonly rule: string;
  readonly severity: string;
  readonly paths: readonly string[];
}

export interface Synthesized extends CertyoStacks {
  readonly app: App;
  readonly outdir: string;
  /** Unacknowledged cdk-nag findings (errors and warnings). */
  readonly findings: readonly NagFinding[];
  template(stackName: string): Template;
}

interface ValidationReport {
  pluginReports: { violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[] }[];
}

/** Reads cdk-nag's findings from a synthesized cloud assembly. */
export function readFindings(outdir: string): NagFinding[] {
  const file = path.join(outdir, 'validation-report.json');
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as ValidationReport;
  return report.pluginReports.flatMap((p) =>
    p.violations.map((v) => ({ rule: v.ruleName, severity: v.severity, paths: v.violatingConstructs.map((c) => c.constructPath) })),
  );
}

/** Synthesizes an app to a temporary directory, tolerating a failed validation so findings can be asserted. */
export function synthesizeApp(app: App): void {
  try {
    app.synth();
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('validation-report.json')) throw error;
  }
}

/**
 * Synthesizes the real app once (as `cdk synth` would, with cdk-nag), with `bundle: false`
 * by default so infrastructure tests do not run esbuild for every Lambda.
 */
export function synth(overrides: Record<string, unknown> = {}, options: { bundle?: boolean } = {}): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'certyo-synth-'));
  const context = projectContext(overrides);
  if (!options.bundle) context['aws:cdk:bundling-stacks'] = [];
  const app = new App({ outdir, context });
  const stacks = buildApp(app);
  synthesizeApp(app);
  return {
    ...stacks,
    app,
    outdir,
    findings: readFindings(outdir),
    template: (stackName: string) =>
      Template.fromJSON(JSON.parse(fs.readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8'))),
  };
}

/** Human-readable list of findings, for assertion messages. */
export function formatFindings(findings: readonly NagFinding[]): string {
  return findings.map((f) => `${f.severity} ${f.rule} at ${f.paths.join(', ')}`).join('\n') || '(none)';
}
