import { describe, expect, it } from 'vitest';
import { matchesAddress } from '../../../../src/telephony/freeswitch/address-match.js';
import { SharedPaths } from '../../../../src/telephony/freeswitch/shared-paths.js';
import { parseDtmfRelay, parseNameAddr } from '../../../../src/telephony/freeswitch/sip-messages.js';
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

  // sipfrag status lines and dial outcomes moved to the shared rules: test/unit/telephony/sip/.
  it('reads dtmf-relay bodies', () => {
    expect(parseDtmfRelay('Signal=10\r\nDuration=100')).toEqual({ digit: '*', durationMs: 100 });
    expect(parseDtmfRelay('Signal= 7')).toEqual({ digit: '7' });
    expect(parseDtmfRelay('Duration=100')).toBeUndefined();
  });

  it('maps shared paths to the folder FreeSWITCH sees and refuses escapes', () => {
    const p = new SharedPaths('/srv/cw/media', '/fs/media');
    expect(p.toRemote('/srv/cw/media/rec/a.wav')).toBe('/fs/media/rec/a.wav');
    expect(() => p.toRemote('/srv/cw/media/../secret.wav')).toThrow(/shared folder/);
    expect(new SharedPaths('/srv/x', '').toRemote('/srv/x/a.wav')).toBe('/srv/x/a.wav');
  });

  it('matches IPv4 addresses and CIDRs', () => {
    expect(matchesAddress('198.51.100.0/24', '198.51.100.7')).toBe(true);
    expect(matchesAddress('198.51.100.0/24', '198.51.101.7')).toBe(false);
    expect(matchesAddress('10.0.0.1', '10.0.0.1')).toBe(true);
    expect(matchesAddress('0.0.0.0/0', '1.2.3.4')).toBe(true);
    expect(matchesAddress('bad/8', '1.2.3.4')).toBe(false);
  });

  it('builds tone streams and refuses silly frequencies', () => {
    expect(toneStream([440], 1000)).toBe('tone_stream://%(1000,0,440)');
    expect(() => toneStream([], 100)).toThrow(/frequencies/);
  });
});
