/**
 * CSV in and out, with `csv-parse` and `csv-stringify` (RFC 4180: fields
 * optionally quoted with '"', '""' for a quote inside a quoted field, quoted
 * fields may span lines, CRLF or LF line ends). Every CSV noiselab reads or
 * writes goes through here, so the writer's quoting is the reader's.
 *
 * Two readers:
 * - `readCsv`: a table whose first row is the header (attribute files).
 * - `readNumericCsv`: numbers, one row per example, with explicit rules for
 *   a header row and an index column (see `NumericCsvOptions`), refusing to
 *   guess where a file could be read two ways.
 */
import { readFileSync } from "node:fs";
import { CsvError, parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { InputError } from "../errors.js";

export interface CsvTable {
  header: string[];
  rows: string[][];
}

export interface CsvRecord {
  fields: string[];
  /** Line of the file where the record starts (1-based). */
  line: number;
}

/** Every record of `text`, with its line; blank lines at the end are dropped, a blank line inside is one empty field. */
export function parseCsvRecords(text: string, file: string): CsvRecord[] {
  let parsed: { record: string[]; info: { lines: number; raw?: string } }[];
  try {
    parsed = parse(text, { bom: true, info: true, raw: true, relax_column_count: true, skip_empty_lines: false }) as unknown as typeof parsed;
  } catch (err) {
    if (err instanceof CsvError) throw new InputError(`${file}: ${csvErrorText(err)}`);
    throw err;
  }
  // `info.lines` is the line the record ends on; a quoted field may span lines.
  const records = parsed.map(({ record, info }) => ({ fields: record, line: info.lines - ((info.raw ?? "").replace(/\r?\n$/, "").match(/\n/g)?.length ?? 0) }));
  while (records.length > 0 && isBlank(records[records.length - 1])) records.pop();
  return records;
}

const isBlank = (r: CsvRecord): boolean => r.fields.length === 1 && r.fields[0] === "";

/** csv-parse's message, in noiselab's style: the line first, no trailing detail about options. */
function csvErrorText(err: CsvError): string {
  const line = (err as CsvError & { lines?: number }).lines;
  switch (err.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return `line ${line}: quoted field is never closed`;
    case "CSV_INVALID_CLOSING_QUOTE":
    case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
      return `line ${line}: unexpected character after closing quote`;
    case "INVALID_OPENING_QUOTE":
      return `line ${line}: quote inside an unquoted field`;
    default:
      return `malformed CSV (${err.message})`;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function checkWidths(records: CsvRecord[], width: number, file: string, what: string): void {
  for (const r of records) {
    if (r.fields.length !== width) throw new InputError(`${file}: line ${r.line} has ${r.fields.length} fields, but ${what} has ${width}`);
  }
}

/** Parses CSV text whose first row is the header; `file` names the source in errors. */
export function parseCsv(text: string, file: string): CsvTable {
  const records = parseCsvRecords(text, file);
  if (records.length === 0) throw new InputError(`${file}: empty CSV (no header row)`);
  const [head, ...body] = records;
  checkWidths(body, head.fields.length, file, "the header");
  return { header: head.fields, rows: body.map((r) => r.fields) };
}

/** Reads a CSV file with a header row; unreadable or malformed files are InputErrors naming the file. */
export function readCsv(path: string): CsvTable {
  return parseCsv(readText(path), path);
}

/** A table as CSV text: a header row, then one line per row, LF line ends; fields quoted where needed. */
export function formatCsv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return stringify([header, ...rows.map((row) => row.map((v) => (v === null ? "" : v)))], { record_delimiter: "unix" });
}

/** Whether the first row is column names: `auto` decides by the rules of `readNumericCsv`. */
export type CsvHeaderMode = "auto" | "yes" | "no";
/** Whether the first column is an index (row labels) to drop: `auto` decides by the rules of `readNumericCsv`. */
export type CsvIndexMode = "auto" | "yes" | "no";

export interface NumericCsvOptions {
  header?: CsvHeaderMode;
  index?: CsvIndexMode;
  /** How the user sets the modes, for the error messages (default "--csv-header" and "--csv-index"). */
  headerOption?: string;
  indexOption?: string;
}

export interface NumericCsv {
  /** Column names (after dropping an index column), or null when the file has no header row. */
  columns: string[] | null;
  rows: number;
  /** Columns per row (after dropping an index column). */
  width: number;
  /** Row-major values; an empty cell or "nan" is NaN. */
  values: Float64Array;
  /** Whether an index column was dropped. */
  droppedIndex: boolean;
}

const NAN_OR_INF = /^[+-]?(nan|inf|infinity)$/i;

/** Whether a cell reads as a number: decimal or exponent notation, nan or ±inf (as NumPy and pandas write them). */
export function isNumberCell(cell: string): boolean {
  const s = cell.trim();
  return NAN_OR_INF.test(s) || (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) && Number.isFinite(Number(s)));
}

function cellValue(cell: string): number {
  const s = cell.trim();
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (/^[+-]?inf(inity)?$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  return Number(s);
}

/** The column names pandas writes for a frame or series without names: 0, 1, …, C−1. */
function isDefaultColumnNames(fields: string[]): boolean {
  return fields.every((f, i) => f.trim() === String(i));
}

function isRowNumbers(values: string[]): boolean {
  return values.length >= 2 && values.every((v, i) => v.trim() === String(i));
}

/**
 * Reads a CSV of numbers, one row per example. The rules:
 *
 * - Header (`auto`): the first row is a header when one of its cells is not
 *   a number (an empty cell included: pandas leaves the index column's name
 *   empty). A first row of numbers is data, except the row `0`, `0,1`, …
 *   (what pandas writes as the names of unnamed columns, and also a
 *   possible first example), which is ambiguous and refused.
 * - Index column (`auto`): with a header, a first column with an empty name
 *   is pandas' index and is dropped; a column named `Unnamed: N` (an index
 *   read back by pandas and written again) is refused. A first column that
 *   holds exactly 0, 1, …, n−1 next to other columns looks like an index
 *   and is refused.
 * - `yes`/`no` set either rule; then nothing is refused on its account.
 * - Every row has as many fields as the first, and every cell is a number.
 */
export function readNumericCsv(path: string, options: NumericCsvOptions = {}): NumericCsv {
  return parseNumericCsv(readText(path), path, options);
}

export function parseNumericCsv(text: string, file: string, options: NumericCsvOptions = {}): NumericCsv {
  const headerOption = options.headerOption ?? "--csv-header";
  const indexOption = options.indexOption ?? "--csv-index";
  const records = parseCsvRecords(text, file);
  if (records.length === 0) throw new InputError(`${file}: empty CSV`);
  const first = records[0].fields;
  checkWidths(records, first.length, file, "the first line");
  let hasHeader: boolean;
  const mode = options.header ?? "auto";
  if (mode === "auto") {
    if (!first.every(isNumberCell)) hasHeader = true;
    else if (isDefaultColumnNames(first)) {
      throw new InputError(
        `${file}: cannot tell whether the first line "${first.join(",")}" is a header (pandas names unnamed columns 0, 1, …) or the first example; pass ${headerOption} yes or ${headerOption} no`,
      );
    } else hasHeader = false;
  } else hasHeader = mode === "yes";
  const header = hasHeader ? first : null;
  const bodyRecords = hasHeader ? records.slice(1) : records;
  let body = bodyRecords.map((r) => r.fields);
  let columns = header;

  let dropIndex: boolean;
  const indexMode = options.index ?? "auto";
  if (indexMode === "auto") {
    const unnamed = header?.findIndex((h) => /^Unnamed: \d+$/.test(h.trim())) ?? -1;
    if (unnamed >= 0) {
      throw new InputError(
        `${file}: column "${header![unnamed]}" is an index that pandas read back and wrote again; save with index=False, or pass ${indexOption} yes to drop the first column`,
      );
    }
    dropIndex = header !== null && first.length >= 2 && header[0].trim() === "";
    if (!dropIndex && first.length >= 2 && isRowNumbers(body.map((row) => row[0]))) {
      throw new InputError(
        `${file}: the first column holds 0, 1, …, ${body.length - 1}, like an index column; pass ${indexOption} yes to drop it, or ${indexOption} no to keep it as data`,
      );
    }
  } else dropIndex = indexMode === "yes";
  if (dropIndex) {
    if (first.length < 2) throw new InputError(`${file}: ${indexOption} yes, but the file has a single column`);
    body = body.map((row) => row.slice(1));
    columns = header && header.slice(1);
  }

  const width = first.length - (dropIndex ? 1 : 0);
  const values = new Float64Array(body.length * width);
  body.forEach((row, r) => {
    row.forEach((cell, c) => {
      if (cell.trim() !== "" && !isNumberCell(cell)) {
        const where = columns ? `column "${columns[c]}"` : `column ${c + 1}`;
        throw new InputError(`${file}: line ${bodyRecords[r].line}, ${where}: "${cell}" is not a number`);
      }
      values[r * width + c] = cell.trim() === "" ? NaN : cellValue(cell);
    });
  });
  return { columns, rows: body.length, width, values, droppedIndex: dropIndex };
}
