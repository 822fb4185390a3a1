/**
 * A local identity provider for tests: key pairs, their public JSON Web Key Set served over a
 * {@link Transport} (or as a {@link MockReply}), and a signer whose `iat`/`exp` come from the
 * fake clock, so a `jwt` policy is tested with no external service (`policies.md` §7 #11).
 *
 * Built on jose (a dependency of `@switchyard/testing` for this file only: zero dependencies,
 * WebCrypto, the same library `@switchyard/jwt` verifies with).
 *
 * @module
 */
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { onAbort, type Clock, type Endpoint, type Transport, type TransportResult, type TransportSendOptions, type UpstreamRequest } from '@switchyard/core';
import type { MockReply } from './mock-transport.js';

/** Asymmetric algorithms the test issuer can sign with. */
export type TestJwksAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519';

/** Options of {@link createTestJwks}. */
export interface TestJwksOptions {
  /** The clock `iat`, `nbf` and `exp` are read from (its `wallNow()`). */
  readonly clock: Clock;
  /** One key is generated per algorithm; the first is the default for {@link TestJwks.sign}. Default `['RS256']`. */
  readonly algorithms?: readonly TestJwksAlgorithm[];
  /** `iss` of signed tokens; default `https://issuer.test/`. */
  readonly issuer?: string;
  /** `aud` of signed tokens; default `api`. */
  readonly audience?: string | readonly string[];
  /** `sub` of signed tokens; default `user-1`. */
  readonly subject?: string;
}

/** Per-token options of {@link TestJwks.sign}. */
export interface TestSignOptions {
  /** The key to sign with (default: the current key of `alg`). A kid not in the set signs with a fresh key the set does not hold. */
  readonly kid?: string;
  /** Default: the first configured algorithm. */
  readonly alg?: TestJwksAlgorithm;
  /** `exp` = now + this (seconds); default 300; `null` leaves `exp` out. */
  readonly expiresInS?: number | null;
  /** `nbf` = now + this (seconds); default: no `nbf`. */
  readonly notBeforeInS?: number;
  /** The `typ` header (e.g. `at+jwt`); default `JWT`. */
  readonly typ?: string;
  /** Leave `kid` out of the header. */
  readonly omitKid?: boolean;
}

/** The transport side of a {@link TestJwks}: a {@link Transport} that serves the key set. */
export interface TestJwksTransport extends Transport {
  /** Number of key set requests received. */
  readonly fetches: number;
  /** Every request received, in order. */
  readonly requests: UpstreamRequest[];
  /** While set, requests get this status (e.g. 503) instead of the key set; `undefined` restores it. */
  outage(status: number | undefined): void;
  /** Delay of each answer on the test clock (ms); default 0. */
  delay(ms: number): void;
}

/** A local issuer: keys, their published set, a signer and the transport that serves the set. */
export interface TestJwks {
  readonly issuer: string;
  /** The URL the set is served at (any path answers): use it as the provider's `jwksUri`. */
  readonly jwksUri: string;
  /** The published set (public keys), as an inline `jwks` option or a JSON body. */
  jwks(): { keys: JWK[] };
  /** Signs `claims` (merged over the defaults `iss`, `aud`, `sub`, `iat`, `exp`). */
  sign(claims?: Readonly<Record<string, unknown>>, options?: TestSignOptions): Promise<string>;
  /** Adds a new key for `alg` (default: the first algorithm), publishes it and signs with it from now on; returns its kid. */
  rotate(alg?: TestJwksAlgorithm): Promise<string>;
  /** Removes the key `kid` from the published set (tokens it signed stop verifying once the set is refetched). */
  retire(kid: string): void;
  /** The current kid of `alg` (default: the first algorithm). */
  currentKid(alg?: TestJwksAlgorithm): string;
  /** The public key of `kid` (e.g. to call jose's `jwtVerify` directly). */
  publicKey(kid: string): CryptoKey;
  /** A provider option block for the `jwt` policy, served by {@link TestJwks.transport}. */
  provider(overrides?: Readonly<Record<string, unknown>>): { issuer: string; audiences: string[]; jwksUri: string; algorithms: TestJwksAlgorithm[] };
  readonly transport: TestJwksTransport;
  /** The key set as a `createMockTransport().respondWith(...)` reply. */
  reply(): MockReply;
}

interface KeyEntry {
  readonly kid: string;
  readonly alg: TestJwksAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
}

/**
 * Creates a local issuer with one key per algorithm.
 *
 * @example
 * ```ts
 * import { createTestClock, createTestJwks } from '@switchyard/testing';
 * const clock = createTestClock();
 * const idp = await createTestJwks({ clock, algorithms: ['RS256'] });
 * const token = await idp.sign({ sub: 'alice', scope: 'orders:read' });
 * // jwt policy options: { providers: [idp.provider()] }, policy deps: { transport: idp.transport, clock, ... }
 * ```
 */
