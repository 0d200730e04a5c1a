/**
 * scripts/cli.ts, the one command-line behaviour of every entry point, and the commands' own
 * parsing on top of it (npm run replay, npm start) as functions: no process is spawned here.
 */
import { FUNCTION_ENV } from '../../lambda/contract';
import {
  CliError,
  CliHelp,
  cliExitCode,
  integerOption,
  nonNegativeNumber,
  parseCli,
  positiveInteger,
  runCli,
  type CliSpec,
} from '../../scripts/cli';
import { main as replayMain, parseReplayArgs, REPLAY_CLI } from '../../scripts/replay';
import { START_CLI, startOptions } from '../../local/start';

const DEMO = {
  command: 'demo',
  usage: 'usage: demo [--max N] [--out FILE] [--quick] [--tag T]...',
  options: {
    max: { type: 'string' },
    out: { type: 'string', default: 'out.json' },
    quick: { type: 'boolean' },
    tag: { type: 'string', multiple: true },
  },
} as const satisfies CliSpec;

/** What a call threw (or 'no error'), as the one thing a table row compares. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return 'no error';
}

describe('parseCli', () => {
  it.each<[string, string[], Record<string, unknown>]>([
    ['nothing: the defaults only', [], { out: 'out.json' }],
    ['a value after the option', ['--max', '5'], { max: '5', out: 'out.json' }],
    ['a value after =', ['--max=5', '--out=x.json'], { max: '5', out: 'x.json' }],
    ['a flag', ['--quick'], { quick: true, out: 'out.json' }],
    ['a repeatable option, both spellings', ['--tag', 'a', '--tag=b'], { tag: ['a', 'b'], out: 'out.json' }],
    ['"-" as a value (stdin/stdout by convention)', ['--out', '-'], { out: '-' }],
    ['a value starting with "-" after =', ['--max=-1'], { max: '-1', out: 'out.json' }],
    ['the last of a repeated single option', ['--max', '1', '--max', '2'], { max: '2', out: 'out.json' }],
  ])('accepts %s', (_name, argv, values) => {
    expect({ ...parseCli(DEMO, argv) }).toEqual(values);
  });

  it.each<[string, string[], string]>([
    ['an unknown option', ['--bogus'], 'unknown argument "--bogus"'],
    ['an unknown option with a value', ['--bogus=1'], 'unknown argument "--bogus"'],
    ['an unknown short option', ['-x'], 'unknown argument "-x"'],
    ['a negated flag (no --no-*)', ['--no-quick'], 'unknown argument "--no-quick"'],
    ['a missing value at the end', ['--max'], '--max needs a value'],
    ['an empty value', ['--max='], '--max needs a value'],
    ['an empty value as the next argument', ['--out', ''], '--out needs a value'],
    [
      'an option where the value should be',
      ['--max', '--quick'],
      '--max needs a value (one that starts with "-" goes as --max=VALUE)',
    ],
    ['a value for a flag', ['--quick=yes'], '--quick takes no value'],
    ['a positional', ['extra'], 'unexpected argument "extra"'],
    ['a positional after valid options', ['--quick', '--max', '3', 'extra'], 'unexpected argument "extra"'],
    ['a positional after --', ['--', 'extra'], 'unexpected argument "extra"'],
  ])('refuses %s with a CliError', (_name, argv, message) => {
    const error = thrown(() => parseCli(DEMO, argv));
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(message);
    expect((error as CliError).exitCode).toBe(2);
  });

  it.each<[string, string[]]>([
    ['--help', ['--help']],
    ['-h', ['-h']],
    ['--help next to valid options', ['--quick', '--help']],
    ['--help next to a bad argument', ['--bogus', 'extra', '-h']],
  ])('throws CliHelp for %s', (_name, argv) => {
    const error = thrown(() => parseCli(DEMO, argv));
    expect(error).toBeInstanceOf(CliHelp);
    expect((error as CliHelp).exitCode).toBe(0);
  });

  it('does not return help among the values', () => {
    expect(Object.keys(parseCli(DEMO, ['--quick']))).not.toContain('help');
  });

  it('keeps the help option its own', () => {
    expect(() => parseCli({ command: 'x', usage: 'u', options: { help: { type: 'boolean' } } }, [])).toThrow(
      /help option/,
    );
  });
});

describe('cliExitCode and runCli', () => {
  const capture = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) };
  };

  it.each<[string, unknown, number, { out: string[]; err: string[] }]>([
    ['--help: the usage on stdout, 0', new CliHelp(), 0, { out: [DEMO.usage], err: [] }],
    [
      'a bad argument: `<command>: <message>` and the usage on stderr, 2',
      new CliError('unknown argument "--x"'),
      2,
      { out: [], err: [`demo: unknown argument "--x"\n${DEMO.usage}`] },
    ],
  ])('%s', (_name, error, code, printed) => {
    const { lines, out, err } = capture();
    expect(cliExitCode(DEMO, error, out, err)).toBe(code);
    expect(lines).toEqual(printed);
  });

  it('rethrows any other error', () => {
    const { out, err } = capture();
    const boom = new Error('boom');
    expect(() => cliExitCode(DEMO, boom, out, err)).toThrow(boom);
  });

  describe('runCli (exits the process)', () => {
    class Exit {
      constructor(readonly code: number | string | null | undefined) {}
    }
    let log: jest.SpyInstance;
    let error: jest.SpyInstance;
    beforeEach(() => {
      jest.spyOn(process, 'exit').mockImplementation((code) => {
        throw new Exit(code);
      });
      log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    });
    afterEach(() => jest.restoreAllMocks());

    it.each<[string, string[], number, 'log' | 'error', string]>([
      ['--help: usage, exit 0', ['--help'], 0, 'log', DEMO.usage],
      ['a bad argument: exit 2', ['--bogus'], 2, 'error', `demo: unknown argument "--bogus"\n${DEMO.usage}`],
      [
        'a failed check: exit 2',
        ['--max', 'abc'],
        2,
        'error',
        `demo: --max must be a positive integer, got "abc"\n${DEMO.usage}`,
      ],
    ])('%s', (_name, argv, code, stream, text) => {
      const exit = thrown(() => runCli(DEMO, argv, (values) => positiveInteger('--max', values.max)));
      expect(exit).toEqual(new Exit(code));
      expect((stream === 'log' ? log : error).mock.calls).toEqual([[text]]);
    });

    it('returns the values, or what the check makes of them', () => {
      expect(runCli(DEMO, ['--quick']).quick).toBe(true);
      expect(runCli(DEMO, ['--max', '7'], (values) => positiveInteger('--max', values.max))).toBe(7);
      expect(process.exit).not.toHaveBeenCalled();
    });
  });
});

describe('value checks', () => {
  it.each<[string, () => number | undefined, number | undefined]>([
    ['positiveInteger "5"', () => positiveInteger('--max', '5'), 5],
    ['positiveInteger "1"', () => positiveInteger('--max', '1'), 1],
    ['positiveInteger "+7"', () => positiveInteger('--max', '+7'), 7],
    ['positiveInteger absent', () => positiveInteger('--max', undefined), undefined],
    ['integerOption "0" from 0 to 20', () => integerOption('--wait', '0', 0, 20), 0],
    ['integerOption "20" from 0 to 20', () => integerOption('--wait', '20', 0, 20), 20],
    ['integerOption "0" from 0', () => integerOption('--port', '0', 0), 0],
    ['nonNegativeNumber "0"', () => nonNegativeNumber('--rate', '0'), 0],
    ['nonNegativeNumber "0.25"', () => nonNegativeNumber('--rate', '0.25'), 0.25],
    ['nonNegativeNumber ".5"', () => nonNegativeNumber('--rate', '.5'), 0.5],
    ['nonNegativeNumber "2"', () => nonNegativeNumber('--rate', '2'), 2],
    ['nonNegativeNumber "1e3"', () => nonNegativeNumber('--rate', '1e3'), 1000],
    ['nonNegativeNumber absent', () => nonNegativeNumber('--rate', undefined), undefined],
  ])('%s', (_name, check, value) => {
    expect(check()).toBe(value);
  });

  it.each<[string, () => unknown, string]>([
    ['positiveInteger "abc"', () => positiveInteger('--max', 'abc'), '--max must be a positive integer, got "abc"'],
    ['positiveInteger "0"', () => positiveInteger('--max', '0'), '--max must be a positive integer, got "0"'],
    ['positiveInteger "-3"', () => positiveInteger('--max', '-3'), '--max must be a positive integer, got "-3"'],
    ['positiveInteger "1.5"', () => positiveInteger('--max', '1.5'), '--max must be a positive integer, got "1.5"'],
    ['positiveInteger "1e3"', () => positiveInteger('--max', '1e3'), '--max must be a positive integer, got "1e3"'],
    ['positiveInteger "0x10"', () => positiveInteger('--max', '0x10'), '--max must be a positive integer, got "0x10"'],
    ['positiveInteger " 5"', () => positiveInteger('--max', ' 5'), '--max must be a positive integer, got " 5"'],
    ['positiveInteger ""', () => positiveInteger('--max', ''), '--max must be a positive integer, got ""'],
    [
      'positiveInteger beyond 2^53',
      () => positiveInteger('--max', '9007199254740993'),
      '--max must be a positive integer, got "9007199254740993"',
    ],
    [
      'integerOption "21" from 0 to 20',
      () => integerOption('--wait', '21', 0, 20),
      '--wait must be an integer from 0 to 20, got "21"',
    ],
    [
      'integerOption "-1" from 0',
      () => integerOption('--port', '-1', 0),
      '--port must be a non-negative integer, got "-1"',
    ],
    ['integerOption "1" from 2', () => integerOption('--n', '1', 2), '--n must be an integer of at least 2, got "1"'],
    [
      'nonNegativeNumber "-0.1"',
      () => nonNegativeNumber('--rate', '-0.1'),
      '--rate must be a non-negative number, got "-0.1"',
    ],
    [
      'nonNegativeNumber "abc"',
      () => nonNegativeNumber('--rate', 'abc'),
      '--rate must be a non-negative number, got "abc"',
    ],
    [
      'nonNegativeNumber "Infinity"',
      () => nonNegativeNumber('--rate', 'Infinity'),
      '--rate must be a non-negative number, got "Infinity"',
    ],
    [
      'nonNegativeNumber "1e999"',
      () => nonNegativeNumber('--rate', '1e999'),
      '--rate must be a non-negative number, got "1e999"',
    ],
    ['nonNegativeNumber ""', () => nonNegativeNumber('--rate', ''), '--rate must be a non-negative number, got ""'],
  ])('refuses %s, naming the option', (_name, check, message) => {
    const error = thrown(check);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(message);
  });
});

describe('npm run replay: parseReplayArgs and main', () => {
  const ENV = { [FUNCTION_ENV.queueUrl]: 'q-env', [FUNCTION_ENV.tableName]: 't-env' };

  it.each<[string, string[], NodeJS.ProcessEnv, Record<string, unknown>]>([
    ['both from the environment', [], ENV, { queueUrl: 'q-env', tableName: 't-env' }],
    [
      'both flags over the environment',
      ['--queue-url', 'q-flag', '--table-name=t-flag'],
      ENV,
      { queueUrl: 'q-flag', tableName: 't-flag' },
    ],
    [
      'the queue flag, the table from the environment',
      ['--queue-url', 'q-flag'],
      { [FUNCTION_ENV.tableName]: 't-env' },
      { queueUrl: 'q-flag', tableName: 't-env' },
    ],
    [
      'the table flag, the queue from the environment',
      ['--table-name', 't-flag'],
      { [FUNCTION_ENV.queueUrl]: 'q-env' },
      { queueUrl: 'q-env', tableName: 't-flag' },
    ],
    ['both flags, no environment', ['--queue-url=q', '--table-name', 't'], {}, { queueUrl: 'q', tableName: 't' }],
    [
      '--max and --wait',
      ['--max', '5', '--wait=0'],
      ENV,
      { queueUrl: 'q-env', tableName: 't-env', maxMessages: 5, waitTimeSeconds: 0 },
    ],
    ['--wait at its SQS limit', ['--wait', '20'], ENV, { queueUrl: 'q-env', tableName: 't-env', waitTimeSeconds: 20 }],
    [
      '--visibility',
      ['--visibility', '1'],
      ENV,
      { queueUrl: 'q-env', tableName: 't-env', visibilityTimeoutSeconds: 1 },
    ],
    [
      '--visibility at its SQS limit (12 hours)',
      ['--visibility=43200'],
      ENV,
      { queueUrl: 'q-env', tableName: 't-env', visibilityTimeoutSeconds: 43_200 },
    ],
  ])('takes %s', (_name, argv, env, args) => {
    expect(parseReplayArgs(argv, env)).toEqual(args);
  });

  it.each<[string, string[], NodeJS.ProcessEnv, string]>([
    ['a non-numeric --max', ['--max', 'abc'], ENV, '--max must be a positive integer, got "abc"'],
    ['--max 0', ['--max', '0'], ENV, '--max must be a positive integer, got "0"'],
    ['a fractional --max', ['--max=2.5'], ENV, '--max must be a positive integer, got "2.5"'],
    ['a bad --max before a missing queue', ['--max', 'abc'], {}, '--max must be a positive integer, got "abc"'],
    ['--wait beyond 20', ['--wait', '21'], ENV, '--wait must be an integer from 0 to 20, got "21"'],
    [
      '--visibility beyond 12 hours',
      ['--visibility', '43201'],
      ENV,
      '--visibility must be an integer from 0 to 43200, got "43201"',
    ],
    ['a negative --visibility', ['--visibility=-1'], ENV, '--visibility must be an integer from 0 to 43200, got "-1"'],
    ['--max without a value', ['--max'], ENV, '--max needs a value'],
    ['an empty --queue-url', ['--queue-url='], ENV, '--queue-url needs a value'],
    [
      'no queue anywhere',
      [],
      { [FUNCTION_ENV.tableName]: 't' },
      `no queue: set ${FUNCTION_ENV.queueUrl} or pass --queue-url`,
    ],
    [
      `an empty ${FUNCTION_ENV.queueUrl}`,
      [],
      { [FUNCTION_ENV.queueUrl]: '', [FUNCTION_ENV.tableName]: 't' },
      `no queue: set ${FUNCTION_ENV.queueUrl} or pass --queue-url`,
    ],
    ['no table anywhere', ['--queue-url', 'q'], {}, `no table: set ${FUNCTION_ENV.tableName} or pass --table-name`],
    ['an unknown option', ['--bogus'], ENV, 'unknown argument "--bogus"'],
    ['a positional', ['now'], ENV, 'unexpected argument "now"'],
  ])('refuses %s', (_name, argv, env, message) => {
    const error = thrown(() => parseReplayArgs(argv, env));
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(message);
  });

  it.each<[string, string[], NodeJS.ProcessEnv, number, { out: string[]; err: string[] }]>([
    ['--help: the usage on stdout, exit 0', ['--help'], {}, 0, { out: [REPLAY_CLI.usage], err: [] }],
    ['-h even with a bad --max', ['--max', 'abc', '-h'], ENV, 0, { out: [REPLAY_CLI.usage], err: [] }],
    [
      'a bad --max: exit 2',
      ['--max', 'abc'],
      ENV,
      2,
      { out: [], err: [`replay: --max must be a positive integer, got "abc"\n${REPLAY_CLI.usage}`] },
    ],
    [
      'no queue: exit 2 (a configuration error)',
      [],
      {},
      2,
      { out: [], err: [`replay: no queue: set ${FUNCTION_ENV.queueUrl} or pass --queue-url\n${REPLAY_CLI.usage}`] },
    ],
  ])('main: %s', async (_name, argv, env, code, printed) => {
    const lines = { out: [] as string[], err: [] as string[] };
    expect(
      await replayMain(
        argv,
        env,
        (l) => lines.out.push(l),
        (l) => lines.err.push(l),
      ),
    ).toBe(code);
    expect(lines).toEqual(printed);
  });

  it('documents its exit codes and every option in its usage', () => {
    for (const option of Object.keys(REPLAY_CLI.options)) expect(REPLAY_CLI.usage).toContain(`--${option} `);
    expect(REPLAY_CLI.usage).toContain('-h, --help');
    expect(REPLAY_CLI.usage).toMatch(/Exit code 0, 1 .*, 2 /);
  });
});

describe('npm start: START_CLI and startOptions', () => {
  const FAULT = 'dynamodb:PutItem=ProvisionedThroughputExceededException@0.2';
  const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => startOptions(parseCli(START_CLI, argv), env);

  it.each<[string, string[], NodeJS.ProcessEnv, Record<string, unknown>]>([
    ['the defaults', [], {}, { host: '127.0.0.1', port: 3000, config: {} }],
    ['PORT and HOST from the environment', [], { PORT: '0', HOST: '0.0.0.0' }, { host: '0.0.0.0', port: 0 }],
    ['an empty PORT as unset', [], { PORT: '' }, { port: 3000 }],
    [
      '--port and --host over the environment',
      ['--port', '4000', '--host', '::1'],
      { PORT: '5000', HOST: '0.0.0.0' },
      { host: '::1', port: 4000 },
    ],
    [
      '--set, repeatable, tap: prefix dropped',
      ['--set', 'tap:batchProcessing=false', '--set=a=b=c'],
      {},
      { config: { batchProcessing: 'false', a: 'b=c' } },
    ],
    [
      '--fault, repeatable, passed through in order',
      ['--fault', FAULT, '--fault=sqs:SendMessage=InternalError'],
      {},
      { faults: [FAULT, 'sqs:SendMessage=InternalError'] },
    ],
    ['no --fault: no faults', [], {}, { faults: undefined }],
    [
      '--events-file and an http --webhook',
      ['--events-file', 'out/events.jsonl', '--webhook', 'http://127.0.0.1:9000/hooks/tracking'],
      {},
      { eventsFile: 'out/events.jsonl', webhook: 'http://127.0.0.1:9000/hooks/tracking' },
    ],
    [
      'an https --webhook',
      ['--webhook=https://hooks.example.com/t?k=1'],
      {},
      { webhook: 'https://hooks.example.com/t?k=1' },
    ],
    ['no --events-file, no --webhook', [], {}, { eventsFile: undefined, webhook: undefined }],
    [
      '--set realTimeNotifications=true (the flag, as the stack config key)',
      ['--set', 'realTimeNotifications=true'],
      {},
      { config: { realTimeNotifications: 'true' } },
    ],
    [
      'the other options',
      [
        '--stack',
        'prod',
        '--stage',
        'pr7',
        '--data-dir',
        '.data',
        '--watch',
        '--throttle',
        '--concurrency',
        '2',
        '--quiet',
      ],
      {},
      { stack: 'prod', stage: 'pr7', dataDir: '.data', watch: true, throttle: true, concurrency: 2, quiet: true },
    ],
  ])('takes %s', (_name, argv, env, expected) => {
    expect(parse(argv, env)).toMatchObject(expected);
  });

  it.each<[string, string[], NodeJS.ProcessEnv, string]>([
    ['a port beyond 65535', ['--port', '70000'], {}, '--port must be an integer from 0 to 65535, got "70000"'],
    ['a non-numeric --port', ['--port', 'abc'], {}, '--port must be an integer from 0 to 65535, got "abc"'],
    ['a bad PORT', [], { PORT: 'x' }, 'PORT must be an integer from 0 to 65535, got "x"'],
    ['--concurrency 0', ['--concurrency', '0'], {}, '--concurrency must be a positive integer, got "0"'],
    ['a fractional --concurrency', ['--concurrency', '1.5'], {}, '--concurrency must be a positive integer, got "1.5"'],
    ['--set without =', ['--set', 'batchProcessing'], {}, '--set expects KEY=VALUE, got "batchProcessing"'],
    ['--set without a key', ['--set', '=x'], {}, '--set expects KEY=VALUE, got "=x"'],
    ['--fault without a spec', ['--fault'], {}, '--fault needs a value'],
    ['--events-file without a file', ['--events-file'], {}, '--events-file needs a value'],
    ['--webhook without a URL', ['--webhook'], {}, '--webhook needs a value'],
    [
      'a --webhook that is no URL',
      ['--webhook', 'localhost:9000'],
      {},
      '--webhook must be an http:// or https:// URL, got "localhost:9000"',
    ],
    [
      'a --webhook of another scheme',
      ['--webhook', 'ftp://example.com/x'],
      {},
      '--webhook must be an http:// or https:// URL, got "ftp://example.com/x"',
    ],
    [
      'a --webhook without a host',
      ['--webhook', 'http://'],
      {},
      '--webhook must be an http:// or https:// URL, got "http://"',
    ],
    ['a positional', ['serve'], {}, 'unexpected argument "serve"'],
    ['an unknown option', ['--prot', '4000'], {}, 'unknown argument "--prot"'],
  ])('refuses %s', (_name, argv, env, message) => {
    const error = thrown(() => parse(argv, env));
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(message);
  });

  it('documents --events-file and --webhook in its usage, and the flag events need', () => {
    expect(START_CLI.usage).toMatch(
      /\n {2}--events-file FILE +append every status-change event to FILE, one JSON line each/,
    );
    expect(START_CLI.usage).toMatch(/\n {2}--webhook URL +POST every event's detail to URL \(http\/https\)/);
    expect(START_CLI.usage).toContain('--set realTimeNotifications=true');
    for (const option of Object.keys(START_CLI.options)) expect(START_CLI.usage).toContain(`--${option} `);
  });

  it('documents --fault in its usage', () => {
    // Aligned with the other options' descriptions.
    expect(START_CLI.usage).toMatch(
      /\n {2}--fault SPEC +inject a fault into a local AWS service, e\.g\. dynamodb:PutItem=ProvisionedThroughputExceededException@0\.2 \(repeatable; see docs\/local\.md\)\n/,
    );
  });
});
