/**
 * ReceiverConnection: whether a supervised receiver is connected to its upstream, why not, and
 * when it last heard from it, from two sources: the supervisor's lifecycle (running, restarting
 * after a failure, stopped) and what the receiver itself reports (Receiver.reportConnected and
 * reportDisconnected). It announces changes through `announce` (the supervisor posts them as
 * `input-connectivity` events) once per change, never per attempt:
 *
 * - a failure (an attempt that failed, a connection lost, a restart) is announced once; the
 *   failures after it, while the receiver keeps retrying, are not;
 * - getting connected after an announced failure is announced; the first connection after start
 *   is the normal start, and is not;
 * - an attempt under way (`pending`) and a stop are never announced: nothing failed.
 */
import type { DisconnectedOptions } from './receiver.js';

export interface ConnectionState {
  readonly connected: boolean;
  /** Why not, when not connected. */
  readonly reason?: string;
}

/** What the receiver last said about its link; undefined: it says nothing (connected while it runs). */
type ReceiverLink =
  | { readonly kind: 'connected' }
  | { readonly kind: 'pending' | 'failed'; readonly reason: string }
  | undefined;

type Lifecycle = 'not started' | 'running' | 'restarting' | 'stopped';

export class ReceiverConnection {
  private lifecycle: Lifecycle = 'not started';
  private restartReason = '';
  private link: ReceiverLink;
  /** The last failure seen, kept to explain the attempts that follow it. */
  private lastFailure: string | undefined;
  /** What was last announced; undefined before the first announcement. */
  private announced: boolean | undefined;
  private lastResponse: number | undefined;

  constructor(private readonly announce: (connected: boolean, reason: string) => void) {}

  /** Clock time (epoch ms) the receiver last heard from its upstream. */
  get lastResponseMs(): number | undefined {
    return this.lastResponse;
  }

  get state(): ConnectionState {
    switch (this.lifecycle) {
      case 'not started':
        return { connected: false, reason: 'receiver not started' };
      case 'stopped':
        return { connected: false, reason: 'receiver stopped' };
      case 'restarting':
        return { connected: false, reason: `receiver restarting after: ${this.restartReason}` };
      case 'running':
        break;
    }
    const link = this.link;
    if (link === undefined || link.kind === 'connected') return { connected: true };
    if (link.kind === 'pending' && this.lastFailure !== undefined)
      return { connected: false, reason: `${link.reason} (last failure: ${this.lastFailure})` };
    return { connected: false, reason: link.reason };
  }

  /**
   * The receiver is (re)started by `onStart`: what it said before belongs to its previous run, and
   * what it reports while starting (an attempt under way) counts before anything is announced.
   */
  started(onStart: () => void): void {
    this.lifecycle = 'running';
    this.link = undefined;
    onStart();
    this.settle();
  }

  /** The supervisor stops the receiver to start it again after a backoff. */
  restarting(reason: string): void {
    this.lifecycle = 'restarting';
    this.restartReason = reason;
    this.fail(reason);
  }

  stopped(): void {
    this.lifecycle = 'stopped';
  }

  connected(): void {
    this.link = { kind: 'connected' };
    this.settle();
  }

  disconnected(reason: string, options: DisconnectedOptions = {}): void {
    this.link = { kind: options.pending ? 'pending' : 'failed', reason };
    if (options.pending) return;
    if (this.lifecycle === 'running') this.fail(reason);
  }

  responded(nowMs: number): void {
    this.lastResponse = nowMs;
  }

  private fail(reason: string): void {
    this.lastFailure = reason;
    if (this.announced === false) return;
    this.announced = false;
    this.announce(false, reason);
  }

  /** After a change that may have connected it: announce a recovery from an announced failure. */
  private settle(): void {
    if (!this.state.connected) return;
    this.lastFailure = undefined;
    if (this.announced === false) this.announce(true, 'connected');
    this.announced = true;
  }
}
