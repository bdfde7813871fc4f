import type { AnalyzeResult } from "../analyze-result.js";

/** One output file of a report format. */
export interface RenderedFile {
  /** File name inside `--out` (or `-` for stdout when only one file). */
  fileName: string;
  /** File contents. */
  text: string;
}

/** A report format: renders an analyze result to one or more files. */
export interface ReportFormat {
  /** `--format` name. */
  name: string;
  /** One line for `--help`. */
  description: string;
  /** Renders the result. */
  render(result: AnalyzeResult): RenderedFile[] | Promise<RenderedFile[]>;
}
