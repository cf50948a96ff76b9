export { FreeswitchTelephony, type FreeswitchTelephonyDeps } from './freeswitch-telephony.js';
export {
  FreeswitchConfig,
  checkFreeswitchConfig,
  freeswitchConfigIssues,
  type FreeswitchSettings,
} from './config.js';
export { realDrachtio } from './real-drachtio.js';
