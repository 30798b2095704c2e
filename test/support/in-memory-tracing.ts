/**
 * An in-memory OpenTelemetry SDK (sdk-trace-base, a dev dependency) registered as the global
 * tracer provider for the tests of one file, so they can read back the spans sidestream
 * finished; unregistered and shut down after them.
 */
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll } from 'vitest';

export interface InMemoryTracing {
  /** Every finished span, in the order they ended, until reset(). */
  readonly exporter: InMemorySpanExporter;
  readonly provider: BasicTracerProvider;
}

/** Call at the top of a test file (it registers beforeAll and afterAll hooks). */
export function inMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => {
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    trace.disable();
    await provider.shutdown();
  });
  return { exporter, provider };
}
