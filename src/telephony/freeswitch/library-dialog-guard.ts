/**
 * drachtio-fsmrf 4.1.2 tears down its own dialogs without looking at the result: when FreeSWITCH's
 * outbound event-socket connection for a new endpoint does not arrive within 4 s, its `timeoutFn`
 * (lib/mediaserver.js, createEndpoint and the SRTP branch of connectCaller) calls `dialog.destroy()`
 * and drops the returned Promise. Under overload FreeSWITCH has often released that channel already,
 * so drachtio-server answers the BYE with "unable to find dialog" and drachtio-srf rejects with
 * `ENODIALOG` (lib/drachtio-agent.js): an unhandled rejection, which ends a Node process (measured at
 * 80-160 calls/s on live daemons). fsmrf itself still reports the failure to its caller ("Connection
 * timeout"), so the call gets its outcome; only the orphan rejection must be absorbed.
 *
 * The Srf handed to fsmrf is therefore wrapped: every dialog its createUAC/createUAS produce gets a
 * destroy() whose Promise carries a handler that logs. The Promise returned is the original one, so a
 * caller that awaits destroy() still sees the rejection.
 */
import type { Logger } from '../../logging/logger.js';
import type { Srf } from './drachtio-types.js';

type Callback = (err: unknown, result?: unknown) => void;

interface Destroyable {
  destroy: (...args: unknown[]) => unknown;
}

function isDestroyable(value: unknown): value is Destroyable {
  return typeof value === 'object' && value !== null && typeof (value as Destroyable).destroy === 'function';
}

const guarded = new WeakSet<object>();

function guardDestroy(dialog: unknown, log: Logger): void {
  if (!isDestroyable(dialog) || guarded.has(dialog)) return;
  guarded.add(dialog);
  const original = dialog.destroy.bind(dialog);
  dialog.destroy = (...args: unknown[]): unknown => {
    const result = original(...args);
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        const e = err as { code?: string; message?: string };
        log.debug({ err: e?.message, code: e?.code }, 'dialog teardown failed (the dialog was already gone)');
      });
    }
    return result;
  };
}

/** The Srf fsmrf should see: the same object, but the dialogs it creates cannot reject unobserved. */
export function guardLibraryDialogs(srf: Srf, log: Logger): Srf {
  const wrap =
    (method: 'createUAC' | 'createUAS') =>
    (...args: unknown[]): unknown => {
      // drachtio-srf takes an optional trailing callback (fsmrf's SRTP path uses it).
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        const callback = last as Callback;
        args[args.length - 1] = (err: unknown, dialog?: unknown) => {
          if (!err) guardDestroy(dialog, log);
          callback(err, dialog);
        };
      }
      const target = srf as unknown as Record<string, (...a: unknown[]) => unknown>;
      const result = target[method]?.apply(srf, args);
      if (result instanceof Promise) {
        return result.then((dialog: unknown) => {
          guardDestroy(dialog, log);
          return dialog;
        });
      }
      return result;
    };
  const createUAC = wrap('createUAC');
  const createUAS = wrap('createUAS');
  return new Proxy(srf, {
    get(target, prop, receiver) {
      if (prop === 'createUAC') return createUAC;
      if (prop === 'createUAS') return createUAS;
      const value: unknown = Reflect.get(target, prop, receiver);
      // Methods run on the real Srf, never on the proxy, so their own state stays where it belongs.
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
