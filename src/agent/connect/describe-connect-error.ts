/**
 * One line for why a target did not answer, and what to check: the system error code when there
 * is one (ECONNREFUSED...), found anywhere on the cause chain because kafkajs and pg wrap the
 * socket's error in their own; otherwise the error's own message. Always through redactText: a
 * client's message may echo the URL it was given, credentials included.
 */
import { describeError } from '../../errors.js';
import { redactText } from '../../redact.js';

/** The first string `code` (ECONNREFUSED, ENOTFOUND...) on the error or its causes. */
function systemCode(error: unknown): string | undefined {
  let e = error;
  for (let depth = 0; depth < 8 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    // kafkajs' older paths keep the wrapped error as `originalError`.
    const next =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
    if (next === e) break;
    e = next;
  }
  return undefined;
}

/** Why `service` (`carbon`, `a Kafka broker`...) did not answer, with the fix where there is one. */
export function describeConnectError(error: unknown, service: string): string {
  const code = systemCode(error);
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused (ECONNREFUSED); is ${service} running there, on that port?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${code}); check the host name, and DNS from this machine`;
    case 'ETIMEDOUT':
      return `connection timed out (ETIMEDOUT); check the address, and that no firewall drops the packets`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to the host (${code}); check the address and this machine's network`;
    case 'ECONNRESET':
      return `connection reset (ECONNRESET); is it ${service} there, and does it expect TLS?`;
    default:
      return redactText(describeError(error));
  }
}
