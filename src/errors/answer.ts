import { CLIENT_ERRORS, type ClientErrorCode } from './codes.js';

/**
 * The status and problem code a client is answered with, for the security event that explains
 * the refusal (issue 14, item 1: every refusal event carries them). Empty when the refusal was
 * not enforced (monitor mode): the client got no such answer.
 *
 * @example
 * publishSecurityEvent(() => ({ kind: 'authz.denied', ..., ...answerOf('PCL_AUTHZ_DENIED') }));
 */
export function answerOf(code: ClientErrorCode | undefined, enforced = true): { status?: number; code?: string } {
  return code === undefined || !enforced ? {} : { status: CLIENT_ERRORS[code].status, code };
}
