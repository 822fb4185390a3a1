import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TOKEN_BUCKET_LUA, TOKEN_BUCKET_SHA1 } from './script.js';

describe('script', () => {
  it('TOKEN_BUCKET_SHA1 is the SHA1 of the script (update it with the script)', () => {
    expect(createHash('sha1').update(TOKEN_BUCKET_LUA).digest('hex')).toBe(TOKEN_BUCKET_SHA1);
  });
});
