/**
 * The HTML page that `npm start` writes next to its figures (out/index.html): one section
 * per example with its summary lines, its time, and its SVG figures side by side.
 */
import { escapeXml } from '../lib/plot.ts';

export interface ReportFigure {
  /** A file name relative to the page, e.g. `text-lstm-acc.svg`. */
  file: string;
  /** What the figure shows, e.g. `LSTM(32) on SpamAssassin — accuracy` (the image's alt text). */
  caption: string;
}

export interface ReportSection {
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
}

export interface ReportOptions {
  /** How the page was made, e.g. `npm start -- --smoke`. */
  command: string;
  /** Shown in the header; the caller passes it so that the page is reproducible in tests. */
  date: Date;
}

/** The whole page as HTML text; every piece of text from the examples is escaped. */
export function reportHtml(sections: readonly ReportSection[], options: ReportOptions): string {
  const body = sections.map((s) => {
    // Summary lines are often a table aligned with spaces: kept as preformatted text.
    const summary = s.summary.length > 0 ? `<pre class="summary">${s.summary.map(esc).join('\n')}</pre>` : '';
    const errors = s.errors.length > 0 ? `<ul class="errors">\n${s.errors.map((e) => `<li>${esc(e)}</li>`).join('\n')}\n</ul>` : '';
    const figures = s.figures.length > 0
      ? `<div class="figures">\n${s.figures.map((f) => [
        '<figure>',
        `<img src="${esc(encodeURI(f.file))}" alt="${esc(f.caption)}" width="640" height="480">`,
        `<figcaption><a href="${esc(encodeURI(f.file))}">${esc(f.file)}</a></figcaption>`,
        '</figure>',
      ].join('')).join('\n')}\n</div>`
      : '';
    return [
      '<section>',
      `<h2>${esc(s.name)} <span class="meta">${esc(s.source)} · ${formatSeconds(s.seconds)}</span></h2>`,
      summary,
      errors,
      figures,
      '</section>',
    ].filter((x) => x !== '').join('\n');
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Unrolled — the recurrent walkthrough</title>
<style>
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px; color: #222; max-width: 1360px; }
h1 { font-size: 22px; margin: 0 0 4px; }
.header { color: #555; font-size: 13px; margin-bottom: 16px; }
section { border-top: 1px solid #ddd; padding-top: 12px; margin-top: 20px; }
h2 { font-size: 18px; margin: 0 0 8px; }
.meta { font-size: 13px; font-weight: normal; color: #777; margin-left: 8px; }
pre.summary { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; margin: 0 0 12px; background: #f7f7f7; padding: 8px 12px; display: inline-block; }
ul.errors { color: #b00020; font-size: 13px; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid #eee; }
figure img { display: block; }
figcaption { font-size: 12px; padding: 2px 8px 4px; }
figcaption a { color: #555; }
</style>
</head>
<body>
<h1>Unrolled — the recurrent walkthrough</h1>
<div class="header">${esc(options.command)} · ${esc(options.date.toISOString().replace('T', ' ').slice(0, 19))} UTC</div>
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
