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
  SignatureV4,
  createScope,
  getCanonicalHeaders,
  getSigningKey,
} from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { createHash, timingSafeEqual } from 'crypto';
import { identityOf, type CallerIdentity, type LocalCredential } from './credentials';

export const DEFAULT_CLOCK_SKEW_MINUTES = 5;

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

/** Exposes the canonical-request steps of @smithy/signature-v4 (protected there) to the verifier. */
class CanonicalSigner extends SignatureV4 {
  canonicalRequest(request: HttpRequest, canonicalHeaders: Record<string, string>, payloadHash: string): string {
    return this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
  }
  stringToSign(longDate: string, scope: string, canonicalRequest: string): Promise<string> {
    return this.createStringToSign(longDate, scope, canonicalRequest, ALGORITHM_IDENTIFIER);
  }
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

const invalid = (message: string, errorType = 'InvalidSignatureException'): AuthFailure => ({
  ok: false,
  responseType: 'INVALID_SIGNATURE',
  errorType,
  message,
});

/** `20240102T030405Z` <-> Date. */
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
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
  for (const part of rest.split(/,\s*/).map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf('=');
    if (at < 0) {
      return { failure: incomplete(`'${part}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`) };
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
      amzDate === undefined && dateHeader === undefined &&
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
      return incomplete(`Date must be in ISO-8601 'basic format'. Got '${got}'. See http://en.wikipedia.org/wiki/ISO_8601`);
    }
    const longDate = formatAmzDate(signedAt);
    if (scopeDate !== longDate.slice(0, 8)) {
      return invalid(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${longDate.slice(0, 8)}', from '${longDate}'.`,
      );
    }
    const now = this.now();
    if (signedAt < now - this.skewMs) {
      return invalid(
        `Signature expired: ${longDate} is now earlier than ${formatAmzDate(now - this.skewMs)} (${formatAmzDate(now)} - ${this.skewMinutes} min.)`,
      );
    }
    if (signedAt > now + this.skewMs) {
      return invalid(
        `Signature not yet current: ${longDate} is still later than ${formatAmzDate(now + this.skewMs)} (${formatAmzDate(now)} + ${this.skewMinutes} min.)`,
      );
    }

    const signedHeaders = fields.SignedHeaders.split(';').map((h) => h.trim().toLowerCase()).filter(Boolean);
    if (!signedHeaders.includes('host')) {
      return invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
    const expected = await this.sign(request, credential, signedHeaders, longDate, scopeDate);
    const provided = Buffer.from(fields.Signature);
    const wanted = Buffer.from(expected.signature);
    if (provided.length !== wanted.length || !timingSafeEqual(provided, wanted)) {
      return invalid(
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. ' +
          'Consult the service documentation for details.\n\n' +
          `The Canonical String for this request should have been\n'${expected.canonicalRequest}'\n\n` +
          `The String-to-Sign should have been\n'${expected.stringToSign}'\n`,
      );
    }
    return { ok: true, identity: identityOf(credential, this.accountId) };
  }

  /** Recomputes the signature of the request as received, with the holder's secret. */
  private async sign(
    request: ReceivedRequest,
    credential: LocalCredential,
    signedHeaders: string[],
    longDate: string,
    shortDate: string,
  ): Promise<{ signature: string; canonicalRequest: string; stringToSign: string }> {
    const signer = new CanonicalSigner({
      service: this.service,
      region: this.region,
      credentials: credential,
      sha256: Sha256,
      applyChecksum: false,
    });
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) headers[name] = request.headers[name]?.join(',') ?? '';
    const httpRequest: HttpRequest = {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      path: request.rawPath,
      query: parseQuery(request.rawQuery),
      headers,
      body: request.body,
    };
    const canonicalHeaders = getCanonicalHeaders(httpRequest, undefined, new Set(signedHeaders));
    for (const name of signedHeaders) canonicalHeaders[name] ??= '';
    const payloadHash = createHash('sha256').update(request.body).digest('hex');
    const canonicalRequest = signer.canonicalRequest(httpRequest, canonicalHeaders, payloadHash);
    const scope = createScope(shortDate, this.region, this.service);
    const stringToSign = await signer.stringToSign(longDate, scope, canonicalRequest);
    const key = await getSigningKey(Sha256, credential, shortDate, this.region, this.service);
    const hmac = new Sha256(key);
    hmac.update(stringToSign);
    const signature = Buffer.from(await hmac.digest()).toString('hex');
    return { signature, canonicalRequest, stringToSign };
  }
}
