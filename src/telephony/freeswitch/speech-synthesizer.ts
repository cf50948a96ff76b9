/**
 * What the freeswitch backend needs from the speech layer: text in, the path of a cached WAV out.
 * The speech layer (src/speech/) implements it; it is passed in so this folder never imports it.
 * The WAV must be written inside the shared folder so FreeSWITCH can play it.
 */
export interface SpeechSynthesizer {
  synthesize(text: string, options?: { voice?: string; language?: string }): Promise<string>;
}
