/**
 * The local API's IAM users: the access keys it accepts and the caller identity each one stands for.
 * Defaults are documented and deliberately fake (they are not AWS keys); override them with
 * TAP_LOCAL_ACCESS_KEY_ID / TAP_LOCAL_SECRET_ACCESS_KEY (and TAP_LOCAL_USER_NAME).
 */
import { createHash } from 'crypto';
import { LOCAL_ACCOUNT_ID } from '../aws';

const DEFAULT_LOCAL_ACCESS_KEY_ID = 'TAPLOCALACCESSKEY001';
const DEFAULT_LOCAL_SECRET_ACCESS_KEY = 'tap-local-secret-key';
const DEFAULT_LOCAL_USER_NAME = 'tap-local';

export interface LocalCredential {
  accessKeyId: string;
  secretAccessKey: string;
  /** IAM user name the key belongs to; default `tap-local`. */
  userName?: string;
}

/** The IAM caller API Gateway puts in `requestContext.identity` for an AWS_IAM method. */
export interface CallerIdentity {
  accountId: string;
  /** The IAM user's unique id (AIDA...), as API Gateway reports `caller` and `user`. */
  userId: string;
  userArn: string;
  accessKey: string;
}

export function localCredentialFromEnv(env: NodeJS.ProcessEnv = process.env): LocalCredential {
  return {
    accessKeyId: env.TAP_LOCAL_ACCESS_KEY_ID || DEFAULT_LOCAL_ACCESS_KEY_ID,
    secretAccessKey: env.TAP_LOCAL_SECRET_ACCESS_KEY || DEFAULT_LOCAL_SECRET_ACCESS_KEY,
    userName: env.TAP_LOCAL_USER_NAME || DEFAULT_LOCAL_USER_NAME,
  };
}

/** A stable identity per key: same key, same user id and ARN, across restarts. */
export function identityOf(credential: LocalCredential, accountId: string = LOCAL_ACCOUNT_ID): CallerIdentity {
  const userName = credential.userName ?? DEFAULT_LOCAL_USER_NAME;
  const digest = createHash('sha256').update(`${accountId}/${userName}`).digest('hex').toUpperCase();
  return {
    accountId,
    userId: `AIDA${digest.replace(/[^A-Z0-9]/g, '').slice(0, 17)}`,
    userArn: `arn:aws:iam::${accountId}:user/${userName}`,
    accessKey: credential.accessKeyId,
  };
}
