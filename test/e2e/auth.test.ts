/**
 * AWS_IAM end to end: what the gateway refuses (unsigned, wrongly signed, expired, unknown key,
 * tampered) and that a SigV4 client we did not write, `curl --aws-sigv4`, is accepted.
 */
import { execFile } from 'child_process';
import { promisify } from 'util';
import { curlWithSigV4Available } from './client';
import { openTarget, uniqueId, type Target } from './target';

const run = promisify(execFile);

describe('AWS_IAM (SigV4) end to end', () => {
  let target: Target;
  const body = () =>
    JSON.stringify({ tracking_id: uniqueId('E2E-AUTH'), status: 'pending', location: { lat: 1, lng: 2 } });

  beforeAll(async () => {
    target = await openTarget();
  });
  afterAll(() => target?.close());

  it('refuses an unsigned request with 403 Missing Authentication Token', async () => {
    const r = await target.client.request({ method: 'POST', path: '/track', body: body(), sign: false });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ error: 'Missing Authentication Token', request_id: expect.any(String) });
  });

  it('refuses a request signed with the wrong secret', async () => {
    const real = await target.client.credentials();
    const r = await target.client.request({
      method: 'GET',
      path: '/status',
      query: { tracking_id: 'X' },
      credentials: { ...real, secretAccessKey: `${real.secretAccessKey}x` },
    });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatch(/^The request signature we calculated does not match the signature you provided\./);
  });

  it('refuses a body changed after signing', async () => {
    const signed = body();
    const r = await target.client.request({
      method: 'POST',
      path: '/track',
      body: signed,
      tamperBody: signed.replace('pending', 'failed '),
    });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatch(/^The request signature we calculated does not match/);
  });

  it('refuses an expired signature (dated 20 minutes ago)', async () => {
    const r = await target.client.request({
      method: 'GET',
      path: '/status',
      query: { tracking_id: 'X' },
      signingDate: new Date(Date.now() - 20 * 60_000),
    });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
  });

  it('refuses a signature dated in the future', async () => {
    const r = await target.client.request({
      method: 'GET',
      path: '/status',
      query: { tracking_id: 'X' },
      signingDate: new Date(Date.now() + 20 * 60_000),
    });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatch(/^Signature not yet current: /);
  });

  it('refuses an access key it does not know', async () => {
    const r = await target.client.request({
      method: 'GET',
      path: '/status',
      query: { tracking_id: 'X' },
      credentials: { accessKeyId: 'AKIDUNKNOWNE2E00000', secretAccessKey: 'unknown-secret' },
    });
    expect(r.status).toBe(403);
    expect(r.json.error).toBe('The security token included in the request is invalid.');
  });

  it('accepts curl --aws-sigv4 (a client we did not write): store, then read back', async () => {
    if (!(await curlWithSigV4Available())) {
      console.log('skipped: curl >= 7.75 with --aws-sigv4 is not installed');
      return;
    }
    const creds = await target.client.credentials();
    const id = uniqueId('E2E-CURL');
    const sigv4 = [
      '--silent',
      '--show-error',
      '--aws-sigv4',
      `aws:amz:${target.client.region}:execute-api`,
      '--user',
      `${creds.accessKeyId}:${creds.secretAccessKey}`,
    ];
    if (creds.sessionToken) sigv4.push('-H', `x-amz-security-token: ${creds.sessionToken}`);
    const stage = target.client.stageUrl.replace(/\/$/, '');
    const write = await run('curl', [
      ...sigv4,
      '-w',
      '\n%{http_code}',
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({ tracking_id: id, status: 'delivered', location: { lat: 52.52, lng: 13.4 } }),
      `${stage}/track`,
    ]);
    const [writeBody, writeStatus] = write.stdout.split('\n');
    expect({ status: writeStatus, body: JSON.parse(writeBody) }).toEqual({
      status: '200',
      body: expect.objectContaining({ tracking_id: id }),
    });

    const read = await run('curl', [...sigv4, '-w', '\n%{http_code}', `${stage}/status?tracking_id=${id}`]);
    const [readBody, readStatus] = read.stdout.split('\n');
    expect(readStatus).toBe('200');
    expect(JSON.parse(readBody)).toEqual(expect.objectContaining({ tracking_id: id, count: 1 }));
  });
});
