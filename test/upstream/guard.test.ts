import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadNotVideoError, DownloadRefusedError, downloadBytes, downloadToFile, isRetryableDownload, looksLikeMp4 } from '../../src/upstream/download.js';
import { FetchRefusedError, createFetchGuard, isLoopbackHttpUrl, isPublicAddress, type Resolver } from '../../src/upstream/guard.js';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    'fc00::abcd',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '64:ff9b::a00:1', // NAT64 of 10.0.0.1
    '2002:a00:1::', // 6to4 of 10.0.0.1
    'not an ip',
    '',
  ])('%s is not public', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each(['1.1.1.1', '8.8.8.8', '172.32.0.1', '192.169.0.1', '162.159.128.233', '2606:4700::6810:84e5', '::ffff:8.8.8.8'])('%s is public', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });
});

describe('isLoopbackHttpUrl', () => {
  it.each([
    ['http://127.0.0.1:4010', true],
    ['http://localhost:3000/api', true],
    ['http://[::1]:8080', true],
    ['http://127.8.0.1', true],
    ['https://127.0.0.1', false],
    ['http://10.0.0.1', false],
    ['http://example.com', false],
    ['http://localhost.example.com', false],
    ['nonsense', false],
  ])('%s → %s', (url, expected) => {
    expect(isLoopbackHttpUrl(url)).toBe(expected);
  });
});

describe('createFetchGuard().check', () => {
  const guard = createFetchGuard({ trustedOrigins: ['http://127.0.0.1:4010', 'https://toapis.com', undefined] });
  const refusal = (url: string): FetchRefusedError => {
    try {
      guard.check(url);
    } catch (err) {
      expect(err).toBeInstanceOf(FetchRefusedError);
      return err as FetchRefusedError;
    }
    throw new Error(`${url} was not refused`);
  };

  it.each([
    ['http://files.example.com/v.mp4', 'scheme'],
    ['ftp://files.example.com/v.mp4', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['http://127.0.0.1:4011/v.mp4', 'scheme'], // loopback, but not the trusted port
    ['https://127.0.0.1/v.mp4', 'private_address'],
    ['https://10.0.0.1/v.mp4', 'private_address'],
    ['https://169.254.169.254/latest/meta-data/', 'private_address'],
    ['https://[::1]/v.mp4', 'private_address'],
    ['https://[::ffff:10.0.0.1]/v.mp4', 'private_address'],
    ['https://0x7f.1/v.mp4', 'private_address'], // the URL parser normalises this to 127.0.0.1
    ['https://2130706433/v.mp4', 'private_address'],
    ['https://localhost/v.mp4', 'private_address'],
    ['https://user:pw@files.example.com/v.mp4', 'credentials'],
    ['not a url', 'invalid_url'],
  ])('refuses %s (%s)', (url, reason) => {
    expect(refusal(url).reason).toBe(reason);
  });

  it('never shows the query string (signed URLs) in the refusal', () => {
    const err = refusal('https://10.0.0.1/v.mp4?token=secret123');
    expect(err.message).not.toContain('secret123');
    expect(err.url).toBe('https://10.0.0.1/v.mp4');
  });

  it.each(['https://files.example.com/v.mp4', 'https://1.1.1.1/v.mp4', 'http://127.0.0.1:4010/files/videos/x.mp4'])('allows %s', (url) => {
    expect(guard.check(url).href).toBe(new URL(url).href);
  });

  it('trusts nothing when no loopback origin is configured', () => {
    const strict = createFetchGuard({ trustedOrigins: ['https://toapis.com'] });
    expect(() => strict.check('http://127.0.0.1:4010/files/videos/x.mp4')).toThrow(FetchRefusedError);
  });
});

describe('createFetchGuard().resolveChecked (DNS)', () => {
  const table: Record<string, { address: string; family: number }[]> = {
    'cdn.example.com': [{ address: '93.184.216.34', family: 4 }],
    'inside.example.com': [{ address: '10.0.0.1', family: 4 }],
    'mixed.example.com': [
      { address: '93.184.216.34', family: 4 },
      { address: '192.168.0.10', family: 4 },
    ],
    'metadata.example.com': [{ address: '169.254.169.254', family: 4 }],
    'v6local.example.com': [{ address: 'fd12::1', family: 6 }],
  };
  const resolve: Resolver = async (h) => {
    const found = table[h];
    if (!found) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    return found;
  };
  const guard = createFetchGuard({ resolve });

  it('passes a name whose every address is public', async () => {
    await expect(guard.resolveChecked('cdn.example.com')).resolves.toEqual(table['cdn.example.com']);
  });

  it.each(['inside.example.com', 'mixed.example.com', 'metadata.example.com', 'v6local.example.com'])(
    'refuses %s: one non-public address is enough',
    async (host) => {
      const err = await guard.resolveChecked(host).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FetchRefusedError);
      expect((err as FetchRefusedError).reason).toBe('private_address');
    },
  );

  it('refuses a name that does not resolve', async () => {
    const err = await guard.resolveChecked('nowhere.example.com').catch((e: unknown) => e);
    expect((err as FetchRefusedError).reason).toBe('unresolvable');
  });
});

