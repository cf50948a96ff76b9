import { createRequire } from 'node:module';
import type { DrachtioFactory, Mrf, Srf } from './drachtio-types.js';

// drachtio-srf and drachtio-fsmrf are CommonJS; load them lazily so the embedded backend never pays for them.
const require = createRequire(import.meta.url);

export function realDrachtio(): DrachtioFactory {
  return {
    createSrf(): Srf {
      const SrfClass = require('drachtio-srf') as any;
      return new SrfClass() as Srf;
    },
    createMrf(srf: Srf): Mrf {
      const MrfClass = require('drachtio-fsmrf') as any;
      return new MrfClass(srf) as Mrf;
    },
  };
}
