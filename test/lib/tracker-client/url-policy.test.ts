import { describe, expect, it } from 'vitest'
import { checkRedirect, checkTrackerUrl, classifyHost, parseTrackerUrl } from '../../../lib/tracker-client/url-policy.js'
import { TrackerError } from '../../../lib/tracker/tracker-error.js'

function codeOf (f: () => unknown): string | undefined {
  try { f() } catch (e) { return e instanceof TrackerError ? e.code : `untyped: ${String(e)}` }
  return undefined
}

describe('classifyHost', () => {
  it('knows loopback, private, link-local, unspecified and public addresses', () => {
    expect(['127.0.0.1', '127.9.9.9', '::1', 'localhost', 'a.localhost', '::ffff:127.0.0.1'].map(classifyHost)).toEqual(Array(6).fill('loopback'))
    expect(['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', 'fd00::1', '100.64.0.1'].map(classifyHost)).toEqual(Array(6).fill('private'))
    expect(['169.254.169.254', 'fe80::1', '::ffff:169.254.0.1'].map(classifyHost)).toEqual(Array(3).fill('link-local'))
    expect(['0.0.0.0', '::'].map(classifyHost)).toEqual(['unspecified', 'unspecified'])
    expect(['8.8.8.8', '172.32.0.1', '2001:db8::1'].map(classifyHost)).toEqual(['public', 'public', 'public'])
    expect(classifyHost('tracker.example')).toBeUndefined()
  })
})

describe('parseTrackerUrl', () => {
  it('takes http, https and udp URLs apart', () => {
    expect(parseTrackerUrl('udp://[::1]:6969/announce?k=1')).toMatchObject({ scheme: 'udp', host: '::1', port: 6969, pathAndQuery: '/announce?k=1' })
    expect(parseTrackerUrl('udp://t.example:80')).toMatchObject({ pathAndQuery: '' })
    expect(parseTrackerUrl('http://t.example/a/announce.php')).toMatchObject({ scheme: 'http', port: 80, lastSegment: 'announce.php' })
    expect(parseTrackerUrl('HTTPS://t.example/announce')).toMatchObject({ scheme: 'https', port: 443 })
  })

  it('refuses other schemes, credentials and port-less UDP (E51)', () => {
    for (const u of ['file:///etc/passwd', 'ftp://x/announce', 'javascript:alert(1)', 'gopher://x:70/', 'nonsense', 'http://user:pw@t.example/announce', 'udp://t.example']) {
      expect(codeOf(() => parseTrackerUrl(u)), u).toBe('bad-url')
    }
  })
})

describe('checkTrackerUrl', () => {
  const check = (u: string, options = {}, address?: string): string | undefined => codeOf(() => { checkTrackerUrl(parseTrackerUrl(u), options, address) })

  it('allows public trackers and loopback trackers with an announce path', () => {
    expect(check('http://t.example/whatever')).toBeUndefined()
    expect(check('http://127.0.0.1:6969/announce')).toBeUndefined()
    expect(check('udp://127.0.0.1:6969')).toBeUndefined()
    expect(check('http://192.168.1.5/scrape')).toBeUndefined()
  })

  it('refuses link-local, unspecified, and local web services (E51)', () => {
    expect(check('http://169.254.169.254/latest/meta-data')).toBe('refused')
    expect(check('udp://169.254.169.254:80')).toBe('refused')
    expect(check('http://0.0.0.0/announce')).toBe('refused')
    expect(check('http://127.0.0.1:9091/transmission/rpc?x=1')).toBe('refused')
    expect(check('http://192.168.1.1/admin')).toBe('refused')
    expect(check('http://127.0.0.1/announce', { allowLoopback: false })).toBe('refused')
  })

  it('checks a resolved address the same way', () => {
    expect(check('http://t.example/rpc', {}, '127.0.0.1')).toBe('refused')
    expect(check('http://t.example/rpc', {}, '169.254.169.254')).toBe('refused')
    expect(check('http://t.example/rpc', {}, '93.184.216.34')).toBeUndefined()
  })
})

