/**
 * Stack configuration: Pulumi.yaml declares every key the program reads, with defaults equal to the
 * program's own; ENVIRONMENT_SUFFIX wins; bad values are a ConfigError naming the key.
 */
import * as fs from 'fs';
import * as path from 'path';
import { load } from 'js-yaml';
import {
  API_GATEWAY_TIMEOUT_SECONDS,
  ConfigError,
  resolveStackArgs,
  stackTags,
  type ConfigReader,
} from '../../lib/config';
import { readStackConfigFile } from '../../lib/stack-config-file';

interface Declaration {
  type: string;
  default: unknown;
  description: string;
}
const project = load(fs.readFileSync(path.join(__dirname, '../../Pulumi.yaml'), 'utf8')) as {
  name: string;
  runtime: { name: string };
  config: Record<string, Declaration>;
};
const declared = project.config;
const fromRecord =
  (values: Record<string, unknown>): ConfigReader =>
  (key) =>
    values[key];

describe('Pulumi.yaml', () => {
  it('is the nodejs project "tap"', () => {
    expect(project.name).toBe('tap');
    expect(project.runtime.name).toBe('nodejs');
  });

  it('declares exactly the keys the program reads, each with a type, a default and a description', () => {
    const read = new Set<string>();
    resolveStackArgs((key) => void read.add(key), {});
    expect(Object.keys(declared).sort()).toEqual([...read].sort());
    for (const [key, declaration] of Object.entries(declared)) {
      expect([key, typeof declaration.type, declaration.default !== undefined, typeof declaration.description]).toEqual(
        [key, 'string', true, 'string'],
      );
    }
  });

  it('declares the defaults the program applies when a key is unset (they cannot drift)', () => {
    const defaults = Object.fromEntries(Object.entries(declared).map(([key, d]) => [key, d.default]));
    expect(resolveStackArgs(fromRecord(defaults), {})).toEqual(resolveStackArgs(() => undefined, {}));
  });

  it('says the API Gateway account setting is one per account and region', () => {
    expect(declared.manageApiGatewayAccount.description).toMatch(/ONE per AWS account and region/i);
  });
});

describe('Pulumi.dev.yaml', () => {
  it('deploys to us-west-2 over the project defaults', () => {
    const dev = readStackConfigFile('dev');
    expect(dev.values['aws:region']).toBe('us-west-2');
    expect(dev.read('apiRateLimit')).toBe(100);
    expect(dev.read('lambdaMemory')).toBe(512); // a project default, not set in the stack file
  });
});

