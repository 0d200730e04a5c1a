/** The local API's AWS_IAM check against requests signed as AWS SDKs sign them. */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { identityOf } from '../../local/gateway/credentials';
import { SigV4Verifier, formatAmzDate, type ReceivedRequest } from '../../local/gateway/sigv4';

const KEY = { accessKeyId: 'TESTLOCALKEY00000001', secretAccessKey: 'test-secret', userName: 'alice' };
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const verifier = new SigV4Verifier({ region: 'us-west-2', credentials: [KEY], now: () => NOW });

interface Unsigned {
  method?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
}

/** Signs like an SDK, then shapes the request the way the gateway receives it off the wire. */
async function signed(request: Unsigned = {}, opts: { date?: number; secret?: string; region?: string; service?: string; key?: string } = {}): Promise<ReceivedRequest> {
  const signer = new SignatureV4({
    service: opts.service ?? 'execute-api',
    region: opts.region ?? 'us-west-2',
    credentials: { accessKeyId: opts.key ?? KEY.accessKeyId, secretAccessKey: opts.secret ?? KEY.secretAccessKey },
    sha256: Sha256,
  });
  const path = request.path ?? '/dev/status';
  const headers = { host: '127.0.0.1:3000', ...(request.headers ?? {}) };
  const out = await signer.sign(
    { method: request.method ?? 'GET', protocol: 'http:', hostname: '127.0.0.1', port: 3000, path, query: request.query ?? {}, headers, body: request.body },
    { signingDate: new Date(opts.date ?? NOW) },
  );
  const rawQuery = Object.entries(request.query ?? {})
    .flatMap(([k, v]) => ([] as string[]).concat(v).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
    .join('&');
  const received: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(out.headers)) received[k.toLowerCase()] = [String(v)];
  return { method: request.method ?? 'GET', rawPath: path, rawQuery, headers: received, body: Buffer.from(request.body ?? '') };
}

describe('SigV4Verifier', () => {
  it('accepts a correctly signed request and names the caller by its key', async () => {
    const result = await verifier.verify(await signed({ query: { tracking_id: 'PKG 1/ü', limit: '5' } }));
    expect(result).toEqual({ ok: true, identity: identityOf(KEY) });
    expect(identityOf(KEY)).toEqual({
      accountId: '123456789012',
      userId: expect.stringMatching(/^AIDA[A-Z0-9]{17}$/),
      userArn: 'arn:aws:iam::123456789012:user/alice',
      accessKey: KEY.accessKeyId,
    });
  });

  it('accepts a signed POST body, repeated query parameters and an encoded path', async () => {
    const body = JSON.stringify({ tracking_id: 'A', status: 'pending' });
    const post = await signed({ method: 'POST', path: '/dev/track', body, headers: { 'content-type': 'application/json' } });
    expect((await verifier.verify(post)).ok).toBe(true);
    const repeated = await signed({ query: { a: ['2', '1'], b: 'x y' } });
    expect((await verifier.verify(repeated)).ok).toBe(true);
    expect((await verifier.verify(await signed({ path: '/dev/a%20b' }))).ok).toBe(true);
  });

  it('answers a missing Authorization header with Missing Authentication Token', async () => {
    const request = await signed();
    delete request.headers.authorization;
    expect(await verifier.verify(request)).toEqual({
      ok: false,
      responseType: 'MISSING_AUTHENTICATION_TOKEN',
      errorType: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });

  it('reports a non-SigV4 Authorization header as an incomplete signature', async () => {
    const request = await signed();
    request.headers.authorization = ['Bearer abc.def'];
    expect(await verifier.verify(request)).toMatchObject({
      errorType: 'IncompleteSignatureException',
      message: "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc.def'.",
    });
    request.headers.authorization = ['AWS4-HMAC-SHA256 Credential=x'];
    delete request.headers['x-amz-date'];
    const missing = await verifier.verify(request);
    expect(missing).toMatchObject({ errorType: 'IncompleteSignatureException' });
    expect(!missing.ok && missing.message).toBe(
      "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=x",
    );
  });

  it('refuses an unknown key and a session token it never issued', async () => {
    const unknown = await verifier.verify(await signed({}, { key: 'AKIDNOTKNOWN00000000' }));
    expect(unknown).toMatchObject({ ok: false, errorType: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    const withToken = await signed({ headers: { 'x-amz-security-token': 'token' } });
    expect(await verifier.verify(withToken)).toMatchObject({ message: 'The security token included in the request is invalid.' });
  });

  it('refuses the wrong secret, telling the canonical request and string to sign', async () => {
    const result = await verifier.verify(await signed({ query: { tracking_id: 'X' } }, { secret: 'other' }));
    expect(result).toMatchObject({ ok: false, responseType: 'INVALID_SIGNATURE', errorType: 'InvalidSignatureException' });
    const message = !result.ok ? result.message : '';
    expect(message).toMatch(/^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key/);
    expect(message).toContain("The Canonical String for this request should have been\n'GET\n/dev/status\ntracking_id=X\nhost:127.0.0.1:3000\nx-amz-content-sha256:");
    expect(message).toContain(`The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n${formatAmzDate(NOW)}\n20260115/us-west-2/execute-api/aws4_request\n`);
  });

  it('refuses a body, query or path changed after signing', async () => {
    const post = await signed({ method: 'POST', path: '/dev/track', body: '{"a":1}' });
    expect((await verifier.verify({ ...post, body: Buffer.from('{"a":2}') })).ok).toBe(false);
    const get = await signed({ query: { tracking_id: 'A' } });
    expect((await verifier.verify({ ...get, rawQuery: 'tracking_id=B' })).ok).toBe(false);
    expect((await verifier.verify({ ...get, rawPath: '/prod/status' })).ok).toBe(false);
  });

  it('refuses signatures dated more than 5 minutes away, in API Gateway words', async () => {
    const expired = await verifier.verify(await signed({}, { date: NOW - 5 * 60_000 - 1000 }));
    expect(expired).toMatchObject({
      ok: false,
      responseType: 'INVALID_SIGNATURE',
      message: 'Signature expired: 20260115T115459Z is now earlier than 20260115T115500Z (20260115T120000Z - 5 min.)',
    });
    const future = await verifier.verify(await signed({}, { date: NOW + 6 * 60_000 }));
    expect(future).toMatchObject({
      message: 'Signature not yet current: 20260115T120600Z is still later than 20260115T120500Z (20260115T120000Z + 5 min.)',
    });
    expect((await verifier.verify(await signed({}, { date: NOW - 4 * 60_000 }))).ok).toBe(true);
    expect((await verifier.verify(await signed({}, { date: NOW + 4 * 60_000 }))).ok).toBe(true);
  });

  it('refuses a credential scoped to another region or service', async () => {
    expect(await verifier.verify(await signed({}, { region: 'eu-west-1' }))).toMatchObject({
      message: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    });
    expect(await verifier.verify(await signed({}, { service: 'lambda' }))).toMatchObject({
      message: "Credential should be scoped to correct service: 'execute-api'. ",
    });
  });

  it('requires the host header to be signed', async () => {
    const request = await signed();
    request.headers.authorization = [request.headers.authorization[0].replace(/SignedHeaders=[^,]+/, 'SignedHeaders=x-amz-date')];
    expect(await verifier.verify(request)).toMatchObject({ message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." });
  });
});
