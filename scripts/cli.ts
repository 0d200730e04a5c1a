/**
 * The command line of every entry point (replay, synth, bench, build, generate-validators, npm start),
 * one behaviour on node's `util.parseArgs` in strict mode:
 *
 *   -h, --help       prints the command's usage on stdout; exit code 0
 *   a bad argument   prints `<command>: <message>` and the usage on stderr; exit code 2
 *                    (an unknown option, any positional, a missing or empty value, a value for a
 *                    flag, or a value that fails its check: see positiveInteger and friends)
 *
 * parseCli only throws (CliError for a bad argument, CliHelp for --help), so a command's parsing is
 * testable as a function. A `main(argv, ...)` that returns its exit code turns what it caught into
 * one with cliExitCode; an entry point without one calls runCli, which exits the process.
 */
import { parseArgs } from 'util';

/** util.parseArgs's `options` (the type itself is not exported by @types/node). */
type CliOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

export interface CliSpec<O extends CliOptions = CliOptions> {
  /** Prefix of every error line, e.g. `replay` gives `replay: unknown argument "--bogus"`. */
  command: string;
  /** The whole usage text: printed alone for --help, after the message for a bad argument. */
  usage: string;
  /** util.parseArgs options; -h/--help is added (and handled) by parseCli. */
  options: O;
}

/** What util.parseArgs returns as `values` for these options, strict and without positionals. */
export type CliValues<O extends CliOptions> = ReturnType<
  typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>
>['values'];

/** A bad argument: exit code 2, the message printed after `<command>: `. */
export class CliError extends Error {
  readonly exitCode = 2;
}

/** -h or --help was given: exit code 0 after printing the usage. */
export class CliHelp extends Error {
  readonly exitCode = 0;
  constructor() {
    super('help requested');
  }
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Parses argv against the spec's options. Throws CliHelp when -h/--help is among them (even next
 * to a bad argument), else CliError naming the first bad argument.
 */
export function parseCli<O extends CliOptions>(spec: CliSpec<O>, argv: readonly string[]): CliValues<O> {
  if ('help' in spec.options) throw new Error(`${spec.command}: the help option is parseCli's own`);
  const options: CliOptions = { ...spec.options, ...HELP_OPTION };
  // A lenient pass first, for the tokens: messages in our words, and --help winning over a bad argument.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) throw new CliHelp();
  for (const token of tokens) {
    if (token.kind === 'positional') throw new CliError(`unexpected argument ${JSON.stringify(token.value)}`);
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (!option) throw new CliError(`unknown argument ${JSON.stringify(token.rawName)}`);
    if (option.type === 'boolean' && token.value !== undefined) throw new CliError(`${token.rawName} takes no value`);
    if (option.type === 'string') {
      const value = token.value ?? '';
      if (value === '') throw new CliError(`${token.rawName} needs a value`);
      // `--max --wait 3`: parseArgs would take "--wait" as the value; strict mode (and we) refuse it.
      if (!token.inlineValue && value.length > 1 && value.startsWith('-')) {
        throw new CliError(`${token.rawName} needs a value (one that starts with "-" goes as ${token.rawName}=VALUE)`);
      }
    }
  }
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    delete values.help;
    return values as CliValues<O>;
  } catch (error) {
    // Anything the lenient pass did not catch: node's own words.
    throw new CliError((error as Error).message);
  }
}

/**
 * Turns an error caught around parseCli (or a command's own CliError, e.g. a value from the
 * environment) into the command's exit code, printing as documented above. Rethrows anything else.
 */
export function cliExitCode(
  spec: Pick<CliSpec, 'command' | 'usage'>,
  error: unknown,
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): number {
  if (error instanceof CliHelp) {
    out(spec.usage);
    return error.exitCode;
  }
  if (error instanceof CliError) {
    err(`${spec.command}: ${error.message}\n${spec.usage}`);
    return error.exitCode;
  }
  throw error;
}

/**
 * For an entry point without a testable main(argv): parseCli, then `check` (which may throw
 * CliError); on --help or a bad argument, prints and exits the process (0 or 2).
 */
export function runCli<O extends CliOptions>(spec: CliSpec<O>, argv: readonly string[]): CliValues<O>;
export function runCli<O extends CliOptions, T>(
  spec: CliSpec<O>,
  argv: readonly string[],
  check: (values: CliValues<O>) => T,
): T;
export function runCli<O extends CliOptions, T>(
  spec: CliSpec<O>,
  argv: readonly string[],
  check?: (values: CliValues<O>) => T,
): T | CliValues<O> {
  try {
    const values = parseCli(spec, argv);
    return check ? check(values) : values;
  } catch (error) {
    process.exit(cliExitCode(spec, error));
  }
}

function describeRange(min: number, max: number): string {
  if (max === Infinity)
    return min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`;
  return `an integer from ${min} to ${max}`;
}

/**
 * `raw` as an integer from min to max (decimal digits only), else a CliError such as
 * `--wait must be an integer from 0 to 20, got "x"`. Undefined (the option absent) stays undefined.
 */
export function integerOption(name: string, raw: string, min: number, max?: number): number;
export function integerOption(name: string, raw: string | undefined, min: number, max?: number): number | undefined;
export function integerOption(name: string, raw: string | undefined, min: number, max = Infinity): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^[+-]?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new CliError(`${name} must be ${describeRange(min, max)}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** `raw` as an integer >= 1, else `--max must be a positive integer, got "abc"`; undefined stays undefined. */
export function positiveInteger(name: string, raw: string): number;
export function positiveInteger(name: string, raw: string | undefined): number | undefined;
export function positiveInteger(name: string, raw: string | undefined): number | undefined {
  return integerOption(name, raw, 1);
}

/** `raw` as a finite decimal number >= 0 (e.g. `0.25`, `2`), else a CliError; undefined stays undefined. */
export function nonNegativeNumber(name: string, raw: string): number;
export function nonNegativeNumber(name: string, raw: string | undefined): number | undefined;
export function nonNegativeNumber(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\+?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw) || !Number.isFinite(value)) {
    throw new CliError(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
  }
  return value;
}
