/**
 * A tiny MaxMind DB writer for tests: enough of the format
 * (https://maxmind.github.io/MaxMind-DB/) to build a database of a handful of networks, so the
 * tests need no downloaded GeoLite2 file (nor MaxMind's test data, which the npm tarballs do not
 * ship). Not for production: no pointers, no deduplication beyond identical records, no aliases
 * of the IPv4 subtree (`::ffff:0:0/96`, `2002::/16`): IPv4 networks live under `::/96`, where
 * readers look IPv4 addresses up.
 *
 * Layout: the binary search tree (`node_count` nodes of two records each), 16 zero bytes, the
 * data section, then `\xAB\xCD\xEFMaxMind.com` and the metadata map.
 */
import { parseCidr } from '@switchyard/core';

/** A value in the data section. Integers ≥ 0 are unsigned (uint16/32/64), others int32 or double. */
export type MmdbValue = string | number | boolean | readonly MmdbValue[] | { readonly [key: string]: MmdbValue } | { readonly $double: number };

/** One network of the database. */
export interface MmdbNetwork {
  /** `81.2.69.0/24`, `2001:db8::/32`. List wider networks before the narrower ones inside them. */
  readonly cidr: string;
  readonly data: { readonly [key: string]: MmdbValue };
}

/** What to write. */
export interface MmdbSpec {
  readonly databaseType: string;
  readonly networks: readonly MmdbNetwork[];
  /** 6 (default: IPv4 networks under `::/96`) or 4 (an IPv4-only tree of depth 32). */
  readonly ipVersion?: 4 | 6;
  /** 24 (default), 28 or 32 bits per record. */
  readonly recordSize?: 24 | 28 | 32;
  readonly languages?: readonly string[];
  readonly description?: string;
}

// Data section types (spec "Output Data Section").
const T_STRING = 2;
const T_DOUBLE = 3;
const T_UINT16 = 5;
const T_UINT32 = 6;
const T_MAP = 7;
const T_INT32 = 8;
const T_UINT64 = 9;
const T_ARRAY = 11;
const T_BOOLEAN = 14;

function control(type: number, size: number): number[] {
  const out: number[] = [];
  const typeBits = type <= 7 ? type << 5 : 0;
  let sizeBits: number;
  const ext: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 29 + 256) {
    sizeBits = 29;
    ext.push(size - 29);
  } else if (size < 285 + 65536) {
    sizeBits = 30;
    const s = size - 285;
    ext.push(s >> 8, s & 0xff);
  } else {
    sizeBits = 31;
    const s = size - 65821;
    ext.push((s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff);
  }
  out.push(typeBits | sizeBits);
  if (type > 7) out.push(type - 7);
  out.push(...ext);
  return out;
}

function uintBytes(n: number | bigint): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  while (v > 0n) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

function utf8(s: string): number[] {
  return [...new TextEncoder().encode(s)];
}

/** Encodes one value of the data section. */
export function encodeValue(value: MmdbValue): number[] {
  if (typeof value === 'string') {
    const bytes = utf8(value);
    return [...control(T_STRING, bytes.length), ...bytes];
  }
  if (typeof value === 'boolean') return control(T_BOOLEAN, value ? 1 : 0);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) {
      const bytes = uintBytes(value);
      const type = value < 0x10000 ? T_UINT16 : value <= 0xffffffff ? T_UINT32 : T_UINT64;
      return [...control(type, bytes.length), ...bytes];
    }
    if (Number.isInteger(value) && value >= -0x80000000) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, value);
      return [...control(T_INT32, 4), ...b];
    }
    return encodeDouble(value);
  }
  if (Array.isArray(value)) return [...control(T_ARRAY, value.length), ...value.flatMap((v) => encodeValue(v as MmdbValue))];
  const obj = value as { readonly [key: string]: MmdbValue };
  if (typeof obj['$double'] === 'number' && Object.keys(obj).length === 1) return encodeDouble(obj['$double']);
  const entries = Object.entries(obj);
  return [...control(T_MAP, entries.length), ...entries.flatMap(([k, v]) => [...encodeValue(k), ...encodeValue(v)])];
}

function encodeDouble(n: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, n);
  return [...control(T_DOUBLE, 8), ...b];
}

interface TrieNode {
  children: [TrieNode | number | undefined, TrieNode | number | undefined];
}

