/**
 * Attribute files that give each image of an image folder sub-group labels:
 *
 * - CSV with a header; one filename column (`file`, `filename`, `image`,
 *   `image_id` or `path`) and one column per attribute;
 * - CelebA's `list_attr_celeba.txt`: a count line, a line of attribute
 *   names, then `name.jpg v1 v2 …` rows with values -1 or 1.
 */
import { posix } from "node:path";
import { InputError } from "../errors.js";
import { parseCsvRecords } from "../io/csv.js";
import type { CategoricalAttribute } from "./dataset.js";
import { readTextFile } from "./files.js";

const FILENAME_COLUMNS = ["file", "filename", "image", "image_id", "path"];

/** Raw attribute rows, before they are matched to images. */
export interface AttributeTable {
  path: string;
  /** Per row: the image it describes, as written in the file. */
  fileNames: string[];
  /** Per row: its line number in the file, for messages. */
  lineNumbers: number[];
  attributeNames: string[];
  /** Per attribute, per row: the value as written. */
  rawValues: string[][];
  /** Per attribute: the values in code order, when the format fixes them (CelebA: -1 then 1). */
  valueOrder?: string[];
}

function parseCsvTable(text: string, path: string): AttributeTable {
  // A blank line between rows is skipped, as spreadsheets write them.
  const [header, ...rows] = parseCsvRecords(text, path).filter((r) => r.fields.length > 1 || r.fields[0].trim() !== "");
  if (!header) throw new InputError(`${path}: empty attribute file`);
  const names = header.fields.map((name) => name.trim());
  const fileColumn = names.findIndex((name) => FILENAME_COLUMNS.includes(name.toLowerCase()));
  if (fileColumn < 0) {
    throw new InputError(`${path}: no filename column (expected one of ${FILENAME_COLUMNS.join(", ")})`);
  }
  const attributeColumns = names.map((_, i) => i).filter((i) => i !== fileColumn);
  if (attributeColumns.length === 0) throw new InputError(`${path}: no attribute columns besides "${names[fileColumn]}"`);
  const table: AttributeTable = {
    path,
    fileNames: [],
    lineNumbers: [],
    attributeNames: attributeColumns.map((i) => names[i]),
    rawValues: attributeColumns.map(() => []),
  };
  for (const row of rows) {
    if (row.fields.length !== names.length) {
      throw new InputError(`${path}: line ${row.line}: ${row.fields.length} fields, expected ${names.length}`);
    }
    table.fileNames.push(row.fields[fileColumn].trim());
    table.lineNumbers.push(row.line);
    attributeColumns.forEach((column, k) => table.rawValues[k].push(row.fields[column].trim()));
  }
  return table;
}

function parseCelebaTable(text: string, path: string): AttributeTable {
  const lines = text.split(/\r?\n/);
  const declaredCount = Number(lines[0].trim());
  const attributeNames = (lines[1] ?? "").trim().split(/\s+/).filter((name) => name !== "");
  if (attributeNames.length === 0) throw new InputError(`${path}: line 2: no attribute names`);
  const table: AttributeTable = {
    path,
    fileNames: [],
    lineNumbers: [],
    attributeNames,
    rawValues: attributeNames.map(() => []),
    valueOrder: ["-1", "1"],
  };
  for (let i = 2; i < lines.length; i++) {
    const tokens = lines[i].trim().split(/\s+/);
    if (tokens[0] === "") continue;
    if (tokens.length !== attributeNames.length + 1) {
      throw new InputError(`${path}: line ${i + 1}: ${tokens.length - 1} values, expected ${attributeNames.length}`);
    }
    for (let k = 0; k < attributeNames.length; k++) {
      const value = tokens[k + 1];
      if (value !== "-1" && value !== "1") {
        throw new InputError(`${path}: line ${i + 1}: value "${value}" for ${attributeNames[k]} is not -1 or 1`);
      }
      table.rawValues[k].push(value);
    }
    table.fileNames.push(tokens[0]);
    table.lineNumbers.push(i + 1);
  }
  if (table.fileNames.length !== declaredCount) {
    throw new InputError(`${path}: line 1 declares ${declaredCount} rows but the file has ${table.fileNames.length}`);
  }
  return table;
}

/** Parses attribute-file text; CelebA layout if the first line is a bare count, CSV otherwise. */
export function parseAttributeText(text: string, path: string): AttributeTable {
  const firstLine = text.split(/\r?\n/, 1)[0].trim();
  return /^\d+$/.test(firstLine) ? parseCelebaTable(text, path) : parseCsvTable(text, path);
}

export function readAttributeFile(path: string): AttributeTable {
  return parseAttributeText(readTextFile(path), path);
}

function normaliseName(name: string): string {
  return posix.normalize(name.replaceAll("\\", "/")).replace(/^\.\//, "");
}

/** Numeric values sort as numbers, anything else as strings. */
function compareValues(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a !== "" && b !== "" && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Attribute codes for images, in order. Each image is looked up by each of
 * its `candidateNames` in turn (e.g. its path from the dataset root, from its
 * split root, its basename). Every image needs a row and a row may describe
 * only one image; rows for absent images are ignored, so that a file for a
 * whole dataset (CelebA) can serve a folder holding part of it.
 */
export function matchAttributes(table: AttributeTable, candidateNames: string[][]): Record<string, CategoricalAttribute> {
  const rowByName = new Map<string, number>();
  table.fileNames.forEach((name, row) => {
    const key = normaliseName(name);
    const previous = rowByName.get(key);
    if (previous !== undefined) {
      throw new InputError(
        `${table.path}: line ${table.lineNumbers[row]}: "${name}" already has a row (line ${table.lineNumbers[previous]})`,
      );
    }
    rowByName.set(key, row);
  });
  const rowOfImage = new Int32Array(candidateNames.length);
  const imageOfRow = new Map<number, number>();
  candidateNames.forEach((names, image) => {
    const row = names.map((name) => rowByName.get(normaliseName(name))).find((found) => found !== undefined);
    if (row === undefined) throw new InputError(`${table.path}: no row for image ${names[0]}`);
    const other = imageOfRow.get(row);
    if (other !== undefined) {
      throw new InputError(
        `${table.path}: line ${table.lineNumbers[row]} ("${table.fileNames[row]}") matches both ${candidateNames[other][0]} and ${names[0]}; use paths relative to the dataset root`,
      );
    }
    imageOfRow.set(row, image);
    rowOfImage[image] = row;
  });
  const attributes: Record<string, CategoricalAttribute> = {};
  table.attributeNames.forEach((name, k) => {
    const column = table.rawValues[k];
    const values = table.valueOrder ?? [...new Set(Array.from(rowOfImage, (row) => column[row]))].sort(compareValues);
    const codeOf = new Map(values.map((value, code) => [value, code]));
    attributes[name] = { values, codes: Int32Array.from(rowOfImage, (row) => codeOf.get(column[row]) as number) };
  });
  return attributes;
}
