/**
 * `switchyard serve`: a gateway on the undici transport behind `node:http`, an admin server on
 * its own port, file watching, and signals.
 *
 * - Reload (a watched file changed, or SIGHUP): the files are loaded and validated again and
 *   swapped in with `gateway.reload`, which is atomic (requests in flight finish on the plan
 *   they started with; endpoints that stay keep their balancer, health and breaker state). An
 *   invalid edit keeps the running config; the problems are printed by file and path.
 * - Drain (SIGTERM, SIGINT): Envoy's and Kubernetes' graceful shutdown. `/ready` turns 503 at
 *   once, the listener closes (no new connections), idle keep-alive connections close,
 *   responses still to come carry `Connection: close`, and the process waits for requests in
 *   flight, up to the drain timeout; then it cuts what is left and exits 0.
 * - Admin (`/metrics`, `/healthz`, `/ready`, and the live dashboard under `/dashboard/`, which
 *   `/` redirects to) is a separate server (Envoy's admin listener), bound to 127.0.0.1 by
 *   default: the traffic port never answers those paths itself (they are routed like any other
 *   path). The dashboard is read-only unless `--admin-token-env NAME` names a variable holding
 *   the token of its rollout operations (docs/guides/dashboard.md).
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientAbortSignal, fromNodeRequest, writeNodeResponse } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { compileLoaded, issuesOf, toProblems } from './check.js';
import { expandInputs, loadInputs, type Importer, type LoadInputsResult } from './load.js';
import { styleFor, type CommandIo } from './output.js';
import { formatProblem, type Problem } from './problems.js';

/** Options of {@link serve}. */
export interface ServeOptions {
  readonly files: readonly string[];
  readonly port: number;
  readonly host: string;
  readonly adminPort: number;
  readonly adminHost: string;
  readonly watch: boolean;
  readonly drainTimeoutMs: number;
  readonly env: CommandIo['env'] | undefined;
  readonly importer: Importer | undefined;
  /** Handed to the importer (`--backend`). */
  readonly backends?: Readonly<Record<string, readonly string[]>> | undefined;
  readonly io: CommandIo;
  /** How often watched files are polled (default 200 ms). */
  readonly watchIntervalMs?: number;
  /** The dashboard's operations token (`--admin-token-env`); without it the dashboard is read-only. */
  readonly adminToken?: string | undefined;
}

/** How long a burst of edits (an editor writing a file in steps, several files) is coalesced. */
const SETTLE_MS = 50;

/**
 * Serves until SIGTERM / SIGINT, then drains and resolves with the exit code (0 after a drain,
 * 1 when the config is invalid or a port cannot be bound).
 */
