/**
 * Flagger's rollout webhooks (`flagger.app/v1beta1` `Canary.spec.analysis.webhooks[]`, docs
 * `usage/webhooks.md`, code `pkg/controller/scheduler_hooks.go`, `webhook.go`): POST calls
 * through the injected {@link Transport} that gate a rollout on a load test, a smoke test or a
 * human, with the same types and the same meaning:
 *
 * | type | when | a failure (status > 202, an error or a timeout) |
 * |---|---|---|
 * | `confirm-rollout` | before the canary gets any traffic, every interval | the rollout stays `waiting` at 0 % |
 * | `pre-rollout` | once, before the first check | a failed check |
 * | `rollout` (default) | every check, before the metrics | a failed check |
 * | `confirm-traffic-increase` | before each weight increase | the step waits (no failed check) |
 * | `confirm-promotion` | before the promotion to 100 % | the promotion waits; checks go on |
 * | `post-rollout` | after success or rollback | ignored (logged in the event) |
 * | `rollback` | every interval while running | **a 2xx rolls back now** (inverted sense) |
 *
 * The payload is Flagger's `{ name, namespace, phase, checksum, metadata }` (namespace empty,
 * checksum = `<rollout>:<revision>`), and every call carries `x-switchyard-idempotency-key:
 * <rollout>:<revision>:<type>`: a lease guarantees one evaluator at a time, not exactly-once
 * calls (a holder may call and then lose its lease before writing), so receivers deduplicate.
 *
 * @packageDocumentation
 */
import { createAbortController, createEndpoint, type Clock, type Transport } from '@switchyard/core';
import { beginRollout, evaluateRollout, failRolloutCheck, holdRollout, nextAnalysisAt, rollBackRollout, type RolloutConfig, type RolloutEvent, type RolloutState } from './rollout.js';

/** Flagger's webhook types. */
export type RolloutWebhookType = 'confirm-rollout' | 'pre-rollout' | 'rollout' | 'confirm-traffic-increase' | 'confirm-promotion' | 'post-rollout' | 'rollback';

