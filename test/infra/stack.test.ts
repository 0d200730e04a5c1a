/**
 * The stack, synthesized offline (scripts/synth.ts runs index.ts under Pulumi mocks), checked
 * concern by concern. The synths run once here (Pulumi makes every synth pay for loading the SDK and
 * bundling the function); each spec in ./specs reads them.
 *
 *   dev     - Pulumi.dev.yaml as it is
 *   pr7     - the same stack file with ENVIRONMENT_SUFFIX=pr7 (suffix from the environment wins)
 *   variant - every setting moved off its dev value, another region and suffix
 *   twoStacks - two TapStacks, `east` and `west`, in one program
 *   webhook - the dev stack with a webhook URL and secret
 *   provenance - the dev stack with REPOSITORY and COMMIT_AUTHOR set, as the deploy workflow does
 */
import * as pulumi from '@pulumi/pulumi';
import { resolveStackArgs } from '../../lib/config';
import { TapStack } from '../../lib/tap-stack';
import { synthesize } from '../../scripts/synth';
import { restApiSpec } from './specs/api';
import { consumerSpec } from './specs/consumer';
import { conventionsSpec } from './specs/conventions';
import { eventsSpec } from './specs/events';
import { functionSpec } from './specs/function';
import { monitoringSpec } from './specs/monitoring';
import { outputsSpec } from './specs/outputs';
import { parametersSpec } from './specs/parameters';
import { storageSpec } from './specs/storage';
import { PROVENANCE_ENV, VARIANT_CONFIG, VARIANT_ENV, WEBHOOK_CONFIG, type Synths } from './specs/synths';

const synths = {} as Synths;

beforeAll(async () => {
  // Started together: synthesize() must serialize runs itself (Pulumi's runtime state is global).
  const twoStacks = () => {
    const read = (key: string) => new pulumi.Config('tap').get(key);
    for (const name of ['east', 'west']) new TapStack(name, resolveStackArgs(read, { ENVIRONMENT_SUFFIX: name }));
    return {};
  };
  [synths.dev, synths.pr7, synths.variant, synths.twoStacks, synths.webhook, synths.provenance] = await Promise.all([
    synthesize({ stack: 'dev', env: {} }),
    synthesize({ stack: 'dev', env: { ENVIRONMENT_SUFFIX: 'pr7' } }),
    synthesize({ stack: 'dev', env: VARIANT_ENV, config: VARIANT_CONFIG }),
    synthesize({ stack: 'dev', env: {}, program: twoStacks }),
    synthesize({ stack: 'dev', env: {}, config: WEBHOOK_CONFIG }),
    synthesize({ stack: 'dev', env: PROVENANCE_ENV }),
  ]);
});

describe('storage', () => storageSpec(synths));
describe('SSM parameters', () => parametersSpec(synths));
describe('function', () => functionSpec(synths));
describe('stream consumer', () => consumerSpec(synths));
describe('status-change events: the bus and the optional webhook', () => eventsSpec(synths));
describe('REST API', () => restApiSpec(synths));
describe('monitoring', () => monitoringSpec(synths));
describe('conventions (every resource)', () => conventionsSpec(synths));
describe('stack outputs and the synth harness', () => outputsSpec(synths));
