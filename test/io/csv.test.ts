import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatCsv, parseCsv, parseNumericCsv, readCsv } from "../../src/io/csv.js";
import { writeTestData } from "../../src/train/train.js";
import { InputError } from "../../src/errors.js";

test("plain CSV with header, LF and CRLF, optional final newline", () => {
  assert.deepEqual(parseCsv("a,b\n1,2\n3,4\n", "t.csv"), { header: ["a", "b"], rows: [["1", "2"], ["3", "4"]] });
  assert.deepEqual(parseCsv("a,b\r\n1,2\r\n3,4", "t.csv"), { header: ["a", "b"], rows: [["1", "2"], ["3", "4"]] });
  assert.deepEqual(parseCsv("\ufeffa\n", "t.csv"), { header: ["a"], rows: [] });
});

test("quoted fields: commas, quotes, newlines and empty values", () => {
  const t = parseCsv('name,note\n"Smith, J","said ""hi"""\n"multi\nline",\n,""\n', "t.csv");
  assert.deepEqual(t.rows, [["Smith, J", 'said "hi"'], ["multi\nline", ""], ["", ""]]);
});

test("blank lines: trailing ones dropped, inner ones are empty values", () => {
  assert.deepEqual(parseCsv("g\nx\n\ny\n\n\n", "t.csv").rows, [["x"], [""], ["y"]]);
});

test("malformed CSV is an InputError naming the file and line", () => {
  const bad = (text: string, message: RegExp): void => {
    assert.throws(() => parseCsv(text, "g.csv"), (e: Error) => e instanceof InputError && message.test(e.message));
  };
  bad("a,b\n1,2\n3\n", /^g\.csv: line 3 has 1 fields, but the header has 2$/);
  bad('a\n"open\n', /^g\.csv: line \d: quoted field is never closed$/);
  bad('a\n"x"y\n', /^g\.csv: line 2: unexpected character after closing quote$/);
  bad('a\nx"y"\n', /^g\.csv: line 2: quote inside an unquoted field$/);
  bad("", /^g\.csv: empty CSV/);
  assert.throws(() => readCsv("/nonexistent/g.csv"), /\/nonexistent\/g\.csv: cannot read \(ENOENT\)/);
});

test("formatCsv quotes what needs quoting, and parseCsv reads back exactly what it wrote", () => {
  const header = ["group, coarse", 'say "hi"', "plain"];
  const rows = [["a,b", "x\ny", "1"], ["", '"', "2"], [" lead", "tail ", "3"]];
  const text = formatCsv(header, rows);
  assert.equal(text.split("\n")[0], '"group, coarse","say ""hi""",plain');
  assert.ok(text.endsWith("\n") && !text.includes("\r"));
  assert.deepEqual(parseCsv(text, "t.csv"), { header, rows });
  assert.equal(formatCsv(["n", "x"], [[1, null]]), "n,x\n1,\n");
});