/** One webhook. */
export interface RolloutWebhook {
  readonly name: string;
  /** Default `rollout` (as Flagger). */
  readonly type?: RolloutWebhookType;
  /** `http(s)://host[:port]/path`. */
  readonly url: string;
  /** Per attempt, ms (default 10 000, Flagger's `timeout: 10s`). */
  readonly timeoutMs?: number;
  /** Extra attempts after a failed one (default 0). */
  readonly retries?: number;
  /** Sent as `metadata` in the payload. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The result of one webhook call (after its retries). */
export interface WebhookResult {
  readonly ok: boolean;
  /** What happened, for events: `200`, `503`, `timeout after 10000 ms`, `connect: ECONNREFUSED …`. */
  readonly detail: string;
}

/** Calls one webhook with its payload. */
export type WebhookCaller = (hook: RolloutWebhook, payload: WebhookPayload, idempotencyKey: string) => Promise<WebhookResult>;

/** Flagger's payload. */
export interface WebhookPayload {
  readonly name: string;
  readonly namespace: string;
  readonly phase: string;
  readonly checksum: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * A {@link WebhookCaller} over a transport: POST JSON, a per-attempt timeout on `clock`,
 * `retries` more attempts on failure; success is a status ≤ 202 (Flagger `webhook.go`:
 * `StatusCode > 202` is an error).
 *
 * @example
 * ```ts
 * import { systemClock } from '@switchyard/core';
 * import { createTransportWebhookCaller } from '@switchyard/splitter';
 * // const call = createTransportWebhookCaller({ transport, clock: systemClock });
 * ```
 */
export function createTransportWebhookCaller(deps: { readonly transport: Transport; readonly clock: Clock }): WebhookCaller {
  return async (hook, payload, idempotencyKey) => {
    const url = parseUrl(hook.url);
    const endpoint = createEndpoint({ id: `webhook:${hook.name}`, url: `${url.scheme}://${url.host}` });
    const body = JSON.stringify(payload);
    const attempts = 1 + Math.max(0, hook.retries ?? 0);
    let detail = '';
    for (let i = 0; i < attempts; i++) {
      const controller = createAbortController();
      const timeoutMs = hook.timeoutMs ?? 10_000;
      let timedOut = false;
      const cancel = deps.clock.setTimer(timeoutMs, () => {
        timedOut = true;
        controller.abort();
      });
      try {
        const r = await deps.transport.send(
          { method: 'POST', path: url.path, headers: { host: url.host, 'content-type': 'application/json', 'x-switchyard-idempotency-key': idempotencyKey }, body },
          endpoint,
          { signal: controller.signal },
        );
        if (r.kind === 'response') {
          await drain(r.response.body);
          detail = String(r.response.status);
          if (r.response.status <= 202) return { ok: true, detail };
        } else detail = timedOut ? `timeout after ${timeoutMs} ms` : `${r.error}: ${r.message}`;
      } finally {
        cancel();
      }
    }
    return { ok: false, detail: attempts > 1 ? `${detail} (after ${attempts} attempts)` : detail };
  };
}

/** `scheme://host[:port]/path?query` (no `URL` global in runtime-neutral code). */
function parseUrl(raw: string): { scheme: string; host: string; path: string } {
  const m = /^(https?):\/\/([^/?#]+)([^#]*)/i.exec(raw);
  if (m === null) throw new TypeError(`webhook url must be http(s)://host/path, got ${JSON.stringify(raw)}`);
  const path = m[3] ?? '';
  return { scheme: (m[1] as string).toLowerCase(), host: m[2] as string, path: path === '' ? '/' : path.startsWith('?') ? `/${path}` : path };
}

/** Validates webhooks (paths relative to the rollout). */
export function webhookIssues(hooks: readonly RolloutWebhook[] | undefined): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const names = new Set<string>();
  (hooks ?? []).forEach((h, i) => {
    if (!/^https?:\/\/[^/?#]+/i.test(h.url)) out.push({ path: `webhooks[${i}].url`, message: 'must be an http(s) URL' });
    if (names.has(h.name)) out.push({ path: `webhooks[${i}].name`, message: `duplicate webhook name ${JSON.stringify(h.name)}` });
    names.add(h.name);
    if (h.timeoutMs !== undefined && !(h.timeoutMs > 0)) out.push({ path: `webhooks[${i}].timeoutMs`, message: 'must be > 0' });
    if (h.retries !== undefined && !(Number.isInteger(h.retries) && h.retries >= 0)) out.push({ path: `webhooks[${i}].retries`, message: 'must be an integer >= 0' });
  });
  return out;
}

async function drain(body: unknown): Promise<void> {
  if (body !== null && typeof body === 'object' && Symbol.asyncIterator in body) {
    try {
      for await (const _ of body as AsyncIterable<unknown>) {
        // discard
      }
    } catch {
      // A body that fails after a status: the status is the answer.
    }
  }
}

async function run(config: RolloutConfig, state: RolloutState, type: RolloutWebhookType, call: WebhookCaller): Promise<Array<{ hook: RolloutWebhook; result: WebhookResult }>> {
  const hooks = (config.webhooks ?? []).filter((h) => (h.type ?? 'rollout') === type);
  const payloadPhase = state.phase;
  return Promise.all(
    hooks.map(async (hook) => {
      const payload: WebhookPayload = { name: config.name, namespace: '', phase: payloadPhase, checksum: `${config.name}:${state.revision}`, metadata: hook.metadata ?? {} };
      let result: WebhookResult;
      try {
        result = await call(hook, payload, `${config.name}:${state.revision}:${type}`);
      } catch (e) {
        result = { ok: false, detail: e instanceof Error ? e.message : String(e) };
      }
      return { hook, result };
    }),
  );
}

const describe = (rs: ReadonlyArray<{ hook: RolloutWebhook; result: WebhookResult }>): string => rs.map((r) => `${r.hook.name} answered ${r.result.detail}`).join(', ');

/**
 * {@link evaluateRollout} with the webhooks of the config, in Flagger's order (scheduler.go):
 * `confirm-rollout` while waiting; `rollback` (a 2xx rolls back now); `pre-rollout` once and
 * `rollout` at every check (a failure is a failed check); then the metric check, whose weight
 * increase waits for `confirm-traffic-increase` and whose promotion waits for
 * `confirm-promotion`; `post-rollout` after success or rollback. Mutates `state`; returns the
 * events. A config without webhooks behaves exactly as {@link evaluateRollout}.
 */
export async function evaluateWithWebhooks(config: RolloutConfig, state: RolloutState, now: number, call: WebhookCaller): Promise<RolloutEvent[]> {
  const hooks = config.webhooks ?? [];
  if (hooks.length === 0) return evaluateRollout(config, state, now);
  const due = nextAnalysisAt(config, state);
  if (due === undefined || now < due) return [];
  const has = (t: RolloutWebhookType): boolean => hooks.some((h) => (h.type ?? 'rollout') === t);
  const events: RolloutEvent[] = [];
  const after = async (): Promise<void> => {
    if (!has('post-rollout') || (state.phase !== 'succeeded' && state.phase !== 'rolled-back')) return;
    await run(config, state, 'post-rollout', call); // logged only (Flagger)
  };

  if (state.phase === 'waiting') {
    const rs = await run(config, state, 'confirm-rollout', call);
    const failed = rs.filter((r) => !r.result.ok);
    const e = failed.length === 0 ? beginRollout(config, state, now, `confirm-rollout approved (${describe(rs)})`) : holdRollout(config, state, now, `waiting for confirm-rollout: ${describe(failed)}`, true);
    if (e !== undefined) events.push(e);
    return events;
  }
  if (has('rollback')) {
    const go = (await run(config, state, 'rollback', call)).filter((r) => r.result.ok);
    if (go.length > 0) {
      const e = rollBackRollout(config, state, now, `rollback webhook: ${describe(go)}`);
      if (e !== undefined) events.push(e);
      await after();
      return events;
    }
  }
  const pre = !state.preRolloutDone && has('pre-rollout') ? await run(config, state, 'pre-rollout', call) : [];
  const each = has('rollout') ? await run(config, state, 'rollout', call) : [];
  const failed = [...pre, ...each].filter((r) => !r.result.ok);
  if (failed.length > 0) {
    events.push(failRolloutCheck(config, state, now, `webhook failed: ${describe(failed)}`));
    await after();
    return events;
  }
  if (pre.length > 0) state.preRolloutDone = true;

  const next = JSON.parse(JSON.stringify(state)) as RolloutState;
  const produced = evaluateRollout(config, next, now);
  const gate: RolloutWebhookType | undefined = next.phase === 'succeeded' ? 'confirm-promotion' : next.weightPercent > state.weightPercent ? 'confirm-traffic-increase' : undefined;
  if (gate !== undefined && has(gate)) {
    const no = (await run(config, state, gate, call)).filter((r) => !r.result.ok);
    if (no.length > 0) {
      events.push(holdRollout(config, state, now, `check passed at ${state.weightPercent}%; waiting for ${gate}: ${describe(no)}`, true));
      return events;
    }
  }
  Object.assign(state, next);
  events.push(...produced);
  await after();
  return events;
}
