/** 8 kHz → 16 kHz with a low-pass (the 4-8 kHz band stays empty). */
export function upsampleTo16k(pcm: Int16Array): Int16Array;
/** The decoder's input: 16 kHz little-endian PCM as base64. */
export function prepareUtterance(pcm: Int16Array): string;
