/**
 * Where the command writes, and how: colour only on a terminal and never with `NO_COLOR`
 * (https://no-color.org: any non-empty value).
 */

/** A stream the command writes to (`process.stdout`, `process.stderr`, or a test buffer). */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
}

/** What the command runs with. */
export interface CommandIo {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /** The environment: `NO_COLOR`, and the variables `--env` substitutes. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** ANSI styles, or identity functions when colour is off. */
export interface Style {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly cyan: (s: string) => string;
}

const plain = (s: string): string => s;
const sgr =
  (open: number, close: number) =>
  (s: string): string =>
    `\u001b[${open}m${s}\u001b[${close}m`;

/** The style for `stream`: colour only when it is a TTY and `NO_COLOR` is unset or empty. */
export function styleFor(stream: OutStream, env: CommandIo['env']): Style {
  const on = stream.isTTY === true && (env['NO_COLOR'] ?? '') === '';
  if (!on) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}
