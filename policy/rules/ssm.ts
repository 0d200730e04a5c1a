/** SSM Parameter Store: parameters whose names say they are sensitive are SecureStrings. */
import { resourceRule, str } from '../lib/kit';
import { T } from '../lib/types';

/** A name segment that says the value is sensitive: endpoint, secret, password, key, token, credential. */
export const SENSITIVE_NAME = /(endpoint|secret|passw(or)?d|key|token|credential)/i;

const sensitiveSecureString = resourceRule({
  name: 'ssm-sensitive-securestring',
  summary:
    'SSM parameters named *endpoint*, *secret*, *password*, *key* (or token/credential) are SecureString, encrypted with KMS.',
  controls: { checkov: ['CKV2_AWS_34'] },
  severity: 'high',
  remediation: 'Set `type: "SecureString"` (the reader needs kms:Decrypt on the key, implicit for aws/ssm).',
  types: [T.parameter],
  check: (props, report) => {
    const name = str(props.name) ?? '';
    const type = str(props.type);
    if (SENSITIVE_NAME.test(name) && type !== 'SecureString')
      report(`parameter ${name} is ${type ?? 'untyped'}, not SecureString`);
  },
});

export const ssmRules = [sensitiveSecureString];
