import { describe, expect, it } from 'vitest';
import { Reader } from 'maxmind';
import { writeMmdb } from './mmdb-writer.js';

describe('test mmdb writer', () => {
  it.each([24, 28, 32] as const)('record size %i - mmdb-lib reads back what was written', (recordSize) => {
    const bytes = writeMmdb({
      databaseType: 'Test-City',
      recordSize,
      networks: [
        { cidr: '81.2.69.0/24', data: { country: { iso_code: 'GB' }, location: { latitude: 51.5142, longitude: -0.0931 } } },
        { cidr: '81.2.69.128/25', data: { country: { iso_code: 'GB' }, city: { names: { en: 'London' } } } },
        { cidr: '2001:db8::/32', data: { country: { iso_code: 'DE' }, n: 70000, neg: -3, ok: true, list: ['a', 'b'] } },
      ],
    });
    const reader = new Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    expect(reader.metadata.databaseType).toBe('Test-City');
    expect(reader.get('81.2.69.1')).toEqual({ country: { iso_code: 'GB' }, location: { latitude: 51.5142, longitude: -0.0931 } });
    expect(reader.get('81.2.69.200')).toEqual({ country: { iso_code: 'GB' }, city: { names: { en: 'London' } } });
    expect(reader.getWithPrefixLength('81.2.69.200')[1]).toBe(25);
    expect(reader.get('2001:db8:1::5')).toEqual({ country: { iso_code: 'DE' }, n: 70000, neg: -3, ok: true, list: ['a', 'b'] });
    expect(reader.get('8.8.8.8')).toBeNull();
    expect(reader.get('2001:db9::1')).toBeNull();
  });
});
