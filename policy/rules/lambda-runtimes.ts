/**
 * Managed Lambda runtimes the pack accepts, with the date AWS deprecates each (no more security
 * patches). Source: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html. A runtime
 * fails `lambda-runtime-supported` once its date has passed, or when it is not listed at all: add a
 * new runtime here with its published deprecation date.
 */
const RUNTIME_DEPRECATION: Readonly<Record<string, string>> = {
  'nodejs24.x': '2028-04-30',
  'nodejs22.x': '2027-04-30',
  'nodejs20.x': '2026-04-30',
  'python3.14': '2029-06-30',
  'python3.13': '2029-06-30',
  'python3.12': '2028-10-31',
  'python3.11': '2026-06-30',
  'python3.10': '2026-06-30',
};

/** Undefined when supported on `today`, else why not. */
export function runtimeProblem(runtime: string | undefined, today: Date): string | undefined {
  if (!runtime) return 'the function declares no runtime';
  const until = RUNTIME_DEPRECATION[runtime];
  if (!until) return `runtime ${runtime} is not a supported Lambda runtime`;
  if (today.getTime() >= Date.parse(`${until}T00:00:00Z`)) return `runtime ${runtime} is deprecated since ${until}`;
  return undefined;
}
