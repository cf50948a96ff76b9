import type { Command } from 'commander';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { describeIssues, CallwrightError } from '../../errors.js';
import { csvHeaderBytes, importContactsCsv, type ImportProgress } from '../../contacts/csv-import.js';
import { loadCliConfig, openStore, type Io } from '../context.js';
import { isPhoneCountry, PHONE_COUNTRY_EXPECTED } from '../../util/phone-number.js';

function rowCount(n: number): string {
  return `${n} ${n === 1 ? 'row' : 'rows'}`;
}

/** Bytes the header record of `file` takes (progress counts only the rows). */
function headerBytes(file: string): number {
  const head = Buffer.alloc(64 * 1024);
  const fd = openSync(file, 'r');
  try {
    return csvHeaderBytes(head.subarray(0, readSync(fd, head, 0, head.length, 0)));
  } finally {
    closeSync(fd);
  }
}

/** Reports progress: a bar on a terminal, otherwise a plain line at each further tenth of the rows' bytes. */
function progressReporter(
  io: Io,
  totalBytes: number,
  skipBytes: number,
): { update: (p: ImportProgress) => void; stop: () => void } {
  const span = Math.max(totalBytes - skipBytes, 1);
  const done = (p: ImportProgress): number => Math.min(Math.max(p.bytes - skipBytes, 0), span);
  if (io.tty) {
    const bar = new cliProgress.SingleBar(
      { format: 'importing [{bar}] {percentage}% | {rows}', stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(span, 0, { rows: rowCount(0) });
    let running = true;
    const stop = (): void => {
      if (running) bar.stop();
      running = false;
    };
    return { update: (p) => bar.update(done(p), { rows: rowCount(p.rows) }), stop };
  }
  let lastTenth = 0;
  let last: ImportProgress | undefined;
  return {
    update: (p) => {
      last = p;
      const tenth = Math.floor((done(p) / span) * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        io.err(`progress: ${tenth * 10}% (${rowCount(p.rows)})`);
      }
    },
    stop: () => {
      if (last && lastTenth < 10) io.err(`progress: 100% (${rowCount(last.rows)})`);
      lastTenth = 10;
    },
  };
}

export function contactsCommand(program: Command, io: Io): void {
  const contacts = program.command('contacts').description('Contacts');
  contacts
    .command('import <file>')
    .description(
      'Import contacts from CSV: phone,first_name,last_name,email,timezone,tags,lists (+ any column as a property); ' +
        'matched by phone, so re-importing a file changes nothing',
    )
    .option(
      '--country <code>',
      'ISO 3166-1 alpha-2 country of numbers written in national form, e.g. GB (default: contacts.default_country)',
    )
    .option('--calling-code <digits>', 'country calling code for numbers written in national form, e.g. 44')
    .action(async (file: string, opts: { country?: string; callingCode?: string }) => {
      if (opts.country !== undefined && !isPhoneCountry(opts.country)) {
        throw new CallwrightError(
          'VALIDATION',
          `--country: got "${opts.country}", expected ${PHONE_COUNTRY_EXPECTED}`,
        );
      }
      if (opts.callingCode !== undefined && !/^[1-9]\d{0,2}$/.test(opts.callingCode)) {
        throw new CallwrightError(
          'VALIDATION',
          `--calling-code: got "${opts.callingCode}", expected 1-3 digits such as 44`,
        );
      }
      let totalBytes: number;
      try {
        totalBytes = statSync(file).size;
      } catch {
        throw new CallwrightError('NOT_FOUND', `cannot read ${file}: no such file`);
      }
      const config = loadCliConfig(program.opts());
      const store = await openStore(config);
      // An explicit --calling-code names the plan itself; otherwise the country (flag, then config).
      const country = opts.callingCode ? undefined : opts.country || config.contacts.default_country;
      const progress = progressReporter(io, totalBytes, headerBytes(file));
      try {
        const summary = await importContactsCsv(store, createReadStream(file), {
          totalBytes,
          onProgress: progress.update,
          ...(opts.callingCode ? { callingCode: opts.callingCode } : {}),
          ...(country ? { defaultCountry: country } : {}),
        });
        progress.stop();
        const r = summary.rejected.length;
        io.out(
          `imported ${summary.imported}, updated ${summary.updated}, unchanged ${summary.unchanged}, rejected ${r}`,
        );
        for (const row of summary.rejected) {
          for (const line of describeIssues(row.issues).split('\n')) io.out(`  line ${row.line}: ${line}`);
        }
        if (r > 0) {
          throw new CallwrightError(
            'VALIDATION',
            `${r} row(s) rejected and not written; the other rows were imported`,
          );
        }
      } finally {
        progress.stop();
        await store.close();
      }
    });
}
