/** What a session keeps between runs: resume records and what a restart may trust. */
export { encodeResume, decodeResume, ResumeDataError, RESUME_FORMAT_VERSION, type ResumeRecord, type ResumeFile, type ResumeTarget } from './resume-data.js'
export { resumePlan, type ResumePlan, type PlanFile } from './resume-plan.js'
export { ConnectionBudget, checkCount, DEFAULT_SESSION_CONNECTIONS, DEFAULT_SESSION_HALF_OPEN, type ConnectionBudgetLimits } from './connection-budget.js'
export { SessionBandwidth, checkRateLimits, type RateLimits, type TorrentBandwidth } from './session-bandwidth.js'