/** The key of a network: 128 bits with IPv4 networks under `::/96`, or 32 bits in an IPv4 tree. */
function networkBits(cidr: string, ipVersion: 4 | 6): { bytes: Uint8Array; prefix: number } {
  const c = parseCidr(cidr);
  if (c === undefined) throw new Error(`bad network ${cidr}`);
  if (ipVersion === 4) {
    if (c.version !== 4) throw new Error(`an IPv4 database cannot hold ${cidr}`);
    return { bytes: c.bytes, prefix: c.prefix };
  }
  if (c.version === 6) return { bytes: c.bytes, prefix: c.prefix };
  const bytes = new Uint8Array(16);
  bytes.set(c.bytes, 12);
  return { bytes, prefix: 96 + c.prefix };
}

/** Writes a database; the bytes are what a reader (`mmdb-lib`) opens. */
export function writeMmdb(spec: MmdbSpec): Uint8Array {
  const recordSize = spec.recordSize ?? 24;
  const ipVersion = spec.ipVersion ?? 6;
  // Data section: one encoded record per distinct data object.
  const data: number[] = [];
  const offsets = new Map<string, number>();
  const root: TrieNode = { children: [undefined, undefined] };
  for (const n of spec.networks) {
    const key = JSON.stringify(n.data);
    let offset = offsets.get(key);
    if (offset === undefined) {
      offset = data.length;
      offsets.set(key, offset);
      data.push(...encodeValue(n.data));
    }
    const { bytes, prefix } = networkBits(n.cidr, ipVersion);
    if (prefix === 0) throw new Error('a /0 network is not supported by this writer');
    let node = root;
    for (let i = 0; i < prefix; i++) {
      const bit = ((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1;
      if (i === prefix - 1) {
        node.children[bit] = -1 - offset; // a leaf: data offset, encoded negative until numbering
        break;
      }
      let next = node.children[bit];
      if (typeof next !== 'object') {
        // A deeper network inside a shorter one's data: split that leaf (its data goes to both halves).
        const inherited = next;
        next = { children: [inherited, inherited] };
        node.children[bit] = next;
      }
      node = next;
    }
  }
  // Number the nodes breadth-first.
  const nodes: TrieNode[] = [];
  const index = new Map<TrieNode, number>();
  const queue: TrieNode[] = [root];
  while (queue.length > 0) {
    const n = queue.shift() as TrieNode;
    index.set(n, nodes.length);
    nodes.push(n);
    for (const c of n.children) if (typeof c === 'object') queue.push(c);
  }
  const nodeCount = nodes.length;
  const record = (c: TrieNode | number | undefined): number => {
    if (c === undefined) return nodeCount; // no data
    if (typeof c === 'object') return index.get(c) as number;
    return nodeCount + 16 + (-1 - c); // data pointer (spec: "Determining the data section offset")
  };
  const nodeBytes = (recordSize * 2) / 8;
  const tree = new Uint8Array(nodeCount * nodeBytes);
  nodes.forEach((n, i) => {
    const left = record(n.children[0]);
    const right = record(n.children[1]);
    const at = i * nodeBytes;
    if (recordSize === 24) {
      tree.set([(left >> 16) & 0xff, (left >> 8) & 0xff, left & 0xff, (right >> 16) & 0xff, (right >> 8) & 0xff, right & 0xff], at);
    } else if (recordSize === 28) {
      tree.set([(left >> 16) & 0xff, (left >> 8) & 0xff, left & 0xff, ((left >> 20) & 0xf0) | ((right >> 24) & 0x0f), (right >> 16) & 0xff, (right >> 8) & 0xff, right & 0xff], at);
    } else {
      const dv = new DataView(tree.buffer);
      dv.setUint32(at, left);
      dv.setUint32(at + 4, right);
    }
  });
  const metadata = encodeValue({
    node_count: nodeCount,
    record_size: recordSize,
    ip_version: ipVersion,
    database_type: spec.databaseType,
    languages: spec.languages ?? ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    description: { en: spec.description ?? 'switchyard test database' },
  });
  const marker = [0xab, 0xcd, 0xef, ...utf8('MaxMind.com')];
  const out = new Uint8Array(tree.length + 16 + data.length + marker.length + metadata.length);
  out.set(tree, 0);
  out.set(data, tree.length + 16);
  out.set(marker, tree.length + 16 + data.length);
  out.set(metadata, tree.length + 16 + data.length + marker.length);
  return out;
}
