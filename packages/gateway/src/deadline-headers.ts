/**
 * The deadline a try carries upstream (`ForwardPolicy.propagateDeadline`, forward.ts): Envoy's
 * `x-envoy-expected-rq-timeout-ms` and, for gRPC, `grpc-timeout` in the gRPC over HTTP/2 format.
 */
import type { UpstreamRequest } from '@switchyard/core';

/** Largest value of a `grpc-timeout` header: at most 8 digits (gRPC over HTTP/2 spec). */
const GRPC_TIMEOUT_MAX = 99_999_999;

/**
 * `x-envoy-expected-rq-timeout-ms`, and `grpc-timeout` for a gRPC request (never raising one the
 * client sent). Nothing when there is no timeout (0 means none, as in Envoy).
 */
export function withDeadlineHeaders(request: UpstreamRequest, expectedMs: number): UpstreamRequest {
  if (!(expectedMs > 0) || !Number.isFinite(expectedMs)) return request;
  // 1 ms is the smallest promise (Envoy: "we are out of time, but 1 is the smallest value").
  const ms = Math.max(1, Math.floor(expectedMs));
  const headers: Record<string, string | undefined> = { ...request.headers, 'x-envoy-expected-rq-timeout-ms': String(ms) };
  const contentType = request.headers['content-type'];
  if (contentType !== undefined && /^application\/grpc(?:[+;]|$)/i.test(contentType)) {
    const given = parseGrpcTimeoutMs(request.headers['grpc-timeout']);
    if (given === undefined || given > ms) headers['grpc-timeout'] = formatGrpcTimeout(ms);
  }
  return { ...request, headers };
}

/** Envoy `Grpc::Common::toGrpcTimeout`: milliseconds, then coarser units while over 8 digits. */
export function formatGrpcTimeout(ms: number): string {
  let value = Math.floor(ms);
  if (value <= GRPC_TIMEOUT_MAX) return `${value}m`;
  value = Math.floor(value / 1000);
  if (value <= GRPC_TIMEOUT_MAX) return `${value}S`;
  value = Math.floor(value / 60);
  if (value <= GRPC_TIMEOUT_MAX) return `${value}M`;
  value = Math.floor(value / 60);
  return `${Math.min(value, GRPC_TIMEOUT_MAX)}H`;
}

const GRPC_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };

/** A `grpc-timeout` value in ms, or `undefined` if absent or malformed. */
function parseGrpcTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value.trim());
  if (m === null) return undefined;
  return Number(m[1]) * (GRPC_UNIT_MS[m[2] as string] as number);
}