describe('checkRedirect', () => {
  it('refuses a redirect from a public host to a local one', () => {
    expect(codeOf(() => checkRedirect('public', 'http://127.0.0.1/announce'))).toBe('refused')
    expect(codeOf(() => checkRedirect(undefined, 'http://10.0.0.1/announce'))).toBe('refused')
    expect(codeOf(() => checkRedirect('public', 'http://t.example/announce', {}, '192.168.0.1'))).toBe('refused')
    expect(codeOf(() => checkRedirect('public', 'http://other.example/announce'))).toBeUndefined()
  })

  it('lets a loopback tracker redirect to loopback, but never to link-local or another scheme', () => {
    expect(codeOf(() => checkRedirect('loopback', 'http://127.0.0.1:9/announce'))).toBeUndefined()
    expect(codeOf(() => checkRedirect('loopback', 'http://169.254.169.254/announce'))).toBe('refused')
    expect(codeOf(() => checkRedirect('loopback', 'file:///etc/passwd'))).toBe('bad-url')
    expect(codeOf(() => checkRedirect('loopback', 'udp://127.0.0.1:1'))).toBe('bad-url')
  })

  describe('redirectsFromLocal (issue 11 item 6): where a loopback or private tracker may redirect', () => {
    const targets = {
      loopback: 'http://127.0.0.2:7/announce',
      private: 'http://192.168.1.20/announce',
      public: 'http://tracker.example/announce'
    } as const
    const table = (policy: 'follow' | 'same-scope' | 'refuse' | undefined, from: 'loopback' | 'private'): Record<string, string | undefined> =>
      Object.fromEntries(Object.entries(targets).map(([k, url]) => [k, codeOf(() => checkRedirect(from, url, policy === undefined ? {} : { redirectsFromLocal: policy }, k === 'public' ? '93.184.216.34' : undefined))]))

    it("'follow' (the default): any target that obeys rules 1-3", () => {
      expect(table(undefined, 'loopback')).toEqual({ loopback: undefined, private: undefined, public: undefined })
      expect(table('follow', 'private')).toEqual({ loopback: undefined, private: undefined, public: undefined })
      // rules 1-3 still hold for the target
      expect(codeOf(() => checkRedirect('loopback', 'http://10.0.0.1/rpc', { redirectsFromLocal: 'follow' }))).toBe('refused')
      expect(codeOf(() => checkRedirect('private', 'http://169.254.169.254/announce', { redirectsFromLocal: 'follow' }))).toBe('refused')
    })

    it("'same-scope': loopback to loopback, private to private only", () => {
      expect(table('same-scope', 'loopback')).toEqual({ loopback: undefined, private: 'refused', public: 'refused' })
      expect(table('same-scope', 'private')).toEqual({ loopback: 'refused', private: undefined, public: 'refused' })
      // a name is judged by the address it resolves to
      expect(codeOf(() => checkRedirect('loopback', 'http://t.example/announce', { redirectsFromLocal: 'same-scope' }))).toBeUndefined()
      expect(codeOf(() => checkRedirect('loopback', 'http://t.example/announce', { redirectsFromLocal: 'same-scope' }, '127.0.0.9'))).toBeUndefined()
      expect(codeOf(() => checkRedirect('loopback', 'http://t.example/announce', { redirectsFromLocal: 'same-scope' }, '10.1.2.3'))).toBe('refused')
    })

    it("'refuse': no redirect from a local tracker", () => {
      expect(table('refuse', 'loopback')).toEqual({ loopback: 'refused', private: 'refused', public: 'refused' })
      expect(table('refuse', 'private')).toEqual({ loopback: 'refused', private: 'refused', public: 'refused' })
    })

    it('does not loosen rule 4 for a public tracker', () => {
      for (const policy of ['follow', 'same-scope', 'refuse'] as const) {
        expect(codeOf(() => checkRedirect('public', targets.loopback, { redirectsFromLocal: policy }))).toBe('refused')
        expect(codeOf(() => checkRedirect('public', targets.public, { redirectsFromLocal: policy }))).toBeUndefined()
      }
    })
  })
})
