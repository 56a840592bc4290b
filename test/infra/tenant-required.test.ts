import { Template } from 'aws-cdk-lib/assertions';
import { SYNTH_ONLY_TENANT_ID, TENANT_ID_MISSING } from '../../lib/app';
import { synth, Synthesized, TEST_TENANT_ID } from '../helpers/synth';

const STACKS = ['CertyoPipelineStack', 'CertyoApiProxyStack'];

interface RuleJson {
  Assertions: { Assert: unknown; AssertDescription: string }[];
}

describe('a deploy without certyo:tenantId is impossible, while synth works', () => {
  let withoutTenant: Synthesized;
  let withTenant: Synthesized;

  beforeAll(() => {
    withoutTenant = synth({ 'certyo:tenantId': undefined });
    withTenant = synth({ 'certyo:tenantId': TEST_TENANT_ID });
  });

  it.each(STACKS)('%s without a tenant id has a parameter with no default that no value satisfies, naming certyo:tenantId', (stackName) => {
    const parameters = withoutTenant.template(stackName).toJSON().Parameters as Record<string, Record<string, unknown>>;
    const parameter = parameters.CertyoTenantIdNotSet;

    // The CDK CLI refuses to deploy while a parameter without a default has no value.
    expect(parameter).toBeDefined();
    expect(parameter).not.toHaveProperty('Default');
    // A value of at least one character never matches ^$: CloudFormation refuses any value given.
    expect(parameter).toMatchObject({ AllowedPattern: '^$', MinLength: 1, ConstraintDescription: TENANT_ID_MISSING });
    expect(TENANT_ID_MISSING).toContain('certyo:tenantId');
  });

  it.each(STACKS)('%s without a tenant id has a rule only an empty value passes, so the change set fails naming certyo:tenantId', (stackName) => {
    const rules = withoutTenant.template(stackName).toJSON().Rules as Record<string, RuleJson>;
    const assertion = rules.CertyoTenantIdRequired?.Assertions[0];

    // An empty value is what MinLength 1 refuses: no value passes both.
    expect(assertion?.Assert).toEqual({ 'Fn::Equals': [{ Ref: 'CertyoTenantIdNotSet' }, ''] });
    expect(assertion?.AssertDescription).toBe(TENANT_ID_MISSING);
  });

  it('warns at synth, naming certyo:tenantId', () => {
    const warnings = withoutTenant.app.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === 'aws:cdk:warning')
      .map((m) => String(m.data));

    expect(warnings.some((w) => w.includes(TENANT_ID_MISSING))).toBe(true);
  });

  it.each(STACKS)('%s with a tenant id has neither the parameter nor the rule, and no stand-in tenant', (stackName) => {
    const template: Template = withTenant.template(stackName);
    const json = template.toJSON() as { Parameters?: Record<string, unknown>; Rules?: Record<string, unknown> };

    expect(json.Parameters ?? {}).not.toHaveProperty('CertyoTenantIdNotSet');
    expect(json.Rules ?? {}).not.toHaveProperty('CertyoTenantIdRequired');
    expect(JSON.stringify(json)).not.toContain(SYNTH_ONLY_TENANT_ID);
    expect(JSON.stringify(json)).toContain(TEST_TENANT_ID);
  });

  it('treats an explicitly empty tenant id as a configuration error, not as missing', () => {
    expect(() => synth({ 'certyo:tenantId': '' })).toThrow('certyo:tenantId = "": expected a non-empty string');
  });
});
