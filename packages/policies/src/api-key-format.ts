/**
 * The API-key format: `<prefix>_<random>_<checksum>` (Zuplo's `zpka_<random>_<checksum>`,
 * `policies.md` §1.11; GitHub's `ghp_` tokens follow the same plan). The prefix makes a leaked
 * key recognisable to secret scanners; the checksum lets the gateway refuse a mistyped or made-up
 * key without asking the store (no I/O, no cache entry); underscores keep the whole key one
 * double-click selection.
 *
 * - `random`: lower-case hex of `byteLength` (default 24, at least 16: Unkey's minimum)
 *   bytes from a cryptographically secure source (Web Crypto `getRandomValues`, present on Node
 *   ≥ 19, Bun, Deno and edge workers);
 * - `checksum`: CRC-32 (IEEE 802.3, the polynomial of zlib and PNG; GitHub's token checksum
 *   too) of everything before the last `_`, as 8 lower-case hex characters. CRC-32 catches every
 *   error burst of up to 32 bits, so any typo within 8 hex characters; it is not a MAC and adds no
 *   security (the key's entropy does): it only saves a lookup on garbage.
 */

/** Options of {@link generateApiKey}. */
export interface GenerateApiKeyOptions {
  /** `[A-Za-z0-9]{1,16}` (e.g. `sk`, `zpka`); omit for keys without a prefix. */
  readonly prefix?: string | undefined;
  /** Random bytes in the key (default 24, minimum 16). */
  readonly byteLength?: number | undefined;
  /** Fills `bytes` with secure random bytes (default `crypto.getRandomValues`); for tests only. */
  readonly random?: ((bytes: Uint8Array) => void) | undefined;
}

/** What the format check needs to know. */
export interface ApiKeyFormat {
  readonly prefix?: string | undefined;
  /** Require a valid checksum. */
  readonly checksum: boolean;
  /** Longest key accepted (characters). */
  readonly maxLength: number;
}

/** A prefix: 1 to 16 letters and digits. */
export const API_KEY_PREFIX = /^[A-Za-z0-9]{1,16}$/;

const HEX = '0123456789abcdef';

/**
 * Makes a new API key with a checksum the `api-key` policy verifies offline (`checksum: true`).
 * Store only its digest ({@link digestApiKey}); show the key to its owner once.
 *
 * @example
 * ```ts
 * import { digestApiKey, generateApiKey } from '@switchyard/policies';
 * const key = generateApiKey({ prefix: 'sk' }); // 'sk_3f9c…(48 hex)…_1a2b3c4d'
 * const digest = digestApiKey(key);             // what the key store keeps
 * ```
 * @throws TypeError for an invalid prefix or byte length, or when no secure random source exists.
 */
export function generateApiKey(options: GenerateApiKeyOptions = {}): string {
  const prefix = options.prefix;
  if (prefix !== undefined && !API_KEY_PREFIX.test(prefix)) throw new TypeError('prefix must be 1 to 16 letters or digits');
  const n = options.byteLength ?? 24;
  if (!(Number.isInteger(n) && n >= 16 && n <= 128)) throw new TypeError('byteLength must be an integer in [16, 128]');
  const bytes = new Uint8Array(n);
  const random = options.random ?? secureRandom();
  random(bytes);
  let body = prefix === undefined ? '' : `${prefix}_`;
  for (const b of bytes) body += (HEX[b >> 4] as string) + (HEX[b & 15] as string);
  return `${body}_${crc32Hex(body)}`;
}

/**
 * Whether `key` can be a key of this format, decided offline: length and characters (visible
 * ASCII without spaces, as RFC 6750's `b64token` and RFC 7230's `token` are), the prefix, and
 * the checksum when required.
 */
export function isWellFormedApiKey(key: string, format: ApiKeyFormat): boolean {
  const n = key.length;
  if (n === 0 || n > format.maxLength) return false;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  const prefix = format.prefix;
  if (prefix !== undefined && !(key.startsWith(prefix) && key.charCodeAt(prefix.length) === 95)) return false;
  if (!format.checksum) return true;
  const cut = key.lastIndexOf('_');
  // `<body>_<8 hex>`, and the body has random characters after the prefix.
  if (cut < 1 || n - cut !== 9 || (prefix !== undefined && cut <= prefix.length + 1)) return false;
  return key.slice(cut + 1) === crc32Hex(key.slice(0, cut));
}

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of the Latin-1 bytes of `s`, as 8 lower-case hex characters. */
export function crc32Hex(s: string): string {
  // Bitwise, no table: keys are short, and a table would be module state built at import.
  let crc = -1;
  for (let i = 0; i < s.length; i++) {
    crc ^= s.charCodeAt(i) & 0xff;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  crc = ~crc >>> 0;
  let out = '';
  for (let b = 28; b >= 0; b -= 4) out += HEX[(crc >>> b) & 15] as string;
  return out;
}

interface WebCrypto {
  getRandomValues(bytes: Uint8Array): Uint8Array;
}

function secureRandom(): (bytes: Uint8Array) => void {
  // Web Crypto is a global on every runtime we support; the package compiles without DOM types.
  const c = (globalThis as { crypto?: Partial<WebCrypto> }).crypto;
  if (c === undefined || typeof c.getRandomValues !== 'function') throw new TypeError('generateApiKey needs crypto.getRandomValues (Web Crypto)');
  const get = c.getRandomValues.bind(c);
  return (bytes) => {
    get(bytes);
  };
}
