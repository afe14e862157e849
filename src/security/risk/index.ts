export { RiskScores, sharedRiskScores, type RiskSubject, type RiskScoreOptions } from './risk-scores.js';
export { DEFAULT_RISK_WEIGHTS, riskPoints } from './weights.js';
export { decayed } from './decay.js';
