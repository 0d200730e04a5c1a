/**
 * The two SQS pieces parking needs. A module of their own, loaded by park.ts with a dynamic import:
 * esbuild keeps it in the one output file but wraps it in a lazy initializer, so the SQS client code
 * is evaluated on the first park only, and the named imports leave the rest of the SQS SDK out.
 */
export { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
