/**
 * `@switchyard/jwt`: JWT verification policy for switchyard on jose: pinned algorithms, required exp, cached JWKS, the injected clock.
 *
 * @packageDocumentation
 */
export {};
