import type { Destination } from './sip-transport.js';
import type { TimerRegistry } from './timer-registry.js';

/** RFC 3261 §17 timer values (T1, T2, T4) and the services a transaction needs. */
export interface TransactionContext {
  t1: number;
  t2: number;
  t4: number;
  timers: TimerRegistry;
  send(data: string, dest: Destination): void;
  /** Called once when a transaction reaches Terminated. */
  terminated(key: string, kind: 'server' | 'client'): void;
}
