/**
 * AWS_IAM authorization as API Gateway performs it: the SigV4 `Authorization` header is parsed and
 * checked (scope: this region, service `execute-api`), the key looked up among the local
 * credentials, the date checked against the clock, and the signature recomputed with
 * @smithy/signature-v4 over the request exactly as it arrived (method, path, query, the signed
 * headers, the SHA-256 of the body). Failures carry API Gateway's own messages and error types.
 *
 * Clock skew: API Gateway accepts a signature dated up to 5 minutes from its clock, either way
 * (its answers read "Signature expired: <date> is now earlier than <date> (<now> - 5 min.)").
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  ALGORITHM_IDENTIFIER,
  AMZ_DATE_HEADER,
  AUTH_HEADER,
  GENERATED_HEADERS,
  SHA256_HEADER,
  SignatureV4,
  createScope,
  getCanonicalHeaders,
  getCanonicalQuery,
  getSigningKey,
} from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { createHash, createHmac, timingSafeEqual } from 'crypto';
import { identityOf, type CallerIdentity, type LocalCredential } from './credentials';

const DEFAULT_CLOCK_SKEW_MINUTES = 5;

/** The request as received, before any parsing that could alter what was signed. */
export interface ReceivedRequest {
  method: string;
  /** The path exactly as on the wire (percent-encoded, no query). */
  rawPath: string;
  /** The query string exactly as on the wire, without `?`. */
  rawQuery: string;
  /** Lower-cased names; repeated headers as several values. */
  headers: Record<string, string[]>;
  body: Buffer;
}

/** Which gateway response answers a failure (lib/gateway-responses.ts), and API Gateway's wording. */
export type AuthFailure = {
  ok: false;
  responseType: 'MISSING_AUTHENTICATION_TOKEN' | 'INVALID_SIGNATURE';
  /** x-amzn-ErrorType, as API Gateway sets it. */
  errorType: string;
  message: string;
  /**
   * For logs, not for the client: which part of the request made the signature fail, when the
   * verifier can tell. `date`: outside the clock skew or not the credential's date; `body`: the
   * body is not the one whose hash the client sent in x-amz-content-sha256; `headers`: a signed
   * header is missing or (Host without its port) differs; `query` / `path`: the client signed
   * another spelling of them (`+` for a space, not canonically encoded, not double-encoded...);
   * `signature`: the Signature itself is malformed (not 64 lower-case hex digits). Absent when no
   * part can be blamed (most often: the wrong secret).
   */
  differs?: 'date' | 'headers' | 'query' | 'path' | 'body' | 'signature';
};
export type AuthResult = { ok: true; identity: CallerIdentity } | AuthFailure;

export interface SigV4VerifierOptions {
  region: string;
  service?: string;
  credentials: LocalCredential[];
  accountId?: string;
  clockSkewMinutes?: number;
  /** For tests: the verifier's clock. */
  now?: () => number;
}

const MISSING_TOKEN: AuthFailure = {
  ok: false,
  responseType: 'MISSING_AUTHENTICATION_TOKEN',
  errorType: 'MissingAuthenticationTokenException',
  message: 'Missing Authentication Token',
};

const incomplete = (message: string): AuthFailure => ({
  ok: false,
  responseType: 'MISSING_AUTHENTICATION_TOKEN',
  errorType: 'IncompleteSignatureException',
  message,
});

const invalid = (
  message: string,
  errorType = 'InvalidSignatureException',
  differs?: AuthFailure['differs'],
): AuthFailure => ({
  ok: false,
  responseType: 'INVALID_SIGNATURE',
  errorType,
  message,
  ...(differs && { differs }),
});

