import { describe, expect, test } from 'vitest';
import { styleFor } from './output.js';

describe('styleFor', () => {
  test('styleFor - colour on a TTY only, and never with NO_COLOR set', () => {
    expect(styleFor({ write: () => true, isTTY: true }, {}).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(styleFor({ write: () => true, isTTY: false }, {}).red('x')).toBe('x');
    expect(styleFor({ write: () => true }, {}).bold('x')).toBe('x');
    expect(styleFor({ write: () => true, isTTY: true }, { NO_COLOR: '1' }).red('x')).toBe('x');
    // no-color.org: an empty NO_COLOR does not disable colour.
    expect(styleFor({ write: () => true, isTTY: true }, { NO_COLOR: '' }).green('x')).toBe('\u001b[32mx\u001b[39m');
  });
});
