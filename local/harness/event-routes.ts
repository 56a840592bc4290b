/**
 * The EventBridge rules on the `domain-events` bus as the synthesized stack deploys them, read
 * back from the template: which pattern sends an event to the API Destination (and with which
 * input transformer), to the batched mode's buffer queue, to the invalid-events queue, or to the
 * verification workflow. The offline run routes its sample events through exactly these.
 */
import { matchesPattern } from './eventbridge';
import type { InputTransformerJson } from './eventbridge';
import { CfnTemplate, referencedId, resourceEntries } from './synthesized';

export interface ApiDestinationRoute {
  readonly pattern: Record<string, unknown>;
  readonly transformer: InputTransformerJson;
  readonly endpoint: string;
  readonly method: string;
}

export interface InvalidRoute {
  readonly pattern: Record<string, unknown>;
  readonly transformer?: InputTransformerJson;
}

export interface EventRoutes {
  /** Direct mode: one rule per combination of optional fields. */
  readonly apiDestination: readonly ApiDestinationRoute[];
  /** Batched mode: the rule whose target is the buffer queue. */
  readonly buffer: readonly Record<string, unknown>[];
  /** Events of the detail-type that break the contract (direct mode), and what the queue receives. */
  readonly invalid: readonly InvalidRoute[];
  /** Direct mode: the rule that queues forwarded events for the verify-starter (the whole event). */
  readonly verification: readonly Record<string, unknown>[];
}

interface RuleTarget {
  readonly Arn: unknown;
  readonly InputTransformer?: InputTransformerJson;
  readonly InputPath?: string;
}

/** Reads the routes. The SQS targets are told apart by logical id: the invalid-events and verification queues' name them. */
export function eventRoutes(templates: Readonly<Record<string, CfnTemplate>>): EventRoutes {
  const destinations = new Map(resourceEntries(templates, 'AWS::Events::ApiDestination').map(([id, r]) => [id, r.Properties ?? {}]));
  const queues = new Set(resourceEntries(templates, 'AWS::SQS::Queue').map(([id]) => id));
  const routes = { apiDestination: [] as ApiDestinationRoute[], buffer: [] as Record<string, unknown>[], invalid: [] as InvalidRoute[], verification: [] as Record<string, unknown>[] };
  for (const [, rule] of resourceEntries(templates, 'AWS::Events::Rule')) {
    const pattern = rule.Properties?.EventPattern as Record<string, unknown> | undefined;
    if (!pattern) continue;
    for (const target of (rule.Properties?.Targets ?? []) as RuleTarget[]) {
      const id = referencedId(target.Arn) ?? '';
      const destination = destinations.get(id);
      if (destination && target.InputTransformer) {
        routes.apiDestination.push({ pattern, transformer: target.InputTransformer, endpoint: String(destination.InvocationEndpoint), method: String(destination.HttpMethod) });
      } else if (queues.has(id)) {
        if (/invalid/i.test(id)) routes.invalid.push({ pattern, transformer: target.InputTransformer });
        else if (/^VerificationDirectQueue/.test(id)) routes.verification.push(pattern);
        else routes.buffer.push(pattern);
      }
    }
  }
  return routes;
}

export function matchingRoutes<T>(routes: readonly T[], event: unknown, patternOf: (route: T) => Record<string, unknown>): T[] {
  return routes.filter((route) => matchesPattern(patternOf(route), event));
}