/** `20240102T030405Z` <-> Date. */
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
function parseAmzDate(value: string): number | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Parses the query string the way SigV4 canonicalises it: decoded names and values, repeats kept. */
function parseQuery(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  if (!rawQuery) return query;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const at = pair.indexOf('=');
    const key = decode(at < 0 ? pair : pair.slice(0, at));
    const value = at < 0 ? '' : decode(pair.slice(at + 1));
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else query[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

/** Splits `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` as AWS does. */
function parseAuthorization(header: string): { fields: Record<string, string> } | { failure: AuthFailure } {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const rest = space < 0 ? '' : trimmed.slice(space + 1);
  const fields: Record<string, string> = {};
  for (const part of rest
    .split(/,\s*/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = part.indexOf('=');
    if (at < 0) {
      return {
        failure: incomplete(
          `'${part}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`,
        ),
      };
    }
    fields[part.slice(0, at)] = part.slice(at + 1);
  }
  return { fields };
}

export class SigV4Verifier {
  private readonly region: string;
  private readonly service: string;
  private readonly accountId?: string;
  private readonly skewMs: number;
  private readonly skewMinutes: number;
  private readonly now: () => number;
  private readonly keys: Map<string, LocalCredential>;

  constructor(options: SigV4VerifierOptions) {
    this.region = options.region;
    this.service = options.service ?? 'execute-api';
    this.accountId = options.accountId;
    this.skewMinutes = options.clockSkewMinutes ?? DEFAULT_CLOCK_SKEW_MINUTES;
    this.skewMs = this.skewMinutes * 60_000;
    this.now = options.now ?? Date.now;
    this.keys = new Map(options.credentials.map((c) => [c.accessKeyId, c]));
  }

  async verify(request: ReceivedRequest): Promise<AuthResult> {
    const header = (name: string) => request.headers[name]?.join(',');
    const authorization = header('authorization');
    if (authorization === undefined || authorization.trim() === '') return MISSING_TOKEN;

    const parsed = parseAuthorization(authorization);
    if ('failure' in parsed) return parsed.failure;
    const { fields } = parsed;
    const amzDate = header('x-amz-date');
    const dateHeader = header('date');
    const missing = [
      fields.Credential === undefined && "Authorization header requires 'Credential' parameter.",
      fields.Signature === undefined && "Authorization header requires 'Signature' parameter.",
      fields.SignedHeaders === undefined && "Authorization header requires 'SignedHeaders' parameter.",
      amzDate === undefined &&
        dateHeader === undefined &&
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    ].filter(Boolean);
    if (missing.length) return incomplete(`${missing.join(' ')} Authorization=${authorization}`);
    if (!authorization.trim().startsWith(`${ALGORITHM_IDENTIFIER} `)) {
      return incomplete(`Unsupported AWS 'algorithm': '${authorization.trim().split(' ')[0]}'`);
    }

    const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator, ...extra] = fields.Credential.split('/');
    if (extra.length || terminator === undefined) {
      return incomplete(`Credential should be scoped to a valid region. Authorization=${authorization}`);
    }
    if (terminator !== 'aws4_request') {
      return invalid(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `);
    }
    if (scopeService !== this.service) {
      return invalid(`Credential should be scoped to correct service: '${this.service}'. `);
    }
    if (scopeRegion !== this.region) {
      return invalid(`Credential should be scoped to a valid region, not '${scopeRegion}'. `);
    }

    const credential = this.keys.get(accessKeyId);
    // Local keys carry no session; a token means credentials this gateway never issued.
    if (!credential || header('x-amz-security-token') !== undefined) {
      return invalid('The security token included in the request is invalid.', 'UnrecognizedClientException');
    }

    const signedAt = amzDate !== undefined ? parseAmzDate(amzDate) : Date.parse(dateHeader ?? '');
    if (signedAt === undefined || Number.isNaN(signedAt)) {
      const got = amzDate ?? dateHeader;
      return incomplete(
        `Date must be in ISO-8601 'basic format'. Got '${got}'. See http://en.wikipedia.org/wiki/ISO_8601`,
      );
    }
    const longDate = formatAmzDate(signedAt);
    if (scopeDate !== longDate.slice(0, 8)) {
      return invalid(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${longDate.slice(0, 8)}', from '${longDate}'.`,
        undefined,
        'date',
      );
    }
    const now = this.now();
    if (signedAt < now - this.skewMs) {
      return invalid(
        `Signature expired: ${longDate} is now earlier than ${formatAmzDate(now - this.skewMs)} (${formatAmzDate(now)} - ${this.skewMinutes} min.)`,
        undefined,
        'date',
      );
    }
    if (signedAt > now + this.skewMs) {
      return invalid(
        `Signature not yet current: ${longDate} is still later than ${formatAmzDate(now + this.skewMs)} (${formatAmzDate(now)} + ${this.skewMinutes} min.)`,
        undefined,
        'date',
      );
    }

    const signedHeaders = fields.SignedHeaders.split(';')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    if (!signedHeaders.includes('host')) {
      return invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
    const signing: Signing = { request, credential, signedHeaders, signedAt, longDate, shortDate: scopeDate };
    const expected = await this.expectedSignature(signing);
    if (!sameSignature(fields.Signature, expected)) {
      const canonicalRequest = canonicalRequestOf(canonicalParts(signing));
      const stringToSign = this.stringToSign(signing, canonicalRequest);
      return invalid(
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. ' +
          'Consult the service documentation for details.\n\n' +
          `The Canonical String for this request should have been\n'${canonicalRequest}'\n\n` +
          `The String-to-Sign should have been\n'${stringToSign}'\n`,
        undefined,
        await this.whatDiffers(signing, fields.Signature),
      );
    }
    return { ok: true, identity: identityOf(credential, this.accountId) };
  }

  /**
   * The signature the holder of the key would have sent. @smithy/signature-v4's public `sign()`
   * recomputes it (the same code AWS SDK clients sign with) over a copy of the request carrying
   * exactly the signed headers, dated X-Amz-Date. `sign()` always signs X-Amz-Date as it sets it,
   * drops `date`, and takes the payload hash from x-amz-content-sha256 when that header is there;
   * a request it cannot reproduce for these reasons (signed with Date, an X-Amz-Date spelled
   * otherwise, x-amz-content-sha256 not the body's hash) is checked over the canonical request built
   * here instead, which hashes the body as received, as API Gateway does.
   */
  private async expectedSignature(signing: Signing): Promise<string> {
    const { request, signedHeaders, longDate } = signing;
    const signed = new Set(signedHeaders);
    const sent = (name: string) => request.headers[name]?.join(',');
    const reproducible =
      GENERATED_HEADERS.every((name) => !signed.has(name) || (name === AMZ_DATE_HEADER && sent(name) === longDate)) &&
      (!signed.has(SHA256_HEADER) || sent(SHA256_HEADER) === bodyHash(request.body));
    if (reproducible) {
      const signer = new SignatureV4({
        service: this.service,
        region: this.region,
        credentials: {
          accessKeyId: signing.credential.accessKeyId,
          secretAccessKey: signing.credential.secretAccessKey,
        },
        sha256: Sha256,
        applyChecksum: false,
      });
      const result = await signer.sign(signedCopy(signing), {
        signingDate: new Date(signing.signedAt),
        signableHeaders: signed,
        unsignableHeaders: signed.has(AMZ_DATE_HEADER) ? undefined : new Set([AMZ_DATE_HEADER]),
      });
      const produced = /SignedHeaders=([^,\s]*), Signature=([0-9a-f]+)$/.exec(result.headers[AUTH_HEADER] ?? '');
      // Signed over other headers than the client listed (a future change of what sign() signs):
      // fall through to the canonical request built here.
      if (produced && produced[1] === [...signed].sort().join(';')) return produced[2];
    }
    return this.signatureOf(signing, canonicalRequestOf(canonicalParts(signing)));
  }

  private stringToSign(signing: Signing, canonicalRequest: string): string {
    const scope = createScope(signing.shortDate, this.region, this.service);
    return `${ALGORITHM_IDENTIFIER}\n${signing.longDate}\n${scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  }

  private async signatureOf(signing: Signing, canonicalRequest: string): Promise<string> {
    const key = await getSigningKey(Sha256, signing.credential, signing.shortDate, this.region, this.service);
    return createHmac('sha256', key).update(this.stringToSign(signing, canonicalRequest)).digest('hex');
  }

  /**
   * Which part of a request whose signature did not match is to blame, when that can be told: what
   * the request itself says (a malformed signature, a body not the one hashed in
   * x-amz-content-sha256, a signed header that never arrived), else the first spelling of the
   * query, the path or the Host header that the client's signature does match.
   */
  private async whatDiffers(signing: Signing, provided: string): Promise<AuthFailure['differs']> {
    const { request } = signing;
    if (!/^[0-9a-f]{64}$/.test(provided)) return 'signature';
    const payloadHash = request.headers[SHA256_HEADER]?.join(',');
    if (payloadHash !== undefined && payloadHash !== bodyHash(request.body)) return 'body';
    if (signing.signedHeaders.some((name) => request.headers[name] === undefined)) return 'headers';

    const parts = canonicalParts(signing);
    const matches = async (variant: Partial<CanonicalParts>) =>
      sameSignature(provided, await this.signatureOf(signing, canonicalRequestOf({ ...parts, ...variant })));
    const rawQuery = request.rawQuery.split('&').filter(Boolean);
    const queries = [
      getCanonicalQuery({ ...signedCopy(signing), query: parseQuery(request.rawQuery.replace(/\+/g, '%20')) }), // `+` as a space
      rawQuery.join('&'), // as sent, not re-encoded
      [...rawQuery].sort().join('&'), // sorted, not re-encoded
    ];
    for (const query of new Set(queries)) {
      if (query !== parts.query && (await matches({ query }))) return 'query';
    }
    const paths = [
      normalisePath(request.rawPath), // encoded once, not twice (as for S3)
      canonicalUri(decodeOr(request.rawPath)), // the decoded path, encoded twice
      canonicalUri(request.rawPath.endsWith('/') ? request.rawPath.replace(/\/+$/, '') : `${request.rawPath}/`),
    ];
    for (const uri of new Set(paths)) {
      if (uri !== parts.uri && (await matches({ uri }))) return 'path';
    }
    const host = parts.headers.host?.replace(/:\d+$/, '');
    if (host !== undefined && host !== parts.headers.host && (await matches({ headers: { ...parts.headers, host } }))) {
      return 'headers';
    }
    return undefined;
  }
}

/** What the verifier knows once the Authorization header checks out. */
interface Signing {
  request: ReceivedRequest;
  credential: LocalCredential;
  /** As listed in SignedHeaders, lower-cased. */
  signedHeaders: string[];
  signedAt: number;
  longDate: string;
  shortDate: string;
}

/** The request as @smithy/signature-v4 takes it: the signed headers only, each as received. */
function signedCopy({ request, signedHeaders }: Signing): HttpRequest {
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = request.headers[name]?.join(',') ?? '';
  return {
    method: request.method,
    protocol: 'http:',
    hostname: headers.host ?? '',
    path: request.rawPath,
    query: parseQuery(request.rawQuery),
    headers,
    body: request.body,
  };
}

interface CanonicalParts {
  method: string;
  uri: string;
  query: string;
  headers: Record<string, string>;
  payloadHash: string;
}

/** The canonical request's parts, over the request as received (the body hashed as it arrived). */
function canonicalParts(signing: Signing): CanonicalParts {
  const copy = signedCopy(signing);
  const headers = getCanonicalHeaders(copy, undefined, new Set(signing.signedHeaders));
  for (const name of signing.signedHeaders) headers[name] ??= '';
  return {
    method: copy.method,
    uri: canonicalUri(copy.path),
    query: getCanonicalQuery(copy),
    headers,
    payloadHash: bodyHash(signing.request.body),
  };
}

function canonicalRequestOf({ method, uri, query, headers, payloadHash }: CanonicalParts): string {
  const names = Object.keys(headers).sort();
  return `${method}\n${uri}\n${query}\n${names.map((name) => `${name}:${headers[name]}`).join('\n')}\n\n${names.join(';')}\n${payloadHash}`;
}

/*
 * The canonical URI. @smithy/signature-v4 exports no step for it (SignatureV4Base#getCanonicalPath
 * is private), so it is written out here, as that method does it: empty and `.` segments dropped,
 * `..` applied, then the path URI-encoded once more (SigV4 double-encodes for every service but S3).
 * Only the error message and the requests sign() cannot reproduce depend on it; the tests check it
 * against what the SDK signs.
 */
function normalisePath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${trailing}`;
}
function canonicalUri(path: string): string {
  return escapeUri(normalisePath(path)).replace(/%2F/g, '/');
}
/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves `!'()*` alone). */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
function decodeOr(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function bodyHash(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

function sameSignature(provided: string, expected: string): boolean {
  const a = Buffer.from(provided);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
