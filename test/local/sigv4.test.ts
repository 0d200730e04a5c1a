/** The local API's AWS_IAM check against requests signed as AWS SDKs sign them. */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4, getSigningKey } from '@smithy/signature-v4';
import { createHash, createHmac } from 'crypto';
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
async function signed(
  request: Unsigned = {},
  opts: { date?: number; secret?: string; region?: string; service?: string; key?: string } = {},
): Promise<ReceivedRequest> {
  const signer = new SignatureV4({
    service: opts.service ?? 'execute-api',
    region: opts.region ?? 'us-west-2',
    credentials: { accessKeyId: opts.key ?? KEY.accessKeyId, secretAccessKey: opts.secret ?? KEY.secretAccessKey },
    sha256: Sha256,
  });
  const path = request.path ?? '/dev/status';
  const headers = { host: '127.0.0.1:3000', ...(request.headers ?? {}) };
  const out = await signer.sign(
    {
      method: request.method ?? 'GET',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 3000,
      path,
      query: request.query ?? {},
      headers,
      body: request.body,
    },
    { signingDate: new Date(opts.date ?? NOW) },
  );
  const rawQuery = Object.entries(request.query ?? {})
    .flatMap(([k, v]) => ([] as string[]).concat(v).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
    .join('&');
  const received: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(out.headers)) received[k.toLowerCase()] = [String(v)];
  return {
    method: request.method ?? 'GET',
    rawPath: path,
    rawQuery,
    headers: received,
    body: Buffer.from(request.body ?? ''),
  };
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
    const post = await signed({
      method: 'POST',
      path: '/dev/track',
      body,
      headers: { 'content-type': 'application/json' },
    });
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
    expect(unknown).toMatchObject({
      ok: false,
      errorType: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    const withToken = await signed({ headers: { 'x-amz-security-token': 'token' } });
    expect(await verifier.verify(withToken)).toMatchObject({
      message: 'The security token included in the request is invalid.',
    });
  });

  it('refuses the wrong secret, telling the canonical request and string to sign', async () => {
    const result = await verifier.verify(await signed({ query: { tracking_id: 'X' } }, { secret: 'other' }));
    expect(result).toMatchObject({
      ok: false,
      responseType: 'INVALID_SIGNATURE',
      errorType: 'InvalidSignatureException',
    });
    const message = !result.ok ? result.message : '';
    expect(message).toMatch(
      /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key/,
    );
    expect(message).toContain(
      "The Canonical String for this request should have been\n'GET\n/dev/status\ntracking_id=X\nhost:127.0.0.1:3000\nx-amz-content-sha256:",
    );
    expect(message).toContain(
      `The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n${formatAmzDate(NOW)}\n20260115/us-west-2/execute-api/aws4_request\n`,
    );
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
      message:
        'Signature not yet current: 20260115T120600Z is still later than 20260115T120500Z (20260115T120000Z + 5 min.)',
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
    request.headers.authorization = [
      request.headers.authorization[0].replace(/SignedHeaders=[^,]+/, 'SignedHeaders=x-amz-date'),
    ];
    expect(await verifier.verify(request)).toMatchObject({
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    });
  });

  it('recomputes the signature with the public SignatureV4#sign(), over exactly the signed headers', async () => {
    const request = await signed({
      method: 'POST',
      path: '/dev/track',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    request.headers['user-agent'] = ['not-signed/1.0'];
    const sign = jest.spyOn(SignatureV4.prototype, 'sign');
    try {
      expect((await verifier.verify(request)).ok).toBe(true);
      expect(sign).toHaveBeenCalledTimes(1);
      const [copy, options] = sign.mock.calls[0] as unknown as [
        { headers: Record<string, string> },
        { signingDate: Date },
      ];
      expect(Object.keys(copy.headers).sort()).toEqual(['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date']);
      expect(options.signingDate).toEqual(new Date(NOW));
    } finally {
      sign.mockRestore();
    }
  });

  it('tells the canonical request and string to sign the SDK signed, for encoded paths, dot segments, queries and bodies', async () => {
    const key = await getSigningKey(Sha256, KEY, '20260115', 'us-west-2', 'execute-api');
    const shapes: Unsigned[] = [
      { query: { tracking_id: 'PKG 1/ü', limit: '5', empty: '' } },
      { query: { a: ['2', '1', '10'], 'k*y': "it's (x)!" } },
      { path: '/dev/a%20b' },
      { path: "/dev/it's(1)*~" },
      { path: '/dev/./x/../status/' },
      {
        method: 'POST',
        path: '/dev/track',
        body: '{"tracking_id":"A"}',
        headers: { 'content-type': 'application/json', 'x-extra': '  a   b  ' },
      },
    ];
    for (const shape of shapes) {
      const request = await signed(shape);
      const signature = /Signature=([0-9a-f]{64})$/.exec(request.headers.authorization[0])![1];
      expect((await verifier.verify(request)).ok).toBe(true);
      request.headers.authorization = [request.headers.authorization[0].replace(signature, '0'.repeat(64))];
      const result = await verifier.verify(request);
      const message = !result.ok ? result.message : '';
      const canonical = /The Canonical String for this request should have been\n'([^']*)'/.exec(message)![1];
      const stringToSign = /The String-to-Sign should have been\n'([^']*)'/.exec(message)![1];
      expect(stringToSign.split('\n').pop()).toBe(createHash('sha256').update(canonical).digest('hex'));
      // The string to sign told is the one whose HMAC the SDK sent.
      expect(createHmac('sha256', key).update(stringToSign).digest('hex')).toBe(signature);
    }
  });

  it('accepts a request signed with the Date header instead of X-Amz-Date', async () => {
    const date = new Date(NOW + 60_000).toUTCString();
    const payloadHash = createHash('sha256').update('').digest('hex');
    const canonical = `GET\n/dev/status\nlimit=5\ndate:${date}\nhost:127.0.0.1:3000\n\ndate;host\n${payloadHash}`;
    const stringToSign = `AWS4-HMAC-SHA256\n20260115T120100Z\n20260115/us-west-2/execute-api/aws4_request\n${createHash('sha256').update(canonical).digest('hex')}`;
    const key = await getSigningKey(Sha256, KEY, '20260115', 'us-west-2', 'execute-api');
    const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
    const request: ReceivedRequest = {
      method: 'GET',
      rawPath: '/dev/status',
      rawQuery: 'limit=5',
      headers: {
        host: ['127.0.0.1:3000'],
        date: [date],
        authorization: [
          `AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/20260115/us-west-2/execute-api/aws4_request, SignedHeaders=date;host, Signature=${signature}`,
        ],
      },
      body: Buffer.alloc(0),
    };
    expect(await verifier.verify(request)).toEqual({ ok: true, identity: identityOf(KEY) });
    expect(await verifier.verify({ ...request, rawQuery: 'limit=6' })).toMatchObject({
      ok: false,
      errorType: 'InvalidSignatureException',
    });
  });

  it('names the part of the request that made the signature differ (differs), for the logs', async () => {
    const differs = async (request: ReceivedRequest) => {
      const result = await verifier.verify(request);
      expect(result).toMatchObject({ ok: false, responseType: 'INVALID_SIGNATURE' });
      return !result.ok ? result.differs : 'accepted';
    };
    const post = await signed({ method: 'POST', path: '/dev/track', body: '{"a":1}' });
    expect(await differs({ ...post, body: Buffer.from('{"a":2}') })).toBe('body');

    // Signed with a space, sent with `+` (as URLSearchParams writes it).
    const spaced = await signed({ query: { b: 'x y' } });
    expect(spaced.rawQuery).toBe('b=x%20y');
    expect(await differs({ ...spaced, rawQuery: 'b=x+y' })).toBe('query');

    // Signed as the decoded path '/dev/a b', received encoded.
    expect(await differs({ ...(await signed({ path: '/dev/a b' })), rawPath: '/dev/a%20b' })).toBe('path');

    const portless = await signed({ headers: { host: '127.0.0.1' } });
    expect(await differs({ ...portless, headers: { ...portless.headers, host: ['127.0.0.1:3000'] } })).toBe('headers');
    const custom = await signed({ headers: { 'x-custom': 'v' } });
    delete custom.headers['x-custom'];
    expect(await differs(custom)).toBe('headers');

    const upper = await signed();
    upper.headers.authorization = [
      upper.headers.authorization[0].replace(/Signature=(\w+)$/, (_, sig: string) => `Signature=${sig.toUpperCase()}`),
    ];
    expect(await differs(upper)).toBe('signature');

    expect(await differs(await signed({}, { date: NOW - 10 * 60_000 }))).toBe('date');

    // A wrong secret leaves every part of the request as signed: nothing to blame but the key.
    const wrongSecret = await verifier.verify(await signed({ query: { tracking_id: 'X' } }, { secret: 'other' }));
    expect(wrongSecret.ok).toBe(false);
    expect(wrongSecret).not.toHaveProperty('differs');
    expect(await verifier.verify(await signed())).not.toHaveProperty('differs');
  });
});
