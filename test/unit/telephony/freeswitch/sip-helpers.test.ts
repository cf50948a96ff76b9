import { describe, expect, it } from 'vitest';
import { SharedPaths } from '../../../../src/telephony/freeswitch/shared-paths.js';
import { parseNameAddr } from '../../../../src/telephony/freeswitch/sip-messages.js';
import { toneStream } from '../../../../src/telephony/freeswitch/playback-source.js';

describe('freeswitch SIP helpers', () => {
  it.each([
    [
      '"Bob \\"B\\"" <sip:+1415@h;user=phone>;tag=1',
      { uri: 'sip:+1415@h;user=phone', user: '+1415', displayName: 'Bob "B"' },
    ],
    ['Carol <sips:carol@h>', { uri: 'sips:carol@h', user: 'carol', displayName: 'Carol' }],
    ['sip:dave@h;tag=9', { uri: 'sip:dave@h', user: 'dave' }],
    ['<sip:h>', { uri: 'sip:h', user: '' }],
  ])('parses name-addr %s', (value, party) => {
    expect(parseNameAddr(value)).toEqual(party);
  });

  // sipfrag status lines, dial outcomes and INFO DTMF bodies moved to the shared rules: test/unit/telephony/sip/.
  it('maps shared paths to the folder FreeSWITCH sees and refuses escapes', () => {
    const p = new SharedPaths('/srv/cw/media', '/fs/media');
    expect(p.toRemote('/srv/cw/media/rec/a.wav')).toBe('/fs/media/rec/a.wav');
    expect(() => p.toRemote('/srv/cw/media/../secret.wav')).toThrow(/shared folder/);
    expect(new SharedPaths('/srv/x', '').toRemote('/srv/x/a.wav')).toBe('/srv/x/a.wav');
  });

  it('builds tone streams and refuses silly frequencies', () => {
    expect(toneStream([440], 1000)).toBe('tone_stream://%(1000,0,440)');
    expect(() => toneStream([], 100)).toThrow(/frequencies/);
  });
});
