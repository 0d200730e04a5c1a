/**
 * The small kit every rule is written with: control metadata, typed property access, and the two
 * policy shapes @pulumi/policy runs (per resource, and over the whole stack).
 *
 * Only type imports from @pulumi/policy: the rules load without the policy server, so the offline
 * harness in test/policy calls them directly and fast.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationPolicy,
} from '@pulumi/policy';
import { isPlainObject } from '../../lambda/plain-object';

/** The established rule sets a rule implements; every rule names at least one. */
export interface Controls {
  /** Checkov check IDs (CKV_AWS_*, CKV2_AWS_*). */
  checkov?: string[];
  /** AWS Security Hub, Foundational Security Best Practices control IDs (e.g. Lambda.2). */
  fsbp?: string[];
  /** cdk-nag rule IDs (AwsSolutions pack). */
  cdkNag?: string[];
  /** Anything else worth citing (AWS Well-Architected best practice IDs). */
  other?: string[];
}

export function controlIds(controls: Controls): string[] {
  return [...(controls.checkov ?? []), ...(controls.fsbp ?? []), ...(controls.cdkNag ?? []), ...(controls.other ?? [])];
}

export function controlText(controls: Controls): string {
  const parts: string[] = [];
  if (controls.checkov?.length) parts.push(`Checkov ${controls.checkov.join(', ')}`);
  if (controls.fsbp?.length) parts.push(`Security Hub FSBP ${controls.fsbp.join(', ')}`);
  if (controls.cdkNag?.length) parts.push(`cdk-nag ${controls.cdkNag.join(', ')}`);
  if (controls.other?.length) parts.push(controls.other.join(', '));
  return parts.join('; ');
}

interface RuleMeta {
  /** Unique policy name, kebab-case, `<service>-<what>`. */
  name: string;
  /** One sentence: what must hold. */
  summary: string;
  controls: Controls;
  severity: Severity;
  /** What to change when the rule fires. */
  remediation: string;
}

/** A resource's properties: inputs for per-resource rules, outputs for stack rules. */
export type Props = Record<string, unknown>;

export type Check = (props: Props, report: (message: string) => void, args: ResourceValidationArgs) => void;

function metadata(meta: RuleMeta) {
  return {
    name: meta.name,
    description: `${meta.summary} Implements: ${controlText(meta.controls)}.`,
    enforcementLevel: 'mandatory' as const,
    severity: meta.severity,
    tags: controlIds(meta.controls),
    remediationSteps: meta.remediation,
  };
}

/** A mandatory rule evaluated on each resource of the given type tokens, with its inputs. */
export function resourceRule(meta: RuleMeta & { types: string[]; check: Check }): ResourceValidationPolicy {
  const types = new Set(meta.types);
  // Filtered here: no public API marks a validation with a type token (validateResourceOfType needs a resource class).
  const validate: ResourceValidation = (args, reportViolation) => {
    if (!types.has(args.type)) return;
    meta.check(args.props, (message) => reportViolation(message), args);
  };
  return { ...metadata(meta), validateResource: validate };
}

export type StackCheck = (
  resources: PolicyResource[],
  report: (resource: PolicyResource, message: string) => void,
) => void;

/** A mandatory rule evaluated once over every resource of the stack (links across resources). */
export function stackRule(meta: RuleMeta & { check: StackCheck }): StackValidationPolicy {
  return {
    ...metadata(meta),
    validateStack: (args, reportViolation: ReportViolation) => {
      meta.check(args.resources, (resource, message) => reportViolation(`${resource.name}: ${message}`, resource.urn));
    },
  };
}

// ---- typed access to untyped property bags ----

export function obj(value: unknown): Props | undefined {
  return isPlainObject(value) ? value : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `[]` for undefined, the array itself, or a one-element array. */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function ofType(resources: PolicyResource[], type: string): PolicyResource[] {
  return resources.filter((r) => r.type === type);
}

/** A string property compared across two resources; undefined when either side is not a known string. */
export function sameString(a: unknown, b: unknown): boolean | undefined {
  return typeof a === 'string' && typeof b === 'string' ? a === b : undefined;
}
