/**
 * Rules every resource follows: it is a child of TapStack, carries the stack tags if it can, and
 * every physical name carries the environment suffix, so environments never collide.
 */
import type { SynthResource, SynthResult } from '../../../scripts/synth';
import { RESOURCE_INPUTS } from '../../../lib/tags';
import { TYPES } from '../helpers';
import { PROVENANCE_ENV, type Synths } from './synths';

/** Inputs that name something in the account/region. */
const NAME_INPUTS = ['name', 'namePrefix', 'dashboardName', 'stageName'];
/** API Gateway model names are scoped to their (suffixed) API and must be alphanumeric. */
const SCOPED_NAMES = new Set<string>([TYPES.model]);

const awsResources = (synth: SynthResult) => synth.resources.filter((r) => r.type.startsWith('aws:'));

function physicalNames(synth: SynthResult): { resource: SynthResource; input: string; value: string }[] {
  return awsResources(synth)
    .filter((r) => !SCOPED_NAMES.has(r.type))
    .flatMap((resource) =>
      NAME_INPUTS.filter((input) => resource.inputs[input] !== undefined).map((input) => ({
        resource,
        input,
        value: String(resource.inputs[input]),
      })),
    );
}

/** `dev` as a whole segment of the name (`tracking-api-dev`, `/logistics/api/dev/config`, `dev`). */
const carriesSuffix = (value: string, suffix: string) => new RegExp(`(^|[-/_])${suffix}($|[-/])`).test(value);

