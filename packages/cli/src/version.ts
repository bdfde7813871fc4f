/** Version of the tickscope command line, written into every report envelope. */
export const TOOL_VERSION = "0.1.0";
