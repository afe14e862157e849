export { CLIENT_ERRORS, OPERATOR_ERRORS, type ClientErrorCode, type OperatorErrorCode, type ErrorCode } from './codes.js';
export { PortcullisError, GatewayError, isGatewayError, type GatewayErrorOptions } from './gateway-error.js';
export { toProblem, rawProblemResponse, PROBLEM_CONTENT_TYPE, type ProblemDocument } from './problem.js';

export { answerOf } from './answer.js';
