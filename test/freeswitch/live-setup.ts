import { HELP, REQUIRED, liveEnv } from './live-env.js';

/** Says up front whether the live suite will run, and what it needs when it will not. */
export default function setup(): void {
  if (liveEnv()) return;
  const missing = REQUIRED.filter((k) => !process.env[k]);
  console.log(`\n[test:freeswitch] skipped: ${missing.join(', ')} not set.\n${HELP}\n`);
}
