import path from 'node:path';

/**
 * Maps file paths between Callwright's view of the shared folder and FreeSWITCH's view of it (a docker
 * volume is mounted at different paths in the two containers). FreeSWITCH can only play and record
 * inside that folder, so paths outside it are refused with a message naming the folder.
 */
export class SharedPaths {
  readonly local: string;
  readonly remote: string;

  constructor(local: string, remote: string) {
    this.local = path.resolve(local);
    this.remote = remote ? remote.replace(/\/+$/, '') || '/' : this.local;
  }

  /** Callwright path → the path FreeSWITCH opens. */
  toRemote(localPath: string): string {
    const abs = path.resolve(localPath);
    const rel = path.relative(this.local, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new Error(
        `path: got ${JSON.stringify(localPath)}, expected a file inside the shared folder ${this.local} ` +
          '(freeswitch.shared_dir.local), which FreeSWITCH can read',
      );
    }
    return rel === '' ? this.remote : path.posix.join(this.remote, ...rel.split(path.sep));
  }
}
