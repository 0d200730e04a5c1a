/**
 * Every gateway response template stays valid JSON in the error shape whatever message API Gateway
 * substitutes: each real message of the validator table (local/gateway/validator-messages.ts) and
 * some nasty ones. And the escaping is what makes it so: inserted raw, as the execution log shows
 * the report, a message with quotes breaks the JSON.
 */
import {
  GATEWAY_RESPONSES,
  gatewayResponse,
  gatewayResponseTemplate,
  renderGatewayResponse,
  type GatewayErrorContext,
  type GatewayErrorResponse,
} from '../../lib/gateway-responses';
import { MESSAGES, VALIDATOR_MESSAGES, validationReport } from '../../local/gateway/validator-messages';

const REQUEST_ID = '3f2c1a9e-7b4d-4e2a-9c1f-0d8e6b5a4c3b';

const NASTY = [
  'a "quoted" word',
  'back\\slash, \\" an escaped quote, \\\\ two, \\u0041 an escape that is not one',
  '[brackets] ]] [[ {"braces": ["and", 1]} }',
  MESSAGES.pattern('^[^\\u0000-\\u001F\\u007F]+$', 'line\nbreak and\ttab'),
  MESSAGES.minLength('a "nested" \\ input\r\n', 200),
  "replacement patterns $& $1 $$ $` $' $<name>",
  'unicode: 📦 ü ✓ 中文 \u2028 \u2029 \u0000 \u007f \ud800 (lone surrogate)',
  MESSAGES.enum('"}', ['"]']),
  '',
];

const MESSAGES_UNDER_TEST = [
  ...Object.values(VALIDATOR_MESSAGES).map((row) => row.example),
  // the body report wraps messages in a list
  ...Object.values(VALIDATOR_MESSAGES).map((row) => validationReport([row.example])),
  validationReport(Object.values(VALIDATOR_MESSAGES).map((row) => row.example)),
  ...NASTY,
];

/** Where each response with details takes its message from. */
const DETAILS_MESSAGE: Record<string, (context: GatewayErrorContext) => string | undefined> = {
  BAD_REQUEST_BODY: (context) => context.validationError,
  BAD_REQUEST_PARAMETERS: (context) => context.message,
};

/** The error shape, exactly: {error: string, details?: [{field, message}], request_id: string}. */
function expectErrorShape(body: unknown): asserts body is { error: string; details?: unknown[]; request_id: string } {
  expect(body).toEqual(expect.any(Object));
  const keys = Object.keys(body as object).sort();
  expect([
    ['error', 'request_id'],
    ['details', 'error', 'request_id'],
  ]).toContainEqual(keys);
  const { error, details, request_id } = body as Record<string, unknown>;
  expect([typeof error, typeof request_id]).toEqual(['string', 'string']);
  if (details !== undefined) {
    expect(Array.isArray(details)).toBe(true);
    for (const detail of details as unknown[]) {
      expect(Object.keys(detail as object).sort()).toEqual(['field', 'message']);
      expect(detail).toEqual({ field: expect.any(String), message: expect.any(String) });
    }
  }
}

function render(response: GatewayErrorResponse, message: string) {
  // messageString and validationErrorString differ, so the test sees which one a template uses
  const context: GatewayErrorContext = { message, validationError: validationReport([message]), requestId: REQUEST_ID };
  return { context, text: renderGatewayResponse(response, context) };
}

describe.each(GATEWAY_RESPONSES.map((response) => [response.type, response] as const))(
  'gateway response %s',
  (type, response) => {
    it('renders every table message and every nasty one as JSON in the error shape', () => {
      for (const message of MESSAGES_UNDER_TEST) {
        const { context, text } = render(response, message);
        let body: unknown;
        expect(() => (body = JSON.parse(text))).not.toThrow();
        expectErrorShape(body);
        expect(body.request_id).toBe(REQUEST_ID);
        expect(body.error).toBe(response.error ?? message);
        if (response.details) {
          expect(Object.keys(DETAILS_MESSAGE)).toContain(type);
          expect(body.details).toEqual([{ field: response.details.field, message: DETAILS_MESSAGE[type](context) }]);
        } else {
          expect(body.details).toBeUndefined();
        }
      }
    });
  },
);

describe('gateway response escaping', () => {
  const BODY = gatewayResponse('BAD_REQUEST_BODY');
  const PARAMETERS = gatewayResponse('BAD_REQUEST_PARAMETERS');
  const withQuotes = validationReport([VALIDATOR_MESSAGES.pattern.example]);

  /** The template with the values inserted as they are, the way the execution log prints them. */
  const unescaped = (response: GatewayErrorResponse, context: GatewayErrorContext) =>
    gatewayResponseTemplate(response)
      .replaceAll('$context.error.messageString', () => context.message)
      .replaceAll('$context.error.validationErrorString', () => context.validationError ?? '')
      .replaceAll('$context.requestId', () => context.requestId);

  it('gives BAD_REQUEST_BODY and BAD_REQUEST_PARAMETERS details', () => {
    expect(GATEWAY_RESPONSES.filter((r) => r.details).map((r) => r.type)).toEqual(Object.keys(DETAILS_MESSAGE));
  });

  it('would break the JSON if validationErrorString were inserted unescaped (a message with quotes)', () => {
    const context = { message: 'Invalid request body', validationError: withQuotes, requestId: REQUEST_ID };
    expect(withQuotes).toContain('"');
    expect(() => JSON.parse(unescaped(BODY, context))).toThrow(SyntaxError);
    expect(JSON.parse(renderGatewayResponse(BODY, context)).details[0].message).toBe(withQuotes);
    // without quotes or backslashes the raw insertion happens to parse: it is the escaping that matters
    const plain = { ...context, validationError: validationReport([VALIDATOR_MESSAGES.unparseable.example]) };
    expect(JSON.parse(unescaped(BODY, plain)).details[0].message).toBe(plain.validationError);
  });

  it('would break the JSON if messageString were inserted without its quotes', () => {
    const message = VALIDATOR_MESSAGES.missingParameters.example;
    const context = { message, validationError: message, requestId: REQUEST_ID };
    expect(() => JSON.parse(unescaped(PARAMETERS, context))).toThrow(SyntaxError);
    expect(JSON.parse(renderGatewayResponse(PARAMETERS, context)).error).toBe(message);
  });

  // A value is substituted once: `$context...` text inside a message (a client's tracking_id can carry
  // it into a pattern message) must stay as it is (renderGatewayResponse substitutes in one pass).
  it('leaves $context variables inside a substituted value alone', () => {
    const message = MESSAGES.pattern('^x$', '$context.requestId');
    const { context, text } = render(BODY, message);
    expect(JSON.parse(text).details[0].message).toBe(context.validationError);
  });
});