describe('resolveStackArgs', () => {
  it('defaults: suffix dev, rate 100 / burst 200, 512 MB, 10 s, no reservation, deletion protection on', () => {
    expect(resolveStackArgs(() => undefined, {})).toMatchObject({
      environmentSuffix: 'dev',
      apiRateLimit: 100,
      apiBurstLimit: 200,
      lambdaMemory: 512,
      lambdaTimeout: 10,
      lambdaReservedConcurrency: -1,
      statusShardCount: 8,
      tableDeletionProtection: true,
      manageApiGatewayAccount: false,
    });
  });

  it('reads the suffix from ENVIRONMENT_SUFFIX first, then config, then dev', () => {
    const config = fromRecord({ environmentSuffix: 'staging' });
    expect(resolveStackArgs(config, { ENVIRONMENT_SUFFIX: 'pr7' }).environmentSuffix).toBe('pr7');
    expect(resolveStackArgs(config, {}).environmentSuffix).toBe('staging');
    expect(resolveStackArgs(() => undefined, {}).environmentSuffix).toBe('dev');
  });

  it('reads values the way the Pulumi CLI passes them (strings, JSON lists)', () => {
    const args = resolveStackArgs(
      fromRecord({ lambdaMemory: '1024', tableDeletionProtection: 'false', tags: '["Team=x"]' }),
      {},
    );
    expect([args.lambdaMemory, args.tableDeletionProtection, args.tags]).toEqual([1024, false, { Team: 'x' }]);
  });

  it.each([
    ['lambdaTimeout', API_GATEWAY_TIMEOUT_SECONDS, /tap:lambdaTimeout must be an integer from 1 to 28/],
    ['lambdaMemory', 'lots', /tap:lambdaMemory must be an integer/],
    ['logRetentionDays', 8, /tap:logRetentionDays must be one of/],
    ['alarmEmail', 'not-an-address', /tap:alarmEmail "not-an-address" is not an e-mail address/],
    ['tags', ['Team'], /tap:tags: "Team" is not a "Key=Value" string/],
    ['tableDeletionProtection', 'yes', /tap:tableDeletionProtection must be true or false/],
    ['environmentSuffix', 'PR_7', /environment suffix "PR_7" must be 1-20 lowercase letters/],
  ])('refuses %s = %j with a ConfigError', (key, value, message) => {
    const resolve = () => resolveStackArgs(fromRecord({ [key]: value }), {});
    expect(resolve).toThrow(ConfigError);
    expect(resolve).toThrow(message);
  });

  describe('provenance tags (REPOSITORY, COMMIT_AUTHOR)', () => {
    const tagsFor = (env: NodeJS.ProcessEnv) => stackTags(resolveStackArgs(() => undefined, env));

    it('become the Repository and Author tags, over user tags, under the stack tags', () => {
      expect(tagsFor({ REPOSITORY: 'acme/tap', COMMIT_AUTHOR: 'dev' })).toEqual({
        Repository: 'acme/tap',
        Author: 'dev',
        Project: 'tap',
        Environment: 'dev',
        ManagedBy: 'pulumi',
      });
      const args = resolveStackArgs(fromRecord({ tags: ['Repository=mine', 'Author=me'] }), {
        REPOSITORY: 'acme/tap',
        COMMIT_AUTHOR: 'octo-cat',
      });
      expect(stackTags(args)).toMatchObject({ Repository: 'acme/tap', Author: 'octo-cat' });
    });

    it('each only when its variable is set and not empty', () => {
      const stack = { Project: 'tap', Environment: 'dev', ManagedBy: 'pulumi' };
      expect(tagsFor({})).toEqual(stack);
      expect(tagsFor({ REPOSITORY: '', COMMIT_AUTHOR: '' })).toEqual(stack);
      expect(tagsFor({ REPOSITORY: 'acme/tap' })).toEqual({ ...stack, Repository: 'acme/tap' });
      expect(tagsFor({ COMMIT_AUTHOR: 'dev', REPOSITORY: '' })).toEqual({ ...stack, Author: 'dev' });
    });

    it('accept any AWS tag value up to 256 characters (letters in any script, spaces, _ . : / = + - @)', () => {
      const long = 'a'.repeat(256);
      expect(tagsFor({ REPOSITORY: long, COMMIT_AUTHOR: 'Zoë Müller-Smith @x_y.z:1/2=3+4' })).toMatchObject({
        Repository: long,
        Author: 'Zoë Müller-Smith @x_y.z:1/2=3+4',
      });
    });

    it.each([
      ['REPOSITORY', 'a'.repeat(257), /environment variable REPOSITORY must be at most 256 characters/],
      [
        'COMMIT_AUTHOR',
        'dependabot[bot]',
        /environment variable COMMIT_AUTHOR "dependabot\[bot\]" is not a valid AWS tag/,
      ],
      ['REPOSITORY', 'acme/tap;rm -rf', /environment variable REPOSITORY .* is not a valid AWS tag value/],
      ['COMMIT_AUTHOR', 'line\nbreak', /environment variable COMMIT_AUTHOR .* is not a valid AWS tag value/],
      ['REPOSITORY', 'aws:reserved', /environment variable REPOSITORY "aws:reserved" is not a valid AWS tag value/],
    ])('refuse %s = %j with a ConfigError naming the variable', (variable, value, message) => {
      const resolve = () => resolveStackArgs(() => undefined, { [variable]: value });
      expect(resolve).toThrow(ConfigError);
      expect(resolve).toThrow(message);
    });
  });

  it('stack tags cannot be overridden by user tags', () => {
    const args = resolveStackArgs(fromRecord({ tags: ['Environment=prod', 'Team=x'] }), {});
    expect(stackTags(args)).toEqual({ Team: 'x', Environment: 'dev', Project: 'tap', ManagedBy: 'pulumi' });
  });
});
