/**
 * A small SigV4 HTTP client for the end-to-end suite (and the local API's own tests): signs like an
 * AWS SDK would (@smithy/signature-v4, service execute-api), sends with node:http(s) so nothing
 * rewrites the signed headers, and can sign wrongly on purpose (other secret, old date, no signature).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { execFile } from 'child_process';
import * as http from 'http';
import * as https from 'https';

export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: Record<string, unknown> & { error?: string; details?: unknown[]; request_id?: string };
}

interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'PATCH' | 'OPTIONS';
  /** Path below the stage URL, e.g. `/track`. */
  path: string;
  query?: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
  /** false: send unsigned. */
  sign?: boolean;
  /** Sign with these instead of the target's credentials. */
  credentials?: AwsCredentialIdentity;
  /** Sign as of this time (an old date makes an expired signature). */
  signingDate?: Date;
  /** Change the body after signing (a tampered request). */
  tamperBody?: string;
  /** Retry 429 answers (a throttled stage) with backoff, as an SDK would; default true. */
  retryThrottled?: boolean;
}

export interface ApiClient {
  stageUrl: string;
  region: string;
  credentials(): Promise<AwsCredentialIdentity>;
  request(options: RequestOptions): Promise<ApiResponse>;
}

function send(url: URL, method: string, headers: Record<string, string>, body?: string): Promise<ApiResponse> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: ApiResponse['json'];
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined as unknown as ApiResponse['json'];
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function apiClient(
  stageUrl: string,
  region: string,
  credentials: () => Promise<AwsCredentialIdentity>,
): ApiClient {
  const base = new URL(stageUrl.replace(/\/$/, ''));

  const once = async (options: RequestOptions): Promise<ApiResponse> => {
    const url = new URL(base.href + options.path);
    // RFC 3986 encoding (%20, not '+'), as SigV4 canonicalises it and AWS SDKs send it.
    url.search = Object.entries(options.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    const headers: Record<string, string> = { host: url.host, ...(options.headers ?? {}) };
    if (options.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    if (options.sign !== false) {
      const signer = new SignatureV4({
        service: 'execute-api',
        region,
        credentials: options.credentials ?? (await credentials()),
        sha256: Sha256,
      });
      const query: Record<string, string> = { ...(options.query ?? {}) };
      const signed = await signer.sign(
        {
          method: options.method,
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port ? Number(url.port) : undefined,
          path: url.pathname,
          query,
          headers,
          body: options.body,
        },
        { signingDate: options.signingDate },
      );
      Object.assign(headers, signed.headers);
    }
    const body = options.tamperBody ?? options.body;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return send(url, options.method, headers, body);
  };

  return {
    stageUrl: base.href,
    region,
    credentials,
    async request(options) {
      for (let attempt = 0; ; attempt++) {
        const response = await once(options);
        if (response.status !== 429 || options.retryThrottled === false || attempt >= 8) return response;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt * (0.5 + Math.random())));
      }
    },
  };
}

/** True when a curl with `--aws-sigv4` (7.75+) is installed. */
export function curlWithSigV4Available(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('curl', ['--version'], (error, stdout) => {
      const [major, minor] = (/^curl (\d+)\.(\d+)/.exec(stdout ?? '') ?? []).slice(1).map(Number);
      resolve(!error && (major > 7 || (major === 7 && minor >= 75)));
    });
  });
}
