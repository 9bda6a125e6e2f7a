/** What the examples print on stdout: prose folded to the terminal's width, 100 columns when piped. */
import { outputWidth, wrapText } from '../lib/progress.ts';

/** console.log, with every line longer than the width folded at spaces (see lib/progress.ts, wrapText). */
export function say(text = ''): void {
  console.log(wrapText(text, outputWidth(process.stdout)));
}