export function conventionsSpec(s: Synths): void {
  it('one TapStack component (tap:stack:TapStack) is the root, and the parent of every resource', () => {
    const roots = s.dev.resources.filter((r) => r.parent === null);
    expect(roots.map((r) => [r.type, r.name])).toEqual([['tap:stack:TapStack', 'tap']]);
    for (const r of awsResources(s.dev)) expect([r.name, r.parent]).toEqual([r.name, 'tap']);
  });

  it('two TapStacks in one program: every child is named after its own component, no name is shared', () => {
    const components = s.twoStacks.resources.filter((r) => r.parent === null);
    expect(components.map((r) => r.name).sort()).toEqual(['east', 'west']);
    const children = s.twoStacks.resources.filter((r) => r.parent !== null);
    expect(children.length).toBe(2 * awsResources(s.dev).length);
    for (const r of children) expect([r.name, r.name.startsWith(`${r.parent}-`)]).toEqual([r.name, true]);
    const keys = s.twoStacks.resources.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    const physicalOf = (component: string) =>
      new Set(
        physicalNames(s.twoStacks)
          .filter((n) => n.resource.parent === component)
          .map((n) => n.value),
      );
    const [east, west] = [physicalOf('east'), physicalOf('west')];
    expect(east.size).toBeGreaterThan(20);
    expect([...east].filter((name) => west.has(name))).toEqual([]);
  });

  it('every taggable resource carries Environment, Project and ManagedBy (and the configured tags)', () => {
    const taggable = awsResources(s.dev).filter((r) => RESOURCE_INPUTS[r.type].tags);
    expect(taggable.length).toBeGreaterThan(15);
    for (const r of taggable) {
      expect([r.name, r.inputs.tags]).toEqual([
        r.name,
        { Environment: 'dev', Project: 'tap', ManagedBy: 'pulumi', Team: 'logistics' },
      ]);
    }
    for (const r of awsResources(s.variant).filter((x) => RESOURCE_INPUTS[x.type].tags)) {
      expect([r.name, r.inputs.tags]).toEqual([
        r.name,
        { Environment: 'qa1', Project: 'tap', ManagedBy: 'pulumi', CostCenter: '42' },
      ]);
    }
  });

  it('with REPOSITORY and COMMIT_AUTHOR set, every taggable resource also carries Repository and Author', () => {
    const taggable = awsResources(s.provenance).filter((r) => RESOURCE_INPUTS[r.type].tags);
    // The same resources as the dev stack, one tag more each: nothing is left out, nothing added.
    expect(taggable.map((r) => r.name)).toEqual(
      awsResources(s.dev)
        .filter((r) => RESOURCE_INPUTS[r.type].tags)
        .map((r) => r.name),
    );
    for (const r of taggable) {
      expect([r.name, r.inputs.tags]).toEqual([
        r.name,
        {
          Environment: 'dev',
          Project: 'tap',
          ManagedBy: 'pulumi',
          Team: 'logistics',
          Repository: PROVENANCE_ENV.REPOSITORY,
          Author: PROVENANCE_ENV.COMMIT_AUTHOR,
        },
      ]);
    }
    // Resources that take no tags get none from the environment either.
    for (const r of awsResources(s.provenance).filter((x) => !RESOURCE_INPUTS[x.type].tags)) {
      expect([r.name, r.inputs.tags]).toEqual([r.name, undefined]);
    }
  });

  it('without them (unset, as in every other synth), no resource carries Repository or Author', () => {
    for (const synth of [s.dev, s.pr7, s.variant, s.twoStacks, s.webhook]) {
      for (const r of awsResources(synth)) {
        const tags = (r.inputs.tags ?? {}) as Record<string, string>;
        expect([r.name, 'Repository' in tags, 'Author' in tags]).toEqual([r.name, false, false]);
      }
    }
  });

  it('every resource that can be named is named explicitly (nothing autonamed), the webhook included', () => {
    for (const synth of [s.dev, s.webhook, s.variant]) {
      for (const r of awsResources(synth).filter((x) => RESOURCE_INPUTS[x.type].name)) {
        expect([r.name, typeof r.inputs.name]).toEqual([r.name, 'string']);
      }
    }
  });

  it('the webhook resources follow the conventions too (the variant and webhook synths have them)', () => {
    for (const synth of [s.webhook, s.variant]) {
      const webhook = awsResources(synth).filter((r) => r.name.startsWith('tap-webhook-'));
      expect(webhook.length).toBeGreaterThanOrEqual(8);
      for (const r of webhook) expect([r.name, r.parent]).toEqual([r.name, 'tap']);
    }
    for (const r of awsResources(s.webhook).filter((x) => RESOURCE_INPUTS[x.type].tags)) {
      expect([r.name, r.inputs.tags]).toEqual([
        r.name,
        { Environment: 'dev', Project: 'tap', ManagedBy: 'pulumi', Team: 'logistics' },
      ]);
    }
    for (const { resource, input, value } of physicalNames(s.webhook)) {
      expect([resource.name, input, value, carriesSuffix(value, 'dev')]).toEqual([resource.name, input, value, true]);
    }
  });

  it('every physical name carries the environment suffix', () => {
    for (const [synth, suffix] of [
      [s.dev, 'dev'],
      [s.pr7, 'pr7'],
      [s.variant, 'qa1'],
    ] as const) {
      const names = physicalNames(synth);
      expect(names.length).toBeGreaterThan(20);
      for (const { resource, input, value } of names) {
        expect([resource.name, input, value, carriesSuffix(value, suffix)]).toEqual([
          resource.name,
          input,
          value,
          true,
        ]);
      }
    }
  });

  it('two suffixes give disjoint names (ENVIRONMENT_SUFFIX=pr7 over the dev stack file)', () => {
    const dev = new Set(physicalNames(s.dev).map((n) => n.value));
    const pr7 = [...new Set(physicalNames(s.pr7).map((n) => n.value))];
    expect(pr7.length).toBe(dev.size);
    expect(pr7.filter((name) => dev.has(name))).toEqual([]);
    expect(pr7.filter((name) => carriesSuffix(name, 'dev'))).toEqual([]);
  });

  it('the suffix from the environment wins over tap:environmentSuffix', () => {
    expect(s.pr7.outputs.stage_name).toBe('pr7');
    expect(s.dev.outputs.stage_name).toBe('dev');
  });
}
