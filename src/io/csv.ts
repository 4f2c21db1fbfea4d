/**
 * A small RFC 4180 CSV reader: comma-separated, fields optionally quoted with
 * '"', '""' for a quote inside a quoted field, quoted fields may span lines,
 * CRLF or LF line ends, first row is the header. A UTF-8 BOM is skipped and
 * line ends at the end of the file are optional. Every row must have as many fields as the header.
 */
import { readFileSync } from "node:fs";
import { InputError } from "../errors.js";

export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** Parses CSV text; `file` names the source in errors. */
export function parseCsv(text: string, file: string): CsvTable {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  let fieldStarted = false;
  const endRecord = (): void => {
    fields.push(field);
    records.push({ fields, line: recordLine });
    fields = [];
    field = "";
    fieldStarted = false;
  };
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
          throw new InputError(`${file}: line ${line}: unexpected character after closing quote`);
        }
        continue;
      }
      if (ch === "\n") line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      if (field !== "") throw new InputError(`${file}: line ${line}: quote inside an unquoted field`);
      quoted = true;
      fieldStarted = true;
      i++;
    } else if (ch === ",") {
      fields.push(field);
      field = "";
      fieldStarted = true;
      i++;
    } else if (ch === "\r" || ch === "\n") {
      endRecord();
      i += ch === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      field += ch;
      fieldStarted = true;
      i++;
    }
  }
  if (quoted) throw new InputError(`${file}: line ${recordLine}: quoted field is never closed`);
  if (fieldStarted || field !== "" || fields.length > 0) endRecord();
  // Blank lines at the end of the file carry no data. A blank line in the
  // middle is kept: in a one-column file it is an empty value.
  const isBlank = (r: { fields: string[] }): boolean => r.fields.length === 1 && r.fields[0] === "";
  while (records.length > 0 && isBlank(records[records.length - 1])) records.pop();
  if (records.length === 0) throw new InputError(`${file}: empty CSV (no header row)`);
  const [head, ...body] = records;
  for (const r of body) {
    if (r.fields.length !== head.fields.length) {
      throw new InputError(`${file}: line ${r.line} has ${r.fields.length} fields, but the header has ${head.fields.length}`);
    }
  }
  return { header: head.fields, rows: body.map((r) => r.fields) };
}

/** Reads a CSV file with a header row; unreadable or malformed files are InputErrors naming the file. */
export function readCsv(path: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseCsv(text, path);
}
