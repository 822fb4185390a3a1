/**
 * `@switchyard/splitter`: sticky weighted splits, canary selectors, A/B/n experiments,
 * blue-green switches and progressive rollouts that analyse themselves and roll back.
 *
 * @packageDocumentation
 */
export { SPLIT_ALGORITHM, BUCKETS, saltSeed, keyHash, bucketOf, backendSeed, assignWeighted, pickByHash, pickByUnit } from './assign.js';
export type { WeightedChoice } from './assign.js';
export type { SplitKeySource, KeySource } from './key.js';
export { readKey } from './key.js';
export type { CanarySelector, CanaryRule } from './selectors.js';
export type { SplitBackend, SplitConfig, SplitDecision, SplitPlan, Splitter } from './split.js';
export { MAX_WEIGHT, compileSplit, withWeights, splitKey, decideSplit, decideByKey, createSplitter } from './split.js';
export type { ExperimentConfig, ExperimentDecision, ExperimentPlan } from './experiment.js';
export { compileExperiment, assignVariant, assignVariantByKey } from './experiment.js';
export type { BlueGreenState, BlueGreen } from './blue-green.js';
export { createBlueGreenState, switchBlueGreen, replaceStandby, createBlueGreen } from './blue-green.js';
export type { SideWindow, AnalysisThresholds, WindowAnalysis, SideSummary, CheckVerdict, CheckResult } from './analysis.js';
export { createSideWindow, observeSide, mergeSideWindow, twoProportionZTest, binomialExcessTest, mannWhitneyU, mannWhitneyHistograms, percentile, quantile, analyseWindow, latencyCheckSettings } from './analysis.js';
export type { LatencyHistogram } from './latency-histogram.js';
export {
  LATENCY_RELATIVE_ACCURACY,
  LATENCY_MIN_MS,
  createLatencyHistogram,
  latencyBucket,
  latencyBucketValue,
  recordLatency,
  mergeLatency,
  latencyQuantile,
  countAbove,
} from './latency-histogram.js';
export type { RolloutConfig, RolloutEvent, RolloutState, RolloutPhase } from './rollout.js';
export type { RolloutController } from './rollout-controller.js';
export {
  startRollout,
  observeRollout,
  nextAnalysisAt,
  evaluateRollout,
  abortRollout,
  promoteRollout,
  retryRollout,
  validateRolloutConfig,
  beginRollout,
  holdRollout,
  failRolloutCheck,
  rollBackRollout,
  describeRollout,
} from './rollout.js';
export { createRolloutController } from './rollout-controller.js';
export type { MetricsBucket, StoredRollout, LeaseResult, Writer, WriteResult, RolloutStore, MemoryRolloutStore, MemoryRolloutStoreOptions } from './rollout-store.js';
export { createMemoryRolloutStore, storableState, bucketStart } from './rollout-store.js';
export type { RolloutDriver, RolloutDriverOptions, RolloutStatus, OperationResult } from './rollout-driver.js';
export { createRolloutDriver } from './rollout-driver.js';
export type { RolloutWebhook, RolloutWebhookType, WebhookCaller, WebhookPayload, WebhookResult } from './rollout-webhooks.js';
export { createTransportWebhookCaller, evaluateWithWebhooks } from './rollout-webhooks.js';
