import { describe, expect, expectTypeOf, it } from 'vitest';
import { jwtOptionsSchema, type InferredJwtOptions, type JwtJwk, type JwtPolicyInput, type JwtPolicyOptions, type JwtProviderInput, type JwtProviderOptions, type JwtTokenSource } from './options.js';
import { parseJwtOptions } from './jwt-policy.js';

describe('jwt options types', () => {
  it('the documented interfaces are the schema inferred input and output types', () => {
    // Compile-time (`pnpm typecheck`): each is assignable to the other, with the same keys, so
    // a key, an optional mark or a type changed on one side only fails the build. (Exact
    // `toEqualTypeOf` cannot be used: valibot's inferred objects are intersections and mapped
    // types, which it tells apart from an interface with the same members.)
    type In = InferredJwtOptions['input'];
    type Out = InferredJwtOptions['output'];
    expectTypeOf<JwtPolicyInput>().toExtend<In>();
    expectTypeOf<In>().toExtend<JwtPolicyInput>();
    expectTypeOf<keyof JwtPolicyInput>().toEqualTypeOf<keyof In>();
    expectTypeOf<JwtProviderInput>().toExtend<In['providers'][number]>();
    expectTypeOf<In['providers'][number]>().toExtend<JwtProviderInput>();
    expectTypeOf<keyof JwtProviderInput>().toEqualTypeOf<keyof In['providers'][number]>();
    expectTypeOf<JwtPolicyOptions>().toExtend<Out>();
    expectTypeOf<Out>().toExtend<JwtPolicyOptions>();
    expectTypeOf<keyof JwtPolicyOptions>().toEqualTypeOf<keyof Out>();
    expectTypeOf<JwtProviderOptions>().toExtend<Out['providers'][number]>();
    expectTypeOf<Out['providers'][number]>().toExtend<JwtProviderOptions>();
    expectTypeOf<keyof JwtProviderOptions>().toEqualTypeOf<keyof Out['providers'][number]>();
    expectTypeOf<JwtTokenSource>().toExtend<Out['token']>();
    expectTypeOf<Out['token']>().toExtend<JwtTokenSource>();
    expectTypeOf<JwtJwk>().toExtend<NonNullable<Out['providers'][number]['jwks']>['keys'][number]>();
    expectTypeOf<NonNullable<Out['providers'][number]['jwks']>['keys'][number]>().toExtend<JwtJwk>();
    expectTypeOf(parseJwtOptions).returns.toEqualTypeOf<JwtPolicyOptions>();
    // And they can fail: nothing extends a type with one key changed, nor a type with every key optional the output.
    expectTypeOf<Out>().not.toExtend<JwtPolicyOptions & { requireExp: never }>();
    expectTypeOf<Partial<JwtPolicyOptions>>().not.toExtend<Out>();
  });

  it('the exported schema fills every default of JwtPolicyOptions', () => {
    const input: JwtPolicyInput = { providers: [{ issuer: 'svc', secret: 'a-32-byte-or-longer-shared-secret!', algorithms: ['HS256'] }] };
    const out = jwtOptionsSchema['~standard'].validate(input);
    expect(out).toMatchObject({ value: {} });
    expect((out as { value: unknown }).value).toEqual({
      providers: [{ issuer: 'svc', secret: 'a-32-byte-or-longer-shared-secret!', algorithms: ['HS256'], requiredClaims: [], subjectClaim: 'sub', cacheMaxAgeMs: 600_000, cooldownMs: 30_000, failedRefetchMs: 1_000, timeoutMs: 5_000 }],
      requireExp: true,
      clockSkewSeconds: 60,
      token: { from: 'bearer' },
      forwardToken: false,
      claimsToAttributes: {},
      claimsToHeaders: {},
      requiredScopes: [],
      allowAnonymous: false,
      realm: 'api',
      verifiedCacheSize: 0,
    } satisfies JwtPolicyOptions);
  });
});
