import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore, digestApiKey } from './index.js';

const hex = (key: string) => digestApiKey(key).slice('sha256:'.length);

describe('createMemoryKeyStore', () => {
  it('finds consumers by digest, from plaintext keys or sha256: digests; never by the key itself', () => {
    const store = createMemoryKeyStore([
      { id: 'acme', tier: 'gold', metadata: { plan: 'p' }, keys: ['k1', digestApiKey('k2')] },
    ]);
    expect(store.lookup(hex('k1'))).toEqual({ id: 'acme', tier: 'gold', metadata: { plan: 'p' } });
    expect(store.lookup(hex('k2'))?.id).toBe('acme');
    expect(store.lookup('k1')).toBeUndefined();
    expect(store.size).toBe(2);
  });

  it('digestApiKey - sha256: + the hex SHA-256 of the key', () => {
    expect(digestApiKey('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('put replaces a consumer and its keys; revokeKey and removeConsumer', () => {
    const store = createMemoryKeyStore([{ id: 'a', keys: ['k1', 'k2'] }]);
    store.put({ id: 'a', tier: 'new', keys: ['k3'] });
    expect(store.lookup(hex('k1'))).toBeUndefined();
    expect(store.lookup(hex('k3'))).toEqual({ id: 'a', tier: 'new' });
    store.put({ id: 'b', keys: ['k4', 'k5'] });
    expect(store.revokeKey('k4')).toBe(true);
    expect(store.revokeKey('k4')).toBe(false);
    expect(store.lookup(hex('k5'))?.id).toBe('b');
    expect(store.removeConsumer('b')).toBe(true);
    expect(store.lookup(hex('k5'))).toBeUndefined();
    expect(store.size).toBe(1);
  });

  it('refuses a key shared by two consumers, a consumer given twice and a malformed digest', () => {
    expect(() => createMemoryKeyStore([{ id: 'a', keys: ['k'] }, { id: 'b', keys: ['k'] }])).toThrow(/already has/);
    expect(() => createMemoryKeyStore([{ id: 'a', keys: [] }, { id: 'a', keys: [] }])).toThrow(/given twice/);
    expect(() => createMemoryKeyStore([{ id: 'a', keys: ['sha256:abc'] }])).toThrow(/64 hex/);
  });
});
