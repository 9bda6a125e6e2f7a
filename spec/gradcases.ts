/**
 * The shape of a gradient-check case, shared by the specs and by
 * `npm run gradcheck` (spec/gradcheck-table.ts).
 */
import type { GradcheckReport } from '../autograd/gradcheck.ts';

export interface GradCase {
  /** What is checked, e.g. `matmul (transB)` or `lstm: mask`. */
  name: string;
  run: () => GradcheckReport;
}
