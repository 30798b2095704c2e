/**
 * ReceiverSupervisor: runs one Receiver, buffers what it stores until the next batch takes it,
 * restarts it after `restartDelayMs` when it asks to (or throws from onStart), and reports the
 * receiver's lifecycle to the listener bus. This is the minimal in-memory form; blocks and the
 * write-ahead log build on it.
 */
import type { ReceiverReporter } from '../dstream/input-source.js';
import { describeError } from '../errors.js';
import type { Receiver, ReceiverSupervisorHandle } from './receiver.js';

export class ReceiverSupervisor<T> implements ReceiverSupervisorHandle<T> {
  private buffer: T[] = [];
  private isStopped = true;
  private restartTimer: NodeJS.Timeout | undefined;
  restarts = 0;

  constructor(
    private readonly receiver: Receiver<T>,
    private readonly reporter: ReceiverReporter,
    private readonly restartDelayMs: number,
  ) {
    receiver.attachSupervisor(this);
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  start(): void {
    this.isStopped = false;
    this.startReceiver();
  }

  private startReceiver(): void {
    try {
      this.receiver.onStart();
      this.reporter.started();
    } catch (error) {
      this.restart('onStart threw', error);
    }
  }

  push(items: readonly T[]): void {
    if (this.isStopped) return;
    for (const x of items) this.buffer.push(x);
  }

  /** Everything stored since the last call: this batch's records. */
  takeBuffered(): T[] {
    const out = this.buffer;
    this.buffer = [];
    return out;
  }

  restart(reason: string, error?: unknown): void {
    if (this.isStopped || this.restartTimer) return;
    this.reporter.error(error === undefined ? reason : `${reason}: ${describeError(error)}`, error);
    this.safeStop();
    this.restarts++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.isStopped) this.startReceiver();
    }, this.restartDelayMs);
    this.restartTimer.unref();
  }

  reportError(message: string, error?: unknown): void {
    this.reporter.error(error === undefined ? message : `${message}: ${describeError(error)}`, error);
  }

  stop(reason: string): void {
    if (this.isStopped) return;
    this.isStopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.safeStop();
    this.reporter.stopped(reason);
  }

  private safeStop(): void {
    try {
      this.receiver.onStop();
    } catch (error) {
      this.reporter.error(`onStop threw: ${describeError(error)}`, error);
    }
  }
}
