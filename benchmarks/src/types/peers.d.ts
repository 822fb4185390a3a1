// Minimal declarations for benchmark peers that ship no types. Only what the suites call.
declare module 'consistent-hash' {
  export default class ConsistentHash {
    constructor(options?: { range?: number; weight?: number; distribution?: 'random' | 'uniform' });
    add(node: string, weight?: number, points?: number[]): this;
    remove(node: string): this;
    get(key: string, count?: number): string | string[] | null;
  }
}
declare module 'hashring' {
  export default class HashRing {
    constructor(servers?: string[] | Record<string, number | { weight?: number; vnodes?: number }>, algorithm?: string, options?: Record<string, unknown>);
    get(key: string): string;
    add(servers: string | string[]): this;
    remove(server: string): this;
  }
}
declare module 'murmurhash3js' {
  const murmur: { x86: { hash32(key: string, seed?: number): number } };
  export default murmur;
}
