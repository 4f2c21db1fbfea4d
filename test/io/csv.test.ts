import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCsv, readCsv } from "../../src/io/csv.js";
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
  bad('a\n"open\n', /^g\.csv: line 2: quoted field is never closed$/);
  bad('a\n"x"y\n', /^g\.csv: line 2: unexpected character after closing quote$/);
  bad('a\nx"y"\n', /^g\.csv: line 2: quote inside an unquoted field$/);
  bad("", /^g\.csv: empty CSV/);
  assert.throws(() => readCsv("/nonexistent/g.csv"), /\/nonexistent\/g\.csv: cannot read \(ENOENT\)/);
});
