/** The CI recipe for real deployments cannot run here; this keeps it valid and doing what the README says. */
import * as fs from 'fs';
import * as path from 'path';
import { load } from 'js-yaml';
import { PROJECT_ROOT } from '../../lib/bundle';
import { OUTPUTS_FILE } from '../e2e/target';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

const workflow = load(fs.readFileSync(path.join(PROJECT_ROOT, '.github', 'workflows', 'deploy.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { strategy: { matrix: { suffix: string[] } }; env: Record<string, string>; steps: Step[] }>;
};
const job = workflow.jobs.deploy;
const steps = job.steps;
const index = (predicate: (s: Step) => boolean) => steps.findIndex(predicate);

describe('.github/workflows/deploy.yml', () => {
  it('runs on pull requests and on pushes to main, per environment suffix', () => {
    expect(workflow.on.pull_request).toEqual({ branches: ['main'] });
    expect(workflow.on.push).toEqual({ branches: ['main'] });
    expect(job.strategy.matrix.suffix).toContain('dev');
    expect(job.env.ENVIRONMENT_SUFFIX).toBe('${{ matrix.suffix }}');
    expect(workflow.permissions['id-token']).toBe('write');
  });

  it('previews on pull requests and runs pulumi up on main with the official action', () => {
    const preview = steps.find((s) => s.with?.command === 'preview');
    const up = steps.find((s) => s.with?.command === 'up');
    expect(preview).toMatchObject({
      uses: expect.stringMatching(/^pulumi\/actions@v\d+$/),
      if: "github.event_name == 'pull_request'",
    });
    expect(up).toMatchObject({
      uses: expect.stringMatching(/^pulumi\/actions@v\d+$/),
      if: "github.event_name != 'pull_request'",
    });
    expect(preview?.with?.['stack-name']).toBe('${{ matrix.suffix }}');
    expect(up?.with?.['stack-name']).toBe('${{ matrix.suffix }}');
  });

  describe('pulumi preview and pulumi up', () => {
    const pulumiSteps = () => ['preview', 'up'].map((command) => steps.find((s) => s.with?.command === command)!);

    it('run the policy pack (policyPacks: policy, i.e. --policy-pack policy)', () => {
      for (const step of pulumiSteps())
        expect([step.with?.command, step.with?.policyPacks]).toEqual([step.with?.command, 'policy']);
      expect(fs.existsSync(path.join(PROJECT_ROOT, 'policy', 'PulumiPolicy.yaml'))).toBe(true);
    });

    it('pass policy/config/production.json (--policy-pack-config) for the production stack only', () => {
      const config = 'policy/config/production.json';
      expect(fs.existsSync(path.join(PROJECT_ROOT, config))).toBe(true);
      for (const step of pulumiSteps()) {
        expect([step.with?.command, step.with?.policyPackConfigs]).toEqual([
          step.with?.command,
          `\${{ matrix.suffix == 'production' && '${config}' || '' }}`,
        ]);
      }
    });

    it('tag the resources with where they come from: REPOSITORY and COMMIT_AUTHOR in their env', () => {
      for (const step of pulumiSteps()) {
        expect([step.with?.command, step.env]).toEqual([
          step.with?.command,
          { REPOSITORY: '${{ github.repository }}', COMMIT_AUTHOR: '${{ github.actor }}' },
        ]);
      }
      // Only there: the job's other steps (npm test) see neither.
      expect([job.env.REPOSITORY, job.env.COMMIT_AUTHOR]).toEqual([undefined, undefined]);
    });
  });

  it('tests locally first, then writes the outputs where the e2e suite reads them and runs it', () => {
    const test = index((s) => s.run === 'npm test');
    const up = index((s) => s.with?.command === 'up');
    const outputs = index((s) => /pulumi stack output --json .*> cfn-outputs\/flat-outputs\.json/.test(s.run ?? ''));
    const e2e = index((s) => /jest test\/e2e/.test(s.run ?? ''));
    expect(test).toBeGreaterThan(-1);
    expect([test < up, up < outputs, outputs < e2e]).toEqual([true, true, true]);
    expect(path.relative(PROJECT_ROOT, OUTPUTS_FILE)).toBe(path.join('cfn-outputs', 'flat-outputs.json'));
  });
});
