/**
 * What API Gateway's request validator says, word for word: the one place its wording lives, as data
 * (the template, a real message, where it was seen) and one function per keyword that fills it.
 *
 * What API Gateway runs: bodies are validated by java-json-tools/json-schema-validator (fge), whose
 * message bundle holds the templates:
 * https://github.com/java-json-tools/json-schema-validator/blob/d265c6b15ca47a820de4a9d2f3de3b884c0a4b68/src/main/resources/com/github/fge/jsonschema/validator/validation.properties
 *
 * How it walks an instance (InstanceValidator.java, ValidatorBuilder.java and SchemaDigester.java at
 * the same commit):
 * https://github.com/java-json-tools/json-schema-validator/blob/d265c6b15ca47a820de4a9d2f3de3b884c0a4b68/src/main/java/com/github/fge/jsonschema/processors/validation/InstanceValidator.java
 * https://github.com/java-json-tools/json-schema-validator/blob/d265c6b15ca47a820de4a9d2f3de3b884c0a4b68/src/main/java/com/github/fge/jsonschema/processors/build/ValidatorBuilder.java
 * - at each instance node, every keyword of that node's schema that applies to the instance's type runs
 *   (minimum on a string is skipped), in keyword-name order (a TreeMap: Java String order, so
 *   additionalProperties, enum, maxItems, maxLength, maxProperties, maximum, minItems, minLength,
 *   minimum, pattern, required, type);
 * - then, only while the report of the whole validation holds no error, it descends: object members
 *   in sorted name order, array items in index order. Once anything failed no container is entered
 *   again, but the keywords of each later sibling still run (they belong to that sibling's node).
 * - the report (validationErrorString) is the messages joined as `[m1, m2]`: no JSON pointer, no path.
 *
 * Escaping: in a gateway response API Gateway substitutes validationErrorString JSON-escaped (`\"`,
 * `\\`) but without quotes of its own, and messageString as a quoted JSON string; the execution log
 * shows both raw. Gateway response templates are not VTL, only `$context` substitution:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html
 * (lib/gateway-responses.ts renders them that way).
 */

/** The body keywords the validator reports on (the ones our models use; request-validator.ts refuses others). */
type BodyKeyword =
  | 'additionalProperties'
  | 'enum'
  | 'maxItems'
  | 'maxLength'
  | 'maxProperties'
  | 'maximum'
  | 'minItems'
  | 'minLength'
  | 'minimum'
  | 'pattern'
  | 'required'
  | 'type';

export interface ValidatorMessage {
  /** `%s` / `%d` are filled in order (java-json-tools' format strings). */
  template: string;
  /** A real message as API Gateway wrote it (unescaped, as the execution log shows it). */
  example: string;
  /** Where `example` was seen: a URL, an unidentified public source, or `no source found: ...`. */
  source: string;
  /** Other real outputs agreeing with the template. */
  seeAlso?: readonly string[];
  /** What the example does not prove on its own. */
  note?: string;
  /** Always: both variables reach a gateway response JSON-escaped (see above). */
  escapedInGatewayResponse: true;
}

const FGE_BUNDLE =
  'https://github.com/java-json-tools/json-schema-validator/blob/d265c6b15ca47a820de4a9d2f3de3b884c0a4b68/src/main/resources/com/github/fge/jsonschema/validator/validation.properties';
const NO_OUTPUT_FOUND = `no source found: no public API Gateway output; the java-json-tools template (${FGE_BUNDLE}) is the only basis, the example is this file's formatter`;
const AWS_DOCS_VALIDATION_TEST =
  'https://github.com/awsdocs/amazon-api-gateway-developer-guide/blob/781597d7e2e5375258f6029786877eb8b435dd0f/doc_source/api-gateway-request-validation-test.md';
const KARGOPOLOV =
  'https://github.com/artshishkin/art-kargopolov-aws-java-serverless/blob/d6dddb1d984ed5e74c2c40d34add837d9a88abfe/README.md';
const STEVENALEXANDER =
  'https://github.com/stevenalexander/aws-lambda-request-validation/blob/7af12e93e25cc1b62e04bc6543b51a7ab0154864/README.md';
const PAGOPA =
  'https://github.com/pagopa/pn-b2b-client/blob/51219771f026475b85a8c64e65fbeb8440ceb45e/src/test/java/it/pagopa/pn/cucumber/steps/pa/strategies/ExpectedErrorMessageStrategies.java';
