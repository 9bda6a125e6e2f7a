/**
 * The page that `npm start` keeps next to its figures (out/index.html): one
 * section per example with its summary lines, its time and its figures, and
 * links to every other page in the folder (explain.html, the gate lab).
 *
 * Sections accumulate: each run stores its sections in out/report.json, and
 * the page is drawn from every stored section, so `npm start -- --only text`
 * refreshes the text section and keeps the others. A stored section whose
 * figure files are gone loses those figures; a report.json that cannot be
 * read is replaced.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFilesAtomically } from '../lib/platform/atomic.ts';
import { files } from '../lib/platform/node.ts';
import { requireFiles } from '../lib/platform/types.ts';
import { escapeXml } from '../lib/plot.ts';

/** Writes an output file of the examples atomically (a reader of out/ sees the old file or the new one, never half of one). */
export function writeOutput(path: string, data: string): void {
  writeFilesAtomically(requireFiles(files, 'examples'), [{ path, data }]);
}

export interface ReportFigure {
  /** A file name relative to the page, e.g. `text-lstm-acc.svg`. */
  file: string;
  /** What to see in the figure (also the image's alt text). */
  caption: string;
}

export interface ReportSection {
  /** The example's key, e.g. `text`: the section's anchor and its place in the order. */
  key: string;
  /** The example's name, e.g. `Text classification`. */
  name: string;
  /** The example's file, e.g. `examples/text.ts`. */
  source: string;
  summary: readonly string[];
  /** Wall-clock time of the example, seconds. */
  seconds: number;
  figures: readonly ReportFigure[];
  /** What went wrong (an example that threw, a figure that could not be drawn). */
  errors: readonly string[];
  /** The command that made the section, e.g. `npm start -- --only text`. */
  command: string;
  /** When, as an ISO date. */
  date: string;
}

/** Another page of the folder that the report links to. */
export interface ReportPage {
  href: string;
  title: string;
  /** What is there, in a few words. */
  text: string;
}

/** The pages other than index.html that `npm start`, `npm run explain` and `npm run lab` write. */
const PAGES: readonly ReportPage[] = [
  { href: 'explain.html', title: 'Seeing inside the cells', text: 'the adding problem: gradient flow through time and every gate of SimpleRNN, LSTM and GRU' },
  { href: 'lab/index.html', title: 'Gate lab', text: 'train a cell in your browser and watch its gates (built by npm run lab)' },
];

export const STORE = 'report.json';

/** The pages present in `outDir`. */
export function pagesIn(outDir: string): ReportPage[] {
  return PAGES.filter((p) => existsSync(join(outDir, p.href)));
}

function isSection(value: unknown): value is ReportSection {
  if (value === null || typeof value !== 'object') return false;
  const s = value as Record<string, unknown>;
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
  return typeof s.key === 'string' && typeof s.name === 'string' && typeof s.source === 'string' && typeof s.command === 'string'
    && typeof s.date === 'string' && typeof s.seconds === 'number' && strings(s.summary) && strings(s.errors)
    && Array.isArray(s.figures) && s.figures.every((f) => f !== null && typeof f === 'object' && typeof f.file === 'string' && typeof f.caption === 'string');
}

