/**
 * What the bot may fetch. URLs we download come from elsewhere (the upstream's video and
 * `last_frame_url`, Discord's attachment CDN), so each one is checked before any byte is sent:
 * https only, and never an address inside our own network (private, loopback, link-local,
 * CGNAT, multicast, reserved) — checked on the URL's literal host AND on every address DNS
 * returns, inside the connection's own lookup, so a name cannot resolve to a public address
 * for the check and a private one for the connect (no DNS-rebinding gap).
 *
 * The one exception: origins the operator configured as loopback http (TOAPIS_BASE_URL or
 * DISCORD_API_URL pointing at a local fake, as tests and local development do). Exactly those
 * origins (scheme, host and port) are trusted; every other loopback port stays refused, so a
 * hostile URL cannot reach another local service even then.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent } from 'undici';

/** Why a URL was refused (stable values; logs and tests branch on them). */
export type FetchRefusal = 'invalid_url' | 'scheme' | 'credentials' | 'private_address' | 'unresolvable';

/** A URL the guard will not fetch. `url` has its query string removed. */
export class FetchRefusedError extends Error {
  readonly reason: FetchRefusal;
  readonly url: string;
  constructor(reason: FetchRefusal, url: string, detail?: string) {
    const shown = shownUrl(url);
    super(`refused to fetch ${shown}: ${detail ?? reason}`);
    this.name = 'FetchRefusedError';
    this.reason = reason;
    this.url = shown;
  }
}

function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const V6_BLOCKED: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // old site-local
  ['ff00::', 8], // multicast
];
const blocked = new BlockList();
for (const [net, prefix] of V4_BLOCKED) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of V6_BLOCKED) blocked.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d`, NAT64, 6to4), if any. */
function embeddedV4(ip: string): string | undefined {
  const groups = expandV6(ip);
  if (!groups) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zero = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zero(0, 5) && groups[5] === 0xffff) return v4(groups[6]!, groups[7]!); // ::ffff:0:0/96
  if (zero(0, 6) && (groups[6] !== 0 || groups[7]! > 1)) return v4(groups[6]!, groups[7]!); // deprecated ::a.b.c.d
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6)) return v4(groups[6]!, groups[7]!); // NAT64
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!); // 6to4
  return undefined;
}

function expandV6(ip: string): number[] | undefined {
  let text = ip.toLowerCase().split('%')[0]!;
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parts = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = parts(head);
  const t = tail === undefined ? [] : parts(tail);
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array<number>(Math.max(0, fill)).fill(0), ...t];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/**
 * Whether `ip` is an address on the public internet: false for private, loopback, link-local,
 * CGNAT, multicast, documentation and reserved ranges, and for IPv6 forms that embed such an
 * IPv4 address. Not an IP at all: false.
 */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !blocked.check(ip, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedV4(ip);
  if (v4 !== undefined) return isPublicAddress(v4);
  return !blocked.check(ip, 'ipv6');
}

/** Resolves a host name to every address it has (the shape of `dns.lookup` with `all: true`). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

export interface FetchGuardOptions {
  /**
   * Loopback http origins the operator configured (`http://127.0.0.1:8080`): fetched although
   * they are plain http on loopback. Anything not loopback http is ignored here (an https
   * public origin needs no exception). Default none.
   */
  trustedOrigins?: readonly (string | undefined)[];
  /** DNS. Default `dns.lookup` (the system resolver, like every other connection). */
  resolve?: Resolver;
}

/** A checked URL fetcher's pieces: the per-URL check and a dispatcher whose connections re-check DNS. */
export interface FetchGuard {
  /**
   * Throws {@link FetchRefusedError} unless `url` may be fetched: https (or a trusted origin),
   * no credentials, and a literal IP host must be public. Host names are checked at connect.
   */
  check(url: string): URL;
  /** An undici dispatcher whose DNS lookups refuse any non-public address (trusted hosts aside). */
  dispatcher: Agent;
  /** Resolves `hostname` and throws {@link FetchRefusedError} when any address is not public. */
  resolveChecked(hostname: string): Promise<LookupAddress[]>;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether `url` is a plain-http URL to this machine (how tests and local setups point at fakes). */
export function isLoopbackHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && (LOOPBACK_NAMES.has(u.hostname) || /^127\./.test(u.hostname));
  } catch {
    return false;
  }
}

/** Builds the guard every download goes through; see the module comment for the policy. */
export function createFetchGuard(options: FetchGuardOptions = {}): FetchGuard {
  const resolve = options.resolve ?? systemResolver;
  const trusted = new Set<string>();
  const trustedHosts = new Set<string>();
  for (const origin of options.trustedOrigins ?? []) {
    if (origin === undefined || !isLoopbackHttpUrl(origin)) continue;
    const u = new URL(origin);
    trusted.add(u.origin);
    trustedHosts.add(u.hostname);
  }

  const check = (url: string): URL => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new FetchRefusedError('invalid_url', url, 'not a valid URL');
    }
    if (u.username !== '' || u.password !== '') throw new FetchRefusedError('credentials', url, 'URLs with credentials are not fetched');
    if (trusted.has(u.origin)) return u;
    if (u.protocol !== 'https:') throw new FetchRefusedError('scheme', url, `only https:// is fetched, not ${u.protocol}//`);
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    if (isIP(host) !== 0 && !isPublicAddress(host)) throw new FetchRefusedError('private_address', url, `${host} is not a public address`);
    if (host === 'localhost' || host.endsWith('.localhost')) throw new FetchRefusedError('private_address', url, `${host} is not a public address`);
    return u;
  };

  const resolveChecked = async (hostname: string): Promise<LookupAddress[]> => {
    let addresses: LookupAddress[];
    try {
      addresses = await resolve(hostname);
    } catch {
      throw new FetchRefusedError('unresolvable', `https://${hostname}/`, `${hostname} does not resolve`);
    }
    if (addresses.length === 0) throw new FetchRefusedError('unresolvable', `https://${hostname}/`, `${hostname} does not resolve`);
    if (trustedHosts.has(hostname)) return addresses;
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad) throw new FetchRefusedError('private_address', `https://${hostname}/`, `${hostname} resolves to ${bad.address}, not a public address`);
    return addresses;
  };

  // net/tls.connect call this for host names (never for IP literals, which check() covers).
  // Node asks for one address, or for all of them when it races IPv4/IPv6 (autoSelectFamily).
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolveChecked(hostname).then(
      (addresses) => {
        const family = lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : lookupOptions.family;
        const wanted = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        if (wanted.length === 0) return callback(Object.assign(new Error(`no IPv${family} address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, wanted);
        callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (err: unknown) => callback(err as NodeJS.ErrnoException, '', 0),
    );
  };

  const dispatcher = new Agent({ connections: 16, keepAliveTimeout: 10_000, connect: { lookup } });
  return { check, dispatcher, resolveChecked };
}
