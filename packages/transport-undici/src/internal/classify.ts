// The classifier lives in core (shared by every transport); re-exported here under local names.
export type { ClassifiedError as Classified } from '@switchyard/core';
export { classifyAbort, classifyNetworkError, describeError as describe, errorCode, isTimeoutReason } from '@switchyard/core';
