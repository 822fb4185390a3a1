import { describe, expect, it } from 'vitest';
import { answerClose, forwardClose, isWebSocketUpgrade, type RelayClientEnd } from './websocket.js';

/** A socket that refuses close codes as the WHATWG `close()` does (only 1000 and 3000-4999). */
function whatwgSocket(readyState = 1): RelayClientEnd & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    readyState,
    calls,
    send: () => undefined,
    close: (...args: unknown[]) => {
      const code = args[0] as number | undefined;
      if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new Error('InvalidAccessError');
      calls.push(args);
    },
  };
}

describe('forwardClose - the other side closes with the code and reason the API allows', () => {
  it.each([
    [1000, 'done', [1000, 'done']],
    [4001, 'app code', [4001, 'app code']],
    [1001, 'going away', [1000, 'going away']],
    [1011, 'crash', [1000, 'crash']],
    [1005, '', []],
    [1006, '', []],
    [undefined, undefined, []],
  ] as const)('code %s is sent as %j', (code, reason, expected) => {
    const ws = whatwgSocket();
    forwardClose(ws, code, reason);
    expect(ws.calls).toEqual([expected]);
  });

  it('a socket already closing or closed is left alone', () => {
    for (const state of [2, 3]) {
      const ws = whatwgSocket(state);
      forwardClose(ws, 1000, 'x');
      expect(ws.calls).toEqual([]);
    }
  });
});

describe('isWebSocketUpgrade - RFC 6455 §4.1 opening handshake', () => {
  it('GET with Upgrade: websocket (any case) only', () => {
    expect(isWebSocketUpgrade(new Request('http://x/', { headers: { upgrade: 'WebSocket', connection: 'Upgrade' } }))).toBe(true);
    expect(isWebSocketUpgrade(new Request('http://x/', { method: 'POST', headers: { upgrade: 'websocket' } }))).toBe(false);
    expect(isWebSocketUpgrade(new Request('http://x/', { headers: { upgrade: 'h2c' } }))).toBe(false);
    expect(isWebSocketUpgrade(new Request('http://x/'))).toBe(false);
  });
});

describe('answerClose - the Close frame a socket received is answered where the runtime did not', () => {
  it('echoes the code while the socket is not yet CLOSED (Workers before web_socket_auto_reply_to_close)', () => {
    for (const state of [1, 2]) {
      const ws = whatwgSocket(state);
      answerClose(ws, 4002, 'bye');
      expect(ws.calls).toEqual([[4002, 'bye']]);
    }
    const noCode = whatwgSocket(2);
    answerClose(noCode, 1005, '');
    expect(noCode.calls).toEqual([[]]);
  });

  it('does nothing once the runtime answered (readyState CLOSED, the spec behaviour)', () => {
    const ws = whatwgSocket(3);
    answerClose(ws, 4002, 'bye');
    expect(ws.calls).toEqual([]);
  });
});
