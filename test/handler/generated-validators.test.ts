/**
 * The validators the function ships are generated at build time from the contract's schemas
 * (scripts/generate-validators.ts -> lambda/generated/validators.ts). The committed module must be
 * exactly what the generator writes now: change a schema, and this fails until it is regenerated.
 */
import * as fs from 'fs';
import type { ErrorObject } from 'ajv';
import Ajv from 'ajv-draft-04';
import { TRACKING_BATCH_SCHEMA, TRACKING_UPDATE_SCHEMA } from '../../lambda/contract';
import * as generated from '../../lambda/generated/validators';
import {
  GENERATED_VALIDATORS_FILE,
  VALIDATOR_OPTIONS,
  generateValidatorsSource,
} from '../../scripts/generate-validators';

it('lambda/generated/validators.ts is what the generator writes from the contract now (run: npx tsx scripts/generate-validators.ts)', () => {
  expect(fs.readFileSync(GENERATED_VALIDATORS_FILE, 'utf8') === generateValidatorsSource()).toBe(true);
});

it('needs no Ajv at run time (only its tiny ucs2length helper)', () => {
  const source = fs.readFileSync(GENERATED_VALIDATORS_FILE, 'utf8');
  const imports = source.match(/^import .*$/gm) ?? [];
  expect(imports).toEqual(["import ucs2length from 'ajv/dist/runtime/ucs2length';"]);
  expect(source).not.toMatch(/\brequire\(/);
});

describe('the generated validators judge like Ajv compiling the contract at run time', () => {
  const runtime = new Ajv({ ...VALIDATOR_OPTIONS });
  const cases: [string, unknown][] = [
    ['valid', { tracking_id: 'A-1', status: 'pending', location: { lat: 1, lng: 2 } }],
    [
      'with metadata',
      { tracking_id: 'A-1', status: 'delivered', location: { lat: -90, lng: 180 }, metadata: { a: [1, { b: 'c' }] } },
    ],
    [
      'everything wrong',
      { tracking_id: '', status: 'lost', location: { lat: 91, lng: '2', alt: 3 }, metadata: [], extra: true },
    ],
    [
      'with an event_time',
      {
        tracking_id: 'A-1',
        status: 'pending',
        location: { lat: 1, lng: 2 },
        event_time: '2026-12-01T09:30:00.5+01:00',
      },
    ],
    [
      'an event_time of the wrong shape',
      { tracking_id: 'A-1', status: 'pending', location: { lat: 1, lng: 2 }, event_time: '2026-12-01 09:30:00' },
    ],
    [
      'an event_time not a string',
      { tracking_id: 'A-1', status: 'pending', location: { lat: 1, lng: 2 }, event_time: 0 },
    ],
    ['not an object', [1, 2]],
    ['null', null],
    ['control characters and astral length', { tracking_id: `\u0001${'😀'.repeat(101)}`, status: 1, location: null }],
    ['non-finite', { tracking_id: 'A', status: 'pending', location: { lat: Infinity, lng: NaN } }],
    [
      'batch',
      {
        updates: [{ tracking_id: 'A', status: 'pending', location: { lat: 1, lng: 2 } }, { tracking_id: 'B' }],
        more: 1,
      },
    ],
    ['empty batch', { updates: [] }],
    [
      'long batch',
      {
        updates: Array.from({ length: 26 }, () => ({
          tracking_id: 'A',
          status: 'pending',
          location: { lat: 1, lng: 2 },
        })),
      },
    ],
  ];
  const pairs = [
    ['validateUpdate', generated.validateUpdate, runtime.compile(TRACKING_UPDATE_SCHEMA)],
    ['validateBatch', generated.validateBatch, runtime.compile(TRACKING_BATCH_SCHEMA)],
    [
      'validateTrackingId',
      generated.validateTrackingId,
      runtime.compile(TRACKING_UPDATE_SCHEMA.properties.tracking_id),
    ],
  ] as const;
  for (const [name, fromBuild, atRunTime] of pairs) {
    it.each([...cases, ['a string id', 'A-1'], ['too long id', 'x'.repeat(101)], ['a number', 7]] as [
      string,
      unknown,
    ][])(`${name}: %s`, (_case, data) => {
      const valid = fromBuild(data);
      expect(valid).toBe(atRunTime(data));
      // schemaPath is where in which schema the rule sits (the batch refers to the update schema): not compared.
      const errors = (list: unknown) =>
        list ? (list as ErrorObject[]).map(({ schemaPath: _where, ...error }) => error) : null;
      expect(valid ? null : errors((fromBuild as typeof fromBuild & { errors?: unknown }).errors)).toEqual(
        errors(atRunTime.errors),
      );
    });
  }
});
