/** The function bundle: the same sources give the same bytes, so an unchanged function shows no diff. */
import { createHash } from 'crypto';
import { BUNDLE_FILE, LAMBDA_HANDLER, buildBundle, type Bundle } from '../../lib/bundle';
import { FUNCTIONS } from '../../lib/functions';

let first: Bundle;
let second: Bundle;
beforeAll(() => {
  first = buildBundle(FUNCTIONS.api.entry);
  second = buildBundle(FUNCTIONS.api.entry);
});

describe('function bundle', () => {
  it('is deterministic: two builds give the same bytes and sha256', () => {
    expect(second.sha256).toBe(first.sha256);
    expect(second.code === first.code).toBe(true);
  });

  it('reports the sha256 and size of exactly its code', () => {
    expect(first.sha256).toBe(createHash('sha256').update(first.code).digest('hex'));
    expect(first.bytes).toBe(Buffer.byteLength(first.code));
  });

  it('is the ES module the Lambda handler setting points at', () => {
    expect(BUNDLE_FILE).toBe('index.mjs');
    expect(LAMBDA_HANDLER).toBe(`${BUNDLE_FILE.replace(/\.mjs$/, '')}.handler`);
  });

  it('never contains Pulumi (lib/ is infrastructure; only lambda/ ships)', () => {
    expect(first.code).not.toMatch(/@pulumi\//);
  });
});
