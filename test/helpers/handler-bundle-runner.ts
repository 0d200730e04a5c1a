/**
 * Runs the built bundle in a fresh `node` process, as the Lambda runtime would: imports it, then
 * invokes its handler once per invocation (setting `_X_AMZN_TRACE_ID` when given), with a Lambda
 * context. Only the environment passed in is visible to the function.
 */
import { spawn } from 'child_process';
import { pathToFileURL } from 'url';
import { lambdaContext } from './handler-harness';

export interface BundleInvocation {
  event: unknown;
  /** X-Ray trace header for this invocation, as Lambda sets it. */
  traceHeader?: string;
}

const RUNNER = `
const [file, invocations] = [process.argv[1], JSON.parse(process.argv[2])];
// Like Lambda's runtime, invoke from callbacks set up before the function's module was loaded
// (so nothing the module does to the async context at load time leaks into the invocations).
let start;
const invoked = new Promise((resolve) => (start = resolve)).then(async (handler) => {
  const results = [];
  for (const { event, traceHeader } of invocations) {
    if (traceHeader) process.env._X_AMZN_TRACE_ID = traceHeader;
    const context = { ...${JSON.stringify(lambdaContext())}, getRemainingTimeInMillis: () => 10000 };
    results.push(await handler(event, context));
  }
  return results;
});
start((await import(file)).handler);
const results = await invoked;
// Let fire-and-forget work (X-Ray's UDP sends) leave before the process ends.
await new Promise((resolve) => setTimeout(resolve, 200));
process.stdout.write('RESULTS ' + JSON.stringify(results) + '\\n');
`;

export function runBundle(
  bundleFile: string,
  invocations: BundleInvocation[],
  env: Record<string, string>,
): Promise<{ results: { statusCode: number; body: string }[]; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER, pathToFileURL(bundleFile).href, JSON.stringify(invocations)], {
      env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULTS '));
      if (code !== 0 || !line) reject(new Error(`bundle run failed (${code}): ${stderr}`));
      else resolve({ results: JSON.parse(line.slice('RESULTS '.length)), stdout });
    });
  });
}