/** The sections stored in `outDir` by earlier runs, without figures whose files are gone; none when there is no readable store. */
export function storedSections(outDir: string): ReportSection[] {
  const path = join(outDir, STORE);
  if (!existsSync(path)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
  const list = (doc as { sections?: unknown } | null)?.sections;
  if (!Array.isArray(list)) return [];
  return list.filter(isSection).map((s) => ({ ...s, figures: s.figures.filter((f) => existsSync(join(outDir, f.file))) }));
}

/**
 * Merges `fresh` into the stored sections (a fresh section replaces the stored
 * one of the same key), orders them by `order`, and writes the store and
 * index.html. Returns the sections on the page.
 */
export function updateReport(outDir: string, fresh: readonly ReportSection[], order: readonly string[], updated: Date): ReportSection[] {
  const keys = new Set(fresh.map((s) => s.key));
  const rank = (key: string): number => (order.includes(key) ? order.indexOf(key) : order.length);
  const sections = [...storedSections(outDir).filter((s) => !keys.has(s.key)), ...fresh].sort((a, b) => rank(a.key) - rank(b.key));
  writeOutput(join(outDir, STORE), `${JSON.stringify({ sections }, null, 1)}\n`);
  writeOutput(join(outDir, 'index.html'), reportHtml(sections, pagesIn(outDir), updated));
  return sections;
}

function when(iso: string): string {
  return `${iso.replace('T', ' ').slice(0, 16)} UTC`;
}

/** The whole page as HTML text; every piece of text from the examples is escaped. */
export function reportHtml(sections: readonly ReportSection[], pages: readonly ReportPage[], updated: Date): string {
  const nav = [
    sections.length > 0 ? `<p><b>Sections:</b> ${sections.map((s) => `<a href="#${esc(s.key)}">${esc(s.name)}</a>`).join(' · ')}</p>` : '<p>No section yet: run <code>npm start</code>.</p>',
    pages.length > 0 ? `<p><b>Pages:</b> ${pages.map((p) => `<a href="${esc(p.href)}">${esc(p.title)}</a> (${esc(p.text)})`).join(' · ')}</p>` : '',
  ].filter((x) => x !== '').join('\n');
  const body = sections.map((s) => {
    // Summary lines are often a table aligned with spaces: kept as preformatted text.
    const summary = s.summary.length > 0 ? `<pre class="summary">${s.summary.map(esc).join('\n')}</pre>` : '';
    const errors = s.errors.length > 0 ? `<ul class="errors">\n${s.errors.map((e) => `<li>${esc(e)}</li>`).join('\n')}\n</ul>` : '';
    const links = pages.filter((p) => s.key === 'explain' && p.href === 'explain.html')
      .map((p) => `<p class="more">Every figure of this experiment, with the text that reads them: <a href="${esc(p.href)}">${esc(p.href)}</a>.</p>`);
    const figures = s.figures.length > 0
      ? `<div class="figures">\n${s.figures.map((f) => [
        '<figure>',
        `<a href="${esc(encodeURI(f.file))}"><img src="${esc(encodeURI(f.file))}" alt="${esc(f.caption)}"></a>`,
        `<figcaption>${esc(f.caption)}</figcaption>`,
        '</figure>',
      ].join('')).join('\n')}\n</div>`
      : '';
    return [
      `<section id="${esc(s.key)}">`,
      `<h2>${esc(s.name)}</h2>`,
      `<p class="meta">${esc(s.source)} · ${formatSeconds(s.seconds)} · <code>${esc(s.command)}</code>, ${esc(when(s.date))}</p>`,
      summary,
      errors,
      ...links,
      figures,
      '</section>',
    ].filter((x) => x !== '').join('\n');
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Unrolled — the recurrent walkthrough</title>
<style>
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px auto; padding: 0 24px; color: #222; max-width: 1320px; line-height: 1.4; }
h1 { font-size: 22px; margin: 0 0 4px; }
.header { color: #555; font-size: 13px; margin: 0 0 8px; }
nav { font-size: 14px; border: 1px solid #ddd; border-radius: 4px; padding: 4px 12px; background: #fafafa; }
nav p { margin: 6px 0; }
section { border-top: 1px solid #ddd; padding-top: 12px; margin-top: 24px; }
h2 { font-size: 18px; margin: 0 0 2px; }
.meta { font-size: 13px; color: #666; margin: 0 0 8px; }
pre.summary { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; margin: 0 0 12px; background: #f5f5f5; padding: 8px 12px; white-space: pre-wrap; max-width: 100%; box-sizing: border-box; }
ul.errors { color: #b00020; font-size: 13px; }
.more { font-size: 14px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
figure { margin: 0; border: 1px solid #e5e5e5; background: white; }
figure img { display: block; width: 100%; height: auto; }
figcaption { font-size: 13px; padding: 4px 10px 8px; color: #333; }
a { color: #0b57a4; }
</style>
</head>
<body>
<h1>Unrolled — the recurrent walkthrough</h1>
<p class="header">Page updated ${esc(when(updated.toISOString()))}. Each section shows the latest run of its example.</p>
<nav>
${nav}
</nav>
${body.join('\n')}
</body>
</html>
`;
}

/** `12.3 s` under a minute, `18 min 02 s` above. */
export function formatSeconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.floor(s % 60).toString().padStart(2, '0')} s`;
}

/** The XML escapes are the HTML ones too. */
const esc = escapeXml;
