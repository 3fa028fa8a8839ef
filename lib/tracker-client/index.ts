/**
 * Tracker client cores: BEP 12 tiers, retry and interval delays (BEP 31),
 * and BEP 34 DNS TXT preferences. Pure and synchronous; time and randomness
 * are arguments.
 *
 * @example
 * ```ts
 * // TrackerTiers, parseTrackerTxt, applyTrackerTxt: exported by rxtorrent/lib
 *
 * const tiers = new TrackerTiers([['udp://a:1', 'udp://b:1'], ['http://c/announce']], () => 0.5)
 * const url = tiers.next(0)            // the first ready tracker of the first tier
 * tiers.failed(url!, 0)                // → 15000 (ms before it is tried again)
 * applyTrackerTxt('http://t.example/announce', parseTrackerTxt([['BITTORRENT UDP:6969 TCP:80']]))
 * // → ['udp://t.example:6969/announce', 'http://t.example:80/announce']
 * ```
 * @see BEP 12, BEP 31, BEP 34
 */
export { TrackerTiers, type TrackerStanding, type TrackerTiersOptions } from './tiers.js'
export { retryDelayMs, announceDelayMs, BACKOFF_DEFAULTS, type BackoffOptions } from './backoff.js'
export { parseTrackerTxt, applyTrackerTxt, MAX_TXT_SERVICES, MAX_TXT_LENGTH, type TrackerDnsPolicy, type TrackerService } from './dns-txt.js'
export { classifyHost, parseTrackerUrl, checkTrackerUrl, checkRedirect, type AddressClass, type TrackerUrl, type UrlPolicyOptions, type LocalRedirectPolicy } from './url-policy.js'
