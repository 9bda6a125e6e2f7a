/** Unrolled's version, as in package.json (a spec keeps the two equal). */
export const VERSION = '0.2.0';
