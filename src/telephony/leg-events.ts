import { EventEmitter } from 'node:events';
import type { CallLegEvents, Listener } from './port.js';

/**
 * Typed wrapper over EventEmitter for the port's CallLeg events, shared by every backend. Each listener
 * runs on its own: one that throws is reported to `onListenerError` and never breaks the leg or keeps
 * the listeners after it from running.
 */
export class CallLegEmitter {
  private readonly emitter = new EventEmitter();

  constructor(private readonly onListenerError: (err: unknown, event: keyof CallLegEvents) => void) {
    this.emitter.setMaxListeners(50);
  }

  on<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void {
    this.emitter.on(event, listener);
  }

  off<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void {
    this.emitter.off(event, listener);
  }

  emit<K extends keyof CallLegEvents>(event: K, payload: CallLegEvents[K]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as Listener<CallLegEvents[K]>)(payload);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }

  removeAll(): void {
    this.emitter.removeAllListeners();
  }
}
