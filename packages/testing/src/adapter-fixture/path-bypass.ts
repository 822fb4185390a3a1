/**
 * Request targets that try to reach a framework's `/admin` handler without the gateway deciding
 * on `/admin` (decide mode): fragments, empty queries, escapes, slashes, dot segments, case,
 * `;` and the absolute form. Each adapter's tests send them byte for byte over a real socket to
 * an app whose `/admin` handler answers {@link ADMIN_HANDLER_BODY} behind a gateway route that
 * denies `/admin` ({@link pathBypassConfig}): that body must never come back.
 */

import { expect, it } from 'vitest';

/** What the app's own `/admin` handler answers: seeing it behind the deny route is a bypass. */
export const ADMIN_HANDLER_BODY = 'admin handler ran';

/**
 * Raw request targets (sent as they are, not URL-encoded). Some are routed to `/admin` by some
 * framework (Express: `/admin#x`, `/Admin`, `/admin/`, absolute forms; Fastify and Hono: `/%61dmin`;
 * Hono: `/x/../admin`), some by none; the test does not care which: whatever runs `/admin` must
 * have been decided as `/admin`.
 */
export const PATH_BYPASS_TARGETS: readonly string[] = Object.freeze([
  '/admin#x',
  '/admin#',
  '/admin#/../public',
  '/admin?',
  '/admin?#',
  '/admin?x#y',
  '/%61dmin',
  '/%61dmin#x',
  '/ad%6Din?x',
  '/%2561dmin',
  '//admin',
  '///admin',
  '/./admin',
  '/public/../admin',
  '/public/%2e%2e/admin',
  '/admin/',
  '/admin/.',
  '/Admin',
  '/ADMIN/',
  '/admin;x',
  '/admin;',
  '/admin%3Bx',
  '/admin%23x',
  '/admin%3Fx',
  '/#/admin',
  '/public#/../admin',
  'http://h/admin',
  'HTTP://h/admin',
  'https://h/admin?q=1',
  'http://h//admin',
  'http://h/%61dmin',
  'http://h/admin#f',
  'http://h#/admin',
  'http://h?/admin',
  'http://user@h/admin',
  'ftp://h/admin',
  '//h/admin',
]);

/**
 * A decide-mode gateway config: `/admin` (any case, any trailing slash, as Express routes it by
 * default) is denied with a 403 fault; everything else goes on to the app. `upstream` is never
 * called in decide mode.
 */
export function pathBypassConfig(): object {
  return {
    routes: [
      {
        name: 'admin',
        matches: [{ path: { type: 'PathPrefix', value: '/admin', ignoreCase: true } }],
        backends: [{ upstream: 'app' }],
        fault: { abort: { httpStatus: 403, percent: 100 } },
      },
      { name: 'rest', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'app' }] },
    ],
    upstreams: { app: { endpoints: [{ url: 'http://127.0.0.1:9' }] } },
  };
}

/** Sends one raw request target to a started app and returns what came back. */
export type RawGet = (target: string) => Promise<{ readonly status: number; readonly body: string }>;

/**
 * The checks every adapter runs against {@link pathBypassConfig} in decide mode (one suite, not a
 * copy per framework): `/admin` is denied (403) and other paths reach the app; the `/admin#x`
 * regression is 400 `SY_BAD_REQUEST`; no target of {@link PATH_BYPASS_TARGETS} runs the app's
 * `/admin` handler. `start` builds and listens an app whose `/admin` handler answers
 * {@link ADMIN_HANDLER_BODY} and whose other paths answer 404 `other <path>`; call inside a `describe`.
 */
export function describePathBypassChecks(framework: string, start: () => Promise<RawGet>): void {
  it('the deny route holds for /admin, and other paths reach the app', async () => {
    const get = await start();
    expect((await get('/admin')).status).toBe(403);
    expect(await get('/public')).toEqual({ status: 404, body: 'other /public' });
  });

  it(`regression: /admin#x is refused with 400 (it matched the catch-all, then ${framework} ran /admin)`, async () => {
    const res = await (await start())('/admin#x');
    expect(res.status).toBe(400);
    expect(res.body).toContain('SY_BAD_REQUEST');
  });

  it.each(PATH_BYPASS_TARGETS)('%s never runs the /admin handler', async (target) => {
    const res = await (await start())(target);
    expect(res.body).not.toContain(ADMIN_HANDLER_BODY);
  });
}