test("test-groups.csv written next to a run keeps an attribute value with a comma as one value", () => {
  const dir = mkdtempSync(join(tmpdir(), "noiselab-csv-"));
  try {
    const values = ["Smith, J", 'the "other"'];
    writeTestData(dir, {
      name: "t",
      shape: [3, 1, 1, 1],
      labels: Int32Array.from([0, 1, 0]),
      numClasses: 2,
      classNames: ["a", "b"],
      attributes: { "site, region": { values, codes: Int32Array.from([0, 1, 0]) }, sex: { values: ["F", "M"], codes: Int32Array.from([1, 1, 0]) } },
    });
    const table = readCsv(join(dir, "test-groups.csv"));
    assert.deepEqual(table.header, ["site, region", "sex"]);
    assert.deepEqual(table.rows, [["Smith, J", "M"], ['the "other"', "M"], ["Smith, J", "F"]]);
    assert.match(readFileSync(join(dir, "test-groups.csv"), "utf8"), /^"site, region",sex\n"Smith, J",M\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The exact bytes pandas 2 writes (df.to_csv(path) and df.to_csv(path, index=False)) and NumPy's
// np.savetxt(path, a) (fmt "%.18e") and np.savetxt(path, a, fmt="%d", delimiter=",").
const PANDAS_WITH_INDEX = ",pred\n0,1\n1,0\n2,1\n";
const PANDAS_SCORES_WITH_INDEX = ",0,1\n0,0.25,0.75\n1,0.5,0.5\n";
const PANDAS_SERIES_NO_INDEX = "0\n1\n0\n1\n";
const SAVETXT_FLOAT = "1.000000000000000000e+00\n0.000000000000000000e+00\n1.000000000000000000e+00\n";
const SAVETXT_INT_2D = "1,0\n0,1\n";

test("numeric CSV: a header is detected when a cell of the first line is not a number", () => {
  const t = parseNumericCsv("pred\n1\n0\n", "p.csv");
  assert.deepEqual([t.columns, t.rows, t.width, Array.from(t.values)], [["pred"], 2, 1, [1, 0]]);
  const savetxt = parseNumericCsv(SAVETXT_FLOAT, "p.csv");
  assert.deepEqual([savetxt.columns, Array.from(savetxt.values)], [null, [1, 0, 1]], "np.savetxt: no header, first example kept");
  const scores = parseNumericCsv("-1.5e-3,2\nnan,inf\n", "s.csv");
  assert.deepEqual(Array.from(scores.values), [-0.0015, 2, NaN, Infinity]);
});

test("numeric CSV: pandas' index column (empty name) is dropped", () => {
  const t = parseNumericCsv(PANDAS_WITH_INDEX, "p.csv");
  assert.deepEqual([t.columns, t.width, t.droppedIndex, Array.from(t.values)], [["pred"], 1, true, [1, 0, 1]]);
  const s = parseNumericCsv(PANDAS_SCORES_WITH_INDEX, "s.csv");
  assert.deepEqual([s.columns, s.width, Array.from(s.values)], [["0", "1"], 2, [0.25, 0.75, 0.5, 0.5]]);
});

test("numeric CSV: ambiguous files are refused unless --csv-header / --csv-index say how to read them", () => {
  const refuses = (text: string, message: RegExp, options = {}): void => {
    assert.throws(() => parseNumericCsv(text, "p.csv", options), (e: Error) => e instanceof InputError && message.test(e.message));
  };
  refuses(PANDAS_SERIES_NO_INDEX, /^p\.csv: cannot tell whether the first line "0" is a header .* pass --csv-header yes or --csv-header no$/);
  refuses("0,1\n0.2,0.8\n", /first line "0,1" is a header/);
  refuses("0,7\n1,5\n2,6\n", /^p\.csv: the first column holds 0, 1, …, 2, like an index column; pass --csv-index yes/);
  refuses(",Unnamed: 0,pred\n0,0,1\n1,1,0\n", /column "Unnamed: 0" is an index that pandas read back/);
  refuses("pred\n1\nx\n", /^p\.csv: line 3, column "pred": "x" is not a number$/);
  refuses("1,2\n3\n", /^p\.csv: line 2 has 1 fields, but the first line has 2$/);
  refuses("1\n", /single column/, { index: "yes" });
  assert.deepEqual(Array.from(parseNumericCsv(PANDAS_SERIES_NO_INDEX, "p.csv", { header: "yes" }).values), [1, 0, 1]);
  assert.deepEqual(Array.from(parseNumericCsv(PANDAS_SERIES_NO_INDEX, "p.csv", { header: "no" }).values), [0, 1, 0, 1]);
  assert.deepEqual(Array.from(parseNumericCsv("0,7\n1,5\n", "p.csv", { index: "yes" }).values), [7, 5]);
  assert.deepEqual(Array.from(parseNumericCsv("0,7\n1,5\n", "p.csv", { index: "no" }).values), [0, 7, 1, 5]);
  assert.deepEqual(Array.from(parseNumericCsv(SAVETXT_INT_2D, "p.csv").values), [1, 0, 0, 1]);
});