export async function createTestJwks(options: TestJwksOptions): Promise<TestJwks> {
  const clock = options.clock;
  const algorithms = options.algorithms ?? ['RS256'];
  if (algorithms.length === 0) throw new TypeError('createTestJwks: algorithms must not be empty');
  const issuer = options.issuer ?? 'https://issuer.test/';
  const audience = options.audience ?? 'api';
  const subject = options.subject ?? 'user-1';
  const jwksUri = `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
  const published: KeyEntry[] = [];
  const current = new Map<TestJwksAlgorithm, KeyEntry>();
  const strays = new Map<string, KeyEntry>();
  const strangers = new Map<TestJwksAlgorithm, KeyEntry>();
  let serial = 0;

  const newKey = async (alg: TestJwksAlgorithm, kid: string): Promise<KeyEntry> => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    return { kid, alg, privateKey, publicKey, jwk };
  };
  const rotate = async (alg: TestJwksAlgorithm = algorithms[0] as TestJwksAlgorithm): Promise<string> => {
    const entry = await newKey(alg, `${alg.toLowerCase()}-${++serial}`);
    published.push(entry);
    current.set(alg, entry);
    return entry.kid;
  };
  for (const alg of algorithms) await rotate(alg);

  const jwks = (): { keys: JWK[] } => ({ keys: published.map((k) => ({ ...k.jwk })) });
  const body = (): string => JSON.stringify(jwks());

  let fetches = 0;
  let outageStatus: number | undefined;
  let delayMs = 0;
  const requests: UpstreamRequest[] = [];
  const transport: TestJwksTransport = {
    get fetches() {
      return fetches;
    },
    requests,
    outage(status) {
      outageStatus = status;
    },
    delay(ms) {
      delayMs = ms;
    },
    send(request: UpstreamRequest, _endpoint: Endpoint, opts: TransportSendOptions): Promise<TransportResult> {
      fetches++;
      requests.push(request);
      const answer = (): TransportResult =>
        outageStatus !== undefined
          ? { kind: 'response', response: { status: outageStatus, headers: {}, body: null } }
          : { kind: 'response', response: { status: 200, headers: { 'content-type': 'application/json' }, body: body() } };
      if (delayMs <= 0) return Promise.resolve(opts.signal.aborted ? { kind: 'error', error: 'canceled', message: 'aborted by caller' } : answer());
      return new Promise((resolve) => {
        let done = false;
        const finish = (r: TransportResult): void => {
          if (done) return;
          done = true;
          cancel();
          removeAbort();
          resolve(r);
        };
        let removeAbort = (): void => {};
        const cancel = clock.setTimer(delayMs, () => finish(answer()));
        removeAbort = onAbort(opts.signal, () => finish({ kind: 'error', error: 'canceled', message: 'aborted by caller' }));
      });
    },
  };

  const find = (kid: string): KeyEntry | undefined => published.find((k) => k.kid === kid) ?? strays.get(kid);

  return {
    issuer,
    jwksUri,
    jwks,
    async sign(claims = {}, signOptions = {}) {
      const alg = signOptions.alg ?? (algorithms[0] as TestJwksAlgorithm);
      let key: KeyEntry | undefined;
      if (signOptions.kid !== undefined) {
        key = find(signOptions.kid);
        if (key === undefined) {
          // A kid the issuer never published: a key pair nobody can verify with (one per
          // algorithm, shared by every unknown kid: RSA key generation is slow).
          let stranger = strangers.get(alg);
          if (stranger === undefined) {
            stranger = await newKey(alg, 'stranger');
            strangers.set(alg, stranger);
          }
          key = { ...stranger, kid: signOptions.kid, jwk: { ...stranger.jwk, kid: signOptions.kid } };
          strays.set(key.kid, key);
        }
      } else {
        key = current.get(alg);
        if (key === undefined) throw new TypeError(`createTestJwks: no key for ${alg}; add it to algorithms`);
      }
      const nowS = Math.floor(clock.wallNow() / 1000);
      const payload: JWTPayload = { iss: issuer, aud: Array.isArray(audience) ? [...audience] : (audience as string), sub: subject, iat: nowS };
      if (signOptions.expiresInS !== null) payload.exp = nowS + (signOptions.expiresInS ?? 300);
      if (signOptions.notBeforeInS !== undefined) payload.nbf = nowS + signOptions.notBeforeInS;
      for (const [k, val] of Object.entries(claims)) {
        if (val === undefined) delete payload[k];
        else payload[k] = val;
      }
      const header = { alg: key.alg, typ: signOptions.typ ?? 'JWT', ...(signOptions.omitKid === true ? {} : { kid: key.kid }) };
      return new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
    },
    rotate,
    retire(kid) {
      const i = published.findIndex((k) => k.kid === kid);
      if (i >= 0) published.splice(i, 1);
    },
    currentKid(alg = algorithms[0] as TestJwksAlgorithm) {
      const key = current.get(alg);
      if (key === undefined) throw new TypeError(`createTestJwks: no key for ${alg}`);
      return key.kid;
    },
    publicKey(kid) {
      const key = find(kid);
      if (key === undefined) throw new TypeError(`createTestJwks: unknown kid ${kid}`);
      return key.publicKey;
    },
    provider(overrides = {}) {
      return { issuer, audiences: Array.isArray(audience) ? [...audience] : [audience as string], jwksUri, algorithms: [...algorithms], ...overrides };
    },
    transport,
    reply: () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: body() }),
  };
}
