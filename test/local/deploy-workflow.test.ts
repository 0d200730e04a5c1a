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
