/**
 * Waivers: controls of the established rule sets that this architecture deliberately does not meet,
 * kept as data with a written reason. Each waiver becomes an advisory policy `waiver-<id>` that
 * reports every resource the waived control would flag, so a waiver is visible on every preview and
 * disappears by itself once the control is met. A deployer revokes a waiver for a stack by raising
 * that policy to mandatory in a policy-pack config file (see policy/README.md).
 */
import type { PolicyResource, StackValidationPolicy } from '@pulumi/policy';
import { type Controls, controlIds, controlText } from './kit';

export interface WaiverFinding {
  resource: PolicyResource;
  /** What about this resource does not meet the control. */
  detail: string;
}

export interface Waiver {
  /** The advisory policy is named `waiver-<id>`. */
  id: string;
  /** The control(s) waived, in words. */
  title: string;
  controls: Controls;
  /** Why the control does not fit this architecture, and what would make it fit. */
  reason: string;
  /**
   * The mandatory rule this waiver relaxes, if any: that rule accepts the waived condition only
   * while this waiver is in the list (remove the entry and the rule fails again).
   */
  relaxes?: string;
  /** AWS-managed policy ARNs this waiver allows (only for the managed-policy waiver). */
  allowsPolicyArns?: string[];
  /** The resources on which the waived control is not met. */
  findings: (resources: PolicyResource[]) => WaiverFinding[];
}

export function waiverPolicyName(waiver: Waiver): string {
  return `waiver-${waiver.id}`;
}

/** True when a waiver in `waivers` relaxes the mandatory rule `ruleName`. */
export function relaxedBy(waivers: readonly Waiver[], ruleName: string): Waiver | undefined {
  return waivers.find((w) => w.relaxes === ruleName);
}

export function waiverPolicy(waiver: Waiver): StackValidationPolicy {
  return {
    name: waiverPolicyName(waiver),
    description: `WAIVED ${controlText(waiver.controls)}: ${waiver.title}. Reason: ${waiver.reason}`,
    enforcementLevel: 'advisory',
    severity: 'low',
    tags: ['waiver', ...controlIds(waiver.controls)],
    validateStack: (args, reportViolation) => {
      for (const { resource, detail } of waiver.findings(args.resources)) {
        reportViolation(`${resource.name}: ${detail} (waived: ${waiver.title})`, resource.urn);
      }
    },
  };
}
