/**
 * Voice activity from frame energy, for when no WebRTC voice flags come with the frames (offline
 * runs, tests, or a deployment without the voice activity worker). A frame is speech when it is
 * louder than an absolute threshold and clearly above the line's noise floor. The floor follows the
 * quietest frames down at once and creeps up slowly (1 dB a second), so a long greeting does not
 * become the floor while a line whose noise rises is still followed.
 */
export class EnergyVoiceActivity {
  private floorDb: number;

  constructor(
    private readonly thresholdDbfs: number,
    private readonly aboveNoiseDb: number,
  ) {
    // Start at the highest floor that still lets speech at the threshold through: speech may come
    // in the very first frame, before any noise has been heard.
    this.floorDb = thresholdDbfs - aboveNoiseDb;
  }

  /** The floor the last frame was judged against (dBFS). */
  get noiseFloorDbfs(): number {
    return this.floorDb;
  }

  /** One 20 ms frame's level (dBFS) in, whether it is speech out. */
  voiced(levelDbfs: number): boolean {
    const speech = levelDbfs >= this.thresholdDbfs && levelDbfs >= this.floorDb + this.aboveNoiseDb;
    if (levelDbfs < this.floorDb) this.floorDb = levelDbfs;
    else this.floorDb += Math.min(levelDbfs - this.floorDb, RISE_DB_PER_FRAME);
    return speech;
  }
}

const RISE_DB_PER_FRAME = 0.02;
