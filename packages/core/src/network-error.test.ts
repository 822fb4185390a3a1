import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAbort, classifyNetworkError, describeError, errorCode } from './network-error.js';

const target = 'http://127.0.0.1:8081';
const coded = (code: string, message = `${code} happened`) => Object.assign(new Error(message), { code });

describe('classifyNetworkError', () => {
  const table: [string, unknown, string | undefined][] = [
    ['ECONNREFUSED', coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8081'), 'connect'],
    ['ENOTFOUND', coded('ENOTFOUND'), 'connect'],
    ['EAI_AGAIN', coded('EAI_AGAIN'), 'connect'],
    ['EHOSTUNREACH', coded('EHOSTUNREACH'), 'connect'],
    ['UND_ERR_CONNECT_TIMEOUT', coded('UND_ERR_CONNECT_TIMEOUT'), 'connect'],
    ['a TLS certificate error', coded('ERR_TLS_CERT_ALTNAME_INVALID'), 'connect'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', coded('DEPTH_ZERO_SELF_SIGNED_CERT'), 'connect'],
    ['UND_ERR_HEADERS_TIMEOUT', coded('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    ['UND_ERR_SOCKET', coded('UND_ERR_SOCKET', 'other side closed'), 'reset'],
    ['ECONNRESET', coded('ECONNRESET'), 'reset'],
    ['EPIPE', coded('EPIPE'), 'reset'],
    ['a parser error code', coded('HPE_INVALID_CONSTANT'), 'reset'],
    ['an HTTPParserError without code', Object.assign(new Error('bad response'), { name: 'HTTPParserError' }), 'reset'],
    ['a code-less socket hang up', new Error('socket hang up'), 'reset'],
    ['UND_ERR_DESTROYED (pool closed under the request)', coded('UND_ERR_DESTROYED'), 'canceled'],
    ['UND_ERR_INVALID_ARG (a bug)', coded('UND_ERR_INVALID_ARG'), undefined],
    ['a plain Error (a bug)', new Error('boom'), undefined],
  ];
  for (const [name, err, kind] of table) {
    it(`${name} - ${kind ?? 'is not a network fault'}`, () => {
      const c = classifyNetworkError(err, target);
      expect(c?.error).toBe(kind);
      if (c !== undefined) expect(c.message).toContain(target);
    });
  }

  it('happy-eyeballs AggregateError - classified by its inner errors, every address named', () => {
    const agg = Object.assign(new AggregateError([coded('ECONNREFUSED', 'connect ECONNREFUSED ::1:8081'), coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8081')], ''), {
      code: 'ECONNREFUSED',
    });
    const c = classifyNetworkError(agg, target);
    expect(c?.error).toBe('connect');
    expect(c?.message).toContain('::1:8081');
    expect(c?.message).toContain('127.0.0.1:8081');
  });

  it('errorCode - follows causes and inner errors', () => {
    expect(errorCode(new TypeError('fetch failed', { cause: coded('ECONNRESET') }))).toBe('ECONNRESET');
    expect(errorCode(new AggregateError([new Error('x'), coded('EPIPE')]))).toBe('EPIPE');
    expect(errorCode('nope')).toBeUndefined();
  });

  it('never throws and returns a known kind for any thrown value', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), (value, code) => {
        for (const err of [value, coded(code), Object.assign(new Error(), { errors: [value] })]) {
          const c = classifyNetworkError(err, target);
          if (c !== undefined) expect(['connect', 'timeout', 'reset', 'canceled']).toContain(c.error);
          expect(typeof describeError(err)).toBe('string');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('classifyAbort', () => {
  const signal = (reason: unknown) => ({ aborted: true, reason, addEventListener() {}, removeEventListener() {} });
  it('a TimeoutError reason - timeout', () => {
    expect(classifyAbort(signal(new DOMException('t', 'TimeoutError')), target).error).toBe('timeout');
  });
  it('any other reason - canceled', () => {
    expect(classifyAbort(signal(new DOMException('a', 'AbortError')), target).error).toBe('canceled');
    expect(classifyAbort(signal('hedge lost'), target)).toEqual({ error: 'canceled', message: `request to ${target} was canceled (hedge lost)` });
  });
});
