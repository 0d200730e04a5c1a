/**
 * Offline policy harness: runs the pack's validateResource / validateStack functions over resources
 * in the synth harness's shape, with the argument objects @pulumi/policy's server builds (type,
 * props, urn, name, opts, stackTags, getConfig, notApplicable; for stack policies the resources
 * with parent links; isType/asType throw, see below). No Pulumi CLI, no engine.
 */
import type {
  EnforcementLevel,
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from '@pulumi/policy';

/** One resource as scripts/synth.ts reports it. */
export interface SynthResource {
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
  /** Logical names of the resources this one waits for (the synth records them; fixtures may omit them). */
  dependencies?: string[];
}

export interface Violation {
  policy: string;
  level: EnforcementLevel;
  /** Logical name of the resource concerned, when the policy named one. */
  resource?: string;
  message: string;
}

/** Policy-pack config, as in a `--policy-pack-config` file: a level, or an object with one and properties. */
export type PackConfig = Record<
  string,
  EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

export interface RunOptions {
  stack?: string;
  project?: string;
  config?: PackConfig;
}

class NotApplicable extends Error {}

function isStackPolicy(p: Policies[number]): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === 'function';
}

function levelOf(p: Policies[number], config: PackConfig): EnforcementLevel {
  const entry = config[p.name];
  const configured = typeof entry === 'string' ? entry : entry?.enforcementLevel;
  // PolicyPack's own default is "advisory"; index.ts sets "mandatory" for the pack.
  return configured ?? p.enforcementLevel ?? 'mandatory';
}

function configOf(p: Policies[number], config: PackConfig): Record<string, unknown> {
  const entry = config[p.name];
  if (!entry || typeof entry === 'string') return {};
  const { enforcementLevel: _level, ...properties } = entry;
  return properties;
}

/** URNs as the engine builds them: the parent chain's types (below the stack), then the type and name. */
export function urns(resources: SynthResource[], stack: string, project: string): Map<SynthResource, string> {
  const byName = new Map<string, SynthResource>();
  for (const r of resources) if (!byName.has(r.name) || !r.type.startsWith('aws:')) byName.set(r.name, r);
  const chain = (r: SynthResource, seen = new Set<SynthResource>()): string[] => {
    const parent = r.parent ? byName.get(r.parent) : undefined;
    if (!parent || seen.has(parent)) return [r.type];
    seen.add(parent);
    return [...chain(parent, seen), r.type];
  };
  return new Map(resources.map((r) => [r, `urn:pulumi:${stack}::${project}::${chain(r).join('$')}::${r.name}`]));
}

function options(parentUrn: string | undefined): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(parentUrn ? { parent: parentUrn } : {}),
  };
}

/**
 * isType/asType take an SDK resource class, which the server matches by a private static property of
 * generated classes. The rules never pass one (they filter on args.type, policy/lib/kit.ts), so the
 * harness refuses loudly instead of imitating that private contract.
 */
const isTypeOf = (): never => {
  throw new Error('isType/asType need SDK resource classes: filter on args.type / resource.type (policy/lib/kit.ts)');
};

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

/** Runs every policy (resource policies on each resource, stack policies once) and returns all violations. */
export async function runPolicies(
  policies: Policies,
  resources: SynthResource[],
  opts: RunOptions = {},
): Promise<Violation[]> {
  const stack = opts.stack ?? 'dev';
  const project = opts.project ?? 'tap';
  const config = opts.config ?? {};
  const urnOf = urns(resources, stack, project);
  const nameOfUrn = new Map([...urnOf].map(([r, urn]) => [urn, r.name]));
  const byName = new Map<string, SynthResource>();
  for (const r of resources) if (!byName.has(r.name) || !r.type.startsWith('aws:')) byName.set(r.name, r);
  const violations: Violation[] = [];

  // Stack policies see every resource once, with parents linked (dependencies are engine-only).
  const policyResources = new Map<SynthResource, PolicyResource>();
  for (const r of resources) {
    const props = structuredClone(r.inputs);
    policyResources.set(r, {
      type: r.type,
      props,
      urn: urnOf.get(r)!,
      name: r.name,
      opts: options(r.parent ? urnOf.get(byName.get(r.parent)!) : undefined),
      dependencies: [],
      propertyDependencies: {},
      isType: isTypeOf,
      asType: isTypeOf,
    });
  }
  for (const [r, pr] of policyResources) {
    const parent = r.parent ? byName.get(r.parent) : undefined;
    if (parent) pr.parent = policyResources.get(parent);
    pr.dependencies = (r.dependencies ?? []).flatMap((name) => {
      const dependency = byName.get(name);
      return dependency ? [policyResources.get(dependency)!] : [];
    });
  }

  for (const policy of policies) {
    const level = levelOf(policy, config);
    if (level === 'disabled') continue;
    const reported = (urn?: string) => (message: string, violationUrn?: string) => {
      const at = violationUrn ?? urn;
      violations.push({
        policy: policy.name,
        level: level === 'remediate' ? 'mandatory' : level,
        resource: at ? nameOfUrn.get(at) : undefined,
        message,
      });
    };
    try {
      if (isStackPolicy(policy)) {
        const args: StackValidationArgs = {
          resources: [...policyResources.values()],
          stackTags: new Map(),
          getConfig: <T extends object>() => configOf(policy, config) as T,
          notApplicable,
        };
        await policy.validateStack(args, reported());
        continue;
      }
      const validations = ([] as unknown[]).concat((policy as ResourceValidationPolicy).validateResource ?? []);
      for (const r of resources) {
        for (const validate of validations as NonNullable<ResourceValidationPolicy['validateResource']>[]) {
          if (typeof validate !== 'function') continue;
          const props = structuredClone(r.inputs);
          const args: ResourceValidationArgs = {
            type: r.type,
            props,
            urn: urnOf.get(r)!,
            name: r.name,
            opts: options(r.parent ? urnOf.get(byName.get(r.parent)!) : undefined),
            stackTags: new Map(),
            isType: isTypeOf,
            asType: isTypeOf,
            getConfig: <T extends object>() => configOf(policy, config) as T,
            notApplicable,
          };
          try {
            await validate(args, reported(args.urn));
          } catch (e) {
            if (!(e instanceof NotApplicable)) throw e;
          }
        }
      }
    } catch (e) {
      if (!(e instanceof NotApplicable)) throw e;
    }
  }
  return violations;
}

export function mandatory(violations: Violation[]): Violation[] {
  return violations.filter((v) => v.level === 'mandatory');
}

/** `policy resource: message` lines, for readable failure output. */
export function describeViolations(violations: Violation[]): string[] {
  return violations.map((v) => `${v.policy} ${v.resource ?? '(stack)'}: ${v.message}`);
}
