/**
 * `Handler` and `Layer`: the request → response function and the middleware that wraps it, and
 * their composition.
 */

/** Something that turns a request into a response, asynchronously. */
export type Handler<Req, Res> = (request: Req) => Promise<Res>;

/** A middleware: wraps the next handler (undici's `(dispatch) => dispatch` shape). */
export type Layer<Req, Res> = (next: Handler<Req, Res>) => Handler<Req, Res>;

/**
 * Composes layers around a terminal handler. `layers[0]` is the outermost: it sees the
 * request first and the response last.
 *
 * ```
 * request → layers[0] → layers[1] → … → terminal
 * response ← layers[0] ← layers[1] ← … ←
 * ```
 *
 * @example
 * ```ts
 * import { compose, type Layer } from '@switchyard/core';
 * const log: Layer<string, string> = (next) => async (req) => `[${await next(req)}]`;
 * const upper: Layer<string, string> = (next) => async (req) => next(req.toUpperCase());
 * await compose([log, upper], async (req) => req)('hi'); // '[HI]'
 * ```
 */
export function compose<Req, Res>(layers: ReadonlyArray<Layer<Req, Res>>, terminal: Handler<Req, Res>): Handler<Req, Res> {
  let handler = terminal;
  for (let i = layers.length - 1; i >= 0; i--) handler = (layers[i] as Layer<Req, Res>)(handler);
  return handler;
}
