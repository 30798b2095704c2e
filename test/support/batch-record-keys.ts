/** The top-level fields of a batch record, as docs/reference.md lists them (checked by several tests). */
export const BATCH_RECORD_KEYS: readonly string[] = [
  'app',
  'batchTime',
  'submissionTime',
  'processingStartTime',
  'processingEndTime',
  'generationDelayMs',
  'schedulingDelayMs',
  'processingDelayMs',
  'totalDelayMs',
  'numRecords',
  'outcome',
  'inputs',
  'outputOperations',
  'tasks',
];
