import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answeredCall, startRig, type Rig } from './harness.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.telephony.stop();
  rig = undefined;
});

/** A finished 16-bit stereo WAV of `ms` of silence, as FreeSWITCH leaves it once the media bug closes. */
function stereoWav(file: string, ms: number): void {
  const data = Math.round(ms * 8) * 4;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(32000, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data, 40);
  writeFileSync(file, Buffer.concat([h, Buffer.alloc(data)]));
}

describe('freeswitch call leg: whole-call recording', () => {
  it('records in stereo with uuid_record by the FreeSWITCH path, masks while paused, stops and reads the finished file', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const dir = path.join(rig.settings.shared_dir.local, 'recordings', 'in-progress');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'call_1.wav');
    const recording = await leg.recordCall({ path: file });
    const remote = '/fs/shared/recordings/in-progress/call_1.wav';
    recording.pause();
    recording.pause();
    recording.resume();
    stereoWav(file, 1500);
    const result = await recording.stop();
    const uuid = ep.uuid;
    expect(ep.log.filter((l) => l.startsWith('api uuid_'))).toEqual([
      `api uuid_setvar ${uuid} RECORD_STEREO true`,
      `api uuid_setvar ${uuid} record_sample_rate 8000`,
      `api uuid_record ${uuid} start ${remote}`,
      `api uuid_record ${uuid} mask ${remote}`,
      `api uuid_record ${uuid} unmask ${remote}`,
      `api uuid_record ${uuid} stop ${remote}`,
    ]);
    expect(result).toMatchObject({
      path: file,
      durationMs: 1500,
      channels: 2,
      sampleRate: 8000,
      reason: 'stopped',
    });
    expect(await recording.stop()).toBe(result);
  });

  it('refuses a recording outside the shared folder, naming the setting', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    await expect(leg.recordCall({ path: '/tmp/elsewhere.wav' })).rejects.toThrow(
      /freeswitch.shared_dir.local/,
    );
  });
});