const WORKSHOP = 'workshop README, repository not identified';

export const VALIDATOR_MESSAGES = {
  additionalProperties: {
    template: 'object instance has properties which are not allowed by the schema: %s',
    example: 'object instance has properties which are not allowed by the schema: ["foo"]',
    source: 'integration test, repository not identified',
    note: 'One message per object: the extra names as a sorted compact JSON array.',
    escapedInGatewayResponse: true,
  },
  enum: {
    template: 'instance value (%s) not found in enum (possible values: %s)',
    example: 'instance value ("invalid_priority_value") not found in enum (possible values: ["high","medium","low"])',
    source: STEVENALEXANDER,
    note: 'Seen escaped in a gateway response body; the values keep the schema order.',
    escapedInGatewayResponse: true,
  },
  maxItems: {
    template: 'array is too long: must have at most %d elements but instance has %d elements',
    example: 'array is too long: must have at most 2 elements but instance has 3 elements',
    source: NO_OUTPUT_FOUND,
    escapedInGatewayResponse: true,
  },
  maxLength: {
    template: 'string "%s" is too long (length: %d, maximum allowed: %d)',
    example: 'string "thisstringistoolong" is too long (length: 19, maximum allowed: 4)',
    source: WORKSHOP,
    note: 'Lengths count Unicode code points (MaxLengthValidator: codePointCount).',
    escapedInGatewayResponse: true,
  },
  maxProperties: {
    template: 'object has too many properties (found %d but schema requires at most %d)',
    example: 'object has too many properties (found 3 but schema requires at most 2)',
    source: NO_OUTPUT_FOUND,
    escapedInGatewayResponse: true,
  },
  maximum: {
    template: 'numeric instance is greater than the required maximum (maximum: %s, found: %s)',
    example: 'numeric instance is greater than the required maximum (maximum: 1000, found: 999999)',
    source: WORKSHOP,
    seeAlso: [PAGOPA],
    escapedInGatewayResponse: true,
  },
  minItems: {
    template: 'array is too short: must have at least %d elements but instance has %d elements',
    example: 'array is too short: must have at least 1 elements but instance has 0 elements',
    source: NO_OUTPUT_FOUND,
    escapedInGatewayResponse: true,
  },
  minLength: {
    template: 'string "%s" is too short (length: %d, required minimum: %d)',
    example: 'string "" is too short (length: 0, required minimum: 1)',
    source: `no source found: only weak evidence (the template in users of java-json-tools outside API Gateway, no API Gateway output); ${FGE_BUNDLE}`,
    escapedInGatewayResponse: true,
  },
  minimum: {
    template: 'numeric instance is lower than the required minimum (minimum: %s, found: %s)',
    example: 'numeric instance is lower than the required minimum (minimum: -90, found: -91)',
    source: PAGOPA,
    note: "The source's test appends its input as `found`; the value -91 here is ours, the rest is verbatim.",
    escapedInGatewayResponse: true,
  },
  pattern: {
    template: 'ECMA 262 regex "%s" does not match input string "%s"',
    example: 'ECMA 262 regex "[A-Za-z0-9]{4,10}" does not match input string "n@me!!"',
    source: STEVENALEXANDER,
    note: 'The regex and the input are printed raw (not JSON-quoted).',
    escapedInGatewayResponse: true,
  },
  required: {
    template: 'object has missing required properties (%s)',
    example: 'object has missing required properties (["email","password","repeatPassword"])',
    source: KARGOPOLOV,
    seeAlso: [STEVENALEXANDER],
    note: 'One message per object: every missing name, sorted, as a compact JSON array (RequiredDigester sorts).',
    escapedInGatewayResponse: true,
  },
  type: {
    template: 'instance type (%s) does not match any allowed primitive type (allowed: %s)',
    example: 'instance type (string) does not match any allowed primitive type (allowed: ["integer"])',
    source: 'https://levelup.gitconnected.com/dont-use-lambda-to-move-data-api-gateway-can-help-fe899df239e6',
    seeAlso: [PAGOPA],
    note: '`number` is listed as ["integer","number"] (DraftV4TypeDigester).',
    escapedInGatewayResponse: true,
  },
  /** A body that is not JSON, or empty: the whole report is this one message. */
  unparseable: {
    template: 'Unknown error parsing request body',
    example: 'Unknown error parsing request body',
    source: KARGOPOLOV,
    note: 'The execution log shows `[Unknown error parsing request body]` for an empty body.',
    escapedInGatewayResponse: true,
  },
  /** BAD_REQUEST_PARAMETERS' messageString; what its validationErrorString holds is not known. */
  missingParameters: {
    template: 'Missing required request parameters: [%s]',
    example: 'Missing required request parameters: [q1]',
    source: AWS_DOCS_VALIDATION_TEST,
    seeAlso: [
      'https://github.com/localstack/localstack/blob/8b9a79f05846835cf4dff63ab7eefdde9df83783/tests/aws/services/apigateway/test_apigateway_common.snapshot.json',
    ],
    note: 'Names joined by comma + space; their order is not documented.',
    escapedInGatewayResponse: true,
  },
  /** BAD_REQUEST_BODY's messageString (our template replaces it with a fixed `error`). */
  invalidRequestBody: {
    template: 'Invalid request body',
    example: 'Invalid request body',
    source: AWS_DOCS_VALIDATION_TEST,
    seeAlso: [KARGOPOLOV, STEVENALEXANDER],
    escapedInGatewayResponse: true,
  },
} as const satisfies Record<BodyKeyword | 'unparseable' | 'missingParameters' | 'invalidRequestBody', ValidatorMessage>;