export async function serve(options: ServeOptions): Promise<number> {
  const { io } = options;
  const out = styleFor(io.stdout, io.env);
  const err = styleFor(io.stderr, io.env);
  const log = (line: string): void => void io.stdout.write(`switchyard: ${line}\n`);
  // One write per report: a reader of the stream never sees half of it.
  const printProblems = (problems: readonly Problem[], warnings: readonly Problem[], heading = ''): void => {
    const lines = [...warnings.map((w) => `${err.yellow('warning')}: ${formatProblem(w)}\n`), ...problems.map((p) => `${err.red('error')}: ${formatProblem(p)}\n`)];
    if (heading !== '' || lines.length > 0) io.stderr.write(heading + lines.join(''));
  };
  const load = (): Promise<LoadInputsResult> => loadInputs(options.files, { env: options.env, importer: options.importer, backends: options.backends });

  const first = await load();
  if (first.config === undefined || first.problems.length > 0) {
    printProblems(first.problems, first.warnings);
    return 1;
  }
  const transport = createUndiciTransport();
  const compiled = compileLoaded(first.config, first, transport);
  if (compiled.kind === 'invalid') {
    printProblems(compiled.problems, first.warnings);
    await transport.close();
    return 1;
  }
  const gateway = compiled.gateway;
  printProblems([], compiled.warnings);
  const dashboard = gateway.admin(options.adminToken !== undefined ? { operationsToken: options.adminToken } : {});

  let draining = false;
  let started = false;
  const inflight = new Set<ServerResponse>();
  let idle: (() => void) | undefined;

  const traffic = createServer((req: IncomingMessage, res: ServerResponse) => {
    inflight.add(res);
    if (draining) res.setHeader('connection', 'close');
    res.once('close', () => {
      inflight.delete(res);
      if (inflight.size === 0) idle?.();
    });
    gateway
      .handle(fromNodeRequest(req), { signal: clientAbortSignal(res) })
      .then((response) => writeNodeResponse(res, response))
      .catch(() => res.destroy());
  });

  const admin = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/dashboard' || path?.startsWith('/dashboard/') === true) {
      // The dashboard takes POST for its operations (token-gated, admin.ts).
      dashboard(fromNodeRequest(req))
        .then((response) => writeNodeResponse(res, response))
        .catch(() => res.destroy());
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(405, 'text/plain; charset=utf-8', 'method not allowed\n');
    } else if (path === '/metrics') send(200, 'text/plain; version=0.0.4; charset=utf-8', gateway.prometheus());
    else if (path === '/healthz') send(200, 'text/plain; charset=utf-8', 'ok\n');
    else if (path === '/ready') {
      if (started && !draining) send(200, 'text/plain; charset=utf-8', 'ready\n');
      else send(503, 'text/plain; charset=utf-8', draining ? 'draining\n' : 'starting\n');
    } else if (path === '/') {
      res.setHeader('location', '/dashboard/');
      send(302, 'text/plain; charset=utf-8', 'the dashboard is at /dashboard/\n');
    } else send(404, 'text/plain; charset=utf-8', 'not found: the admin port serves /metrics, /healthz, /ready and /dashboard/\n');
  });

  const listen = (server: Server, port: number, host: string, what: string): Promise<AddressInfo | string> =>
    new Promise((resolve) => {
      const onError = (e: Error): void => resolve(`cannot listen on ${host}:${port} (${what}): ${e.message}`);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.removeListener('error', onError);
        resolve(server.address() as AddressInfo);
      });
    });
  const closeServer = (server: Server): Promise<void> => new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));

  const adminAddress = await listen(admin, options.adminPort, options.adminHost, 'admin');
  if (typeof adminAddress === 'string') {
    io.stderr.write(`${err.red('error')}: ${adminAddress}\n`);
    await gateway.stop();
    return 1;
  }
  const trafficAddress = await listen(traffic, options.port, options.host, 'traffic');
  if (typeof trafficAddress === 'string') {
    io.stderr.write(`${err.red('error')}: ${trafficAddress}\n`);
    await closeServer(admin);
    await gateway.stop();
    return 1;
  }
  gateway.start();
  started = true;
  const plan = gateway.plan();
  let watching = '';

  // Reloads run one after another: a burst of edits never interleaves two loads.
  let reloading: Promise<void> = Promise.resolve();
  const reload = (reason: string): void => {
    reloading = reloading.then(async () => {
      if (draining) return;
      const loaded = await load();
      const refused = `${err.red('reload refused')} (${reason}): keeping the running config\n`;
      if (loaded.config === undefined || loaded.problems.length > 0) {
        printProblems(loaded.problems, loaded.warnings, refused);
        return;
      }
      try {
        gateway.reload(loaded.config);
      } catch (e) {
        const issues = issuesOf(e);
        if (issues === undefined) throw e;
        printProblems(toProblems(issues, loaded), loaded.warnings, refused);
        return;
      }
      printProblems([], [...loaded.warnings, ...toProblems(gateway.plan().warnings, loaded)]);
      const p = gateway.plan();
      log(`reloaded (${reason}): ${count(p.routes.length, 'route')}, ${count(p.upstreams.size, 'upstream')}`);
    });
  };

  const watched: { file: string; listener: (curr: Stats, prev: Stats) => void }[] = [];
  if (options.watch) {
    let timer: NodeJS.Timeout | undefined;
    const changed = new Set<string>();
    // A directory is watched through the files it held at start (a new file is read on the next reload).
    const files = await expandInputs(options.files);
    for (const file of files) {
      // Polling (stat by path) rather than inotify: it survives editors that save by renaming a
      // new file over the old one, and works on every file system (network, container mounts).
      const listener = (curr: Stats, prev: Stats): void => {
        if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
        changed.add(file);
        clearTimeout(timer);
        timer = setTimeout(() => {
          const which = [...changed].join(', ');
          changed.clear();
          reload(`${which} changed`);
        }, SETTLE_MS);
      };
      watchFile(file, { interval: options.watchIntervalMs ?? 200, persistent: true }, listener);
      watched.push({ file, listener });
    }
    watching = files.join(', ');
  }

  return new Promise<number>((resolve) => {
    const onHup = (): void => reload('SIGHUP');
    const stop = (signal: string): void => {
      if (draining) {
        io.stderr.write(`switchyard: ${signal} again while draining: exiting now\n`);
        traffic.closeAllConnections();
        finish(1);
        return;
      }
      draining = true;
      log(`${signal}: draining ${inflight.size} in-flight request${inflight.size === 1 ? '' : 's'} (up to ${options.drainTimeoutMs} ms)`);
      for (const res of inflight) if (!res.headersSent) res.setHeader('connection', 'close');
      traffic.close();
      traffic.closeIdleConnections();
      let timeout: NodeJS.Timeout | undefined;
      const drained = new Promise<boolean>((done) => {
        idle = () => done(true);
        if (inflight.size === 0) done(true);
        timeout = setTimeout(() => done(false), options.drainTimeoutMs);
      });
      void drained.then((clean) => {
        clearTimeout(timeout);
        if (!clean) io.stderr.write(`switchyard: drain timeout: cutting ${inflight.size} request${inflight.size === 1 ? '' : 's'} still in flight\n`);
        // Responses done: close the connections that are left (idle keep-alive ones).
        traffic.closeAllConnections();
        finish(0);
      });
    };
    let finished = false;
    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      process.removeListener('SIGHUP', onHup);
      process.removeListener('SIGTERM', onTerm);
      process.removeListener('SIGINT', onInt);
      for (const w of watched) unwatchFile(w.file, w.listener);
      void (async () => {
        await reloading.catch(() => {});
        await gateway.stop();
        admin.closeAllConnections();
        await Promise.all([closeServer(traffic), closeServer(admin)]);
        log(code === 0 ? 'stopped' : 'stopped without draining');
        resolve(code);
      })();
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    // Announced only now: a supervisor (or a test) that signals as soon as it reads "listening"
    // must find the handlers installed, not SIGHUP's default action (terminate).
    log(`listening on ${out.bold(`http://${hostPort(trafficAddress)}`)} (${count(plan.routes.length, 'route')}, ${count(plan.upstreams.size, 'upstream')})`);
    log(`admin on http://${hostPort(adminAddress)} (/metrics, /healthz, /ready, /dashboard/${options.adminToken !== undefined ? ' with operations' : ' read-only'})`);
    if (watching !== '') log(`watching ${watching}`);
  });
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function hostPort(a: AddressInfo): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