describe('downloads through the guard', () => {
  let server: http.Server;
  let origin: string;
  let otherOrigin: string;
  let other: http.Server;
  let hits: string[];
  let dir: string;
  const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom', 'latin1'), Buffer.alloc(12), Buffer.alloc(4096, 9)]);

  const listen = async (handler: http.RequestListener) => {
    const s = http.createServer(handler);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { s, origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
  };

  beforeAll(async () => {
    hits = [];
    dir = await mkdtemp(join(tmpdir(), 'vidu-guard-'));
    ({ s: other, origin: otherOrigin } = await listen((req, res) => {
      hits.push(`other ${req.url}`);
      res.writeHead(200, { 'content-type': 'video/mp4' }).end(mp4);
    }));
    ({ s: server, origin } = await listen((req, res) => {
      hits.push(req.url ?? '');
      const go = (location: string) => res.writeHead(302, { location }).end();
      switch (req.url) {
        case '/video.mp4':
          return res.writeHead(200, { 'content-type': 'video/mp4' }).end(mp4);
        case '/html':
          return res.writeHead(200, { 'content-type': 'video/mp4' }).end('<html><body>not a video</body></html>');
        case '/tiny':
          return res.writeHead(200).end('abc');
        case '/to-private':
          return go('https://10.0.0.1/video.mp4');
        case '/to-metadata':
          return go('https://169.254.169.254/latest/meta-data/');
        case '/to-http':
          return go('http://files.example.com/video.mp4');
        case '/to-rebind':
          return go('https://inside.example.com/video.mp4');
        case '/to-other-port':
          return go(`${otherOrigin}/video.mp4`);
        case '/to-self':
          return go('/video.mp4');
        case '/loop':
          return go('/loop');
        default:
          return res.writeHead(404).end();
      }
    }));
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await new Promise((r) => other.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const guarded = () =>
    createFetchGuard({
      trustedOrigins: [origin],
      resolve: async (h) => (h === 'inside.example.com' ? [{ address: '10.0.0.1', family: 4 }] : [{ address: '93.184.216.34', family: 4 }]),
    });
  const opts = (guard: ReturnType<typeof createFetchGuard>) => ({ maxBytes: 1_000_000, timeoutMs: 5_000, guard, expect: 'mp4' as const });

  it('downloads an mp4 from the trusted origin, following a same-origin redirect', async () => {
    const guard = guarded();
    expect((await downloadBytes(`${origin}/to-self`, opts(guard))).equals(mp4)).toBe(true);
    await guard.dispatcher.destroy();
  });

  it.each([
    ['/to-private', 'private_address'],
    ['/to-metadata', 'private_address'],
    ['/to-http', 'scheme'],
    ['/to-rebind', 'private_address'], // a host name that resolves inside: refused at connect
    ['/to-other-port', 'scheme'], // loopback, but another service than the trusted one
    ['/loop', 'too_many_redirects'],
  ])('refuses a redirect %s (%s): nothing is fetched there, and it is not retried', async (path, reason) => {
    const guard = guarded();
    hits.length = 0;
    const err = await downloadBytes(`${origin}${path}`, opts(guard)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadRefusedError);
    expect((err as DownloadRefusedError).reason).toBe(reason);
    expect(isRetryableDownload(err)).toBe(false);
    expect(hits.filter((h) => h.startsWith('other'))).toEqual([]);
    await guard.dispatcher.destroy();
  });

  it('refuses a host name resolving to a private address when asked directly (DNS checked at connect)', async () => {
    const guard = guarded();
    const err = await downloadBytes('https://inside.example.com/video.mp4', opts(guard)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadRefusedError);
    expect((err as DownloadRefusedError).reason).toBe('private_address');
    await guard.dispatcher.destroy();
  });

  it.each(['/html', '/tiny'])('refuses a body that is not an MP4 (%s) and leaves no file', async (path) => {
    const guard = guarded();
    const target = join(dir, `out${path.slice(1)}.mp4`);
    const err = await downloadToFile(`${origin}${path}`, target, opts(guard)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadNotVideoError);
    expect(isRetryableDownload(err)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
    await guard.dispatcher.destroy();
  });

  it('looksLikeMp4 reads the ftyp box', () => {
    expect(looksLikeMp4(mp4)).toBe(true);
    expect(looksLikeMp4(Buffer.from('....ftypisom'))).toBe(true);
    expect(looksLikeMp4(Buffer.from('\x00\x00\x00\x18moovisom0000', 'latin1'))).toBe(false);
    expect(looksLikeMp4(Buffer.from('ftyp'))).toBe(false);
    expect(looksLikeMp4(Buffer.from('<html>ftypisom'))).toBe(false);
  });
});