/** Fills `%s` / `%d` left to right in one pass, so a value containing `%s` is never filled again. */
function fill(row: keyof typeof VALIDATOR_MESSAGES, ...values: (string | number)[]): string {
  let next = 0;
  return VALIDATOR_MESSAGES[row].template.replace(/%[sd]/g, () => String(values[next++]));
}

/** fge's node types (Jackson's NodeType), in its enum order: the order an allowed list prints in. */
export const JSON_TYPES = ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'] as const;
export type JsonType = (typeof JSON_TYPES)[number];

/** The type fge reports for a value: an integral number is `integer`. */
export function instanceType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as 'boolean' | 'object' | 'string';
}

/** A schema's `type` as fge holds it: a set in enum order, `number` also admitting `integer`. */
export function allowedTypes(type: string | readonly string[]): JsonType[] {
  const declared = new Set<string>(typeof type === 'string' ? [type] : type);
  if (declared.has('number')) declared.add('integer');
  return JSON_TYPES.filter((t) => declared.has(t));
}

/**
 * Compact JSON as Jackson prints a node: JSON.stringify's output, except that Jackson writes the hex
 * of a `\u` escape in upper case.
 */
function json(value: unknown): string {
  return JSON.stringify(value).replace(/\\(u[0-9a-f]{4}|.)/g, (escape, body: string) =>
    body.length === 5 ? `\\u${body.slice(1).toUpperCase()}` : escape,
  );
}

/** Java's codePointCount: a lone surrogate counts as one, as in JS string iteration. */
export const codePoints = (value: string) => [...value].length;

/** One message per keyword, in API Gateway's words. */
export const MESSAGES = {
  additionalProperties: (extra: readonly string[]) => fill('additionalProperties', json([...extra].sort())),
  enum: (value: unknown, values: readonly unknown[]) => fill('enum', json(value), json(values)),
  maxItems: (maximum: number, found: number) => fill('maxItems', maximum, found),
  maxLength: (value: string, maximum: number) => fill('maxLength', value, codePoints(value), maximum),
  maxProperties: (found: number, maximum: number) => fill('maxProperties', found, maximum),
  maximum: (maximum: number, found: number) => fill('maximum', maximum, found),
  minItems: (minimum: number, found: number) => fill('minItems', minimum, found),
  minLength: (value: string, minimum: number) => fill('minLength', value, codePoints(value), minimum),
  minimum: (minimum: number, found: number) => fill('minimum', minimum, found),
  pattern: (regex: string, input: string) => fill('pattern', regex, input),
  required: (missing: readonly string[]) => fill('required', json([...missing].sort())),
  type: (found: JsonType, type: string | readonly string[]) => fill('type', found, json(allowedTypes(type))),
  unparseable: () => fill('unparseable'),
  missingParameters: (names: readonly string[]) => fill('missingParameters', names.join(', ')),
  invalidRequestBody: () => fill('invalidRequestBody'),
} satisfies Record<keyof typeof VALIDATOR_MESSAGES, (...args: never[]) => string>;

/** validationErrorString: the messages as a Java list prints them. */
export const validationReport = (messages: readonly string[]) => `[${messages.join(', ')}]`;
