import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseArgs } from "../../src/cli/args.js";
import { editDistance, nearest } from "../../src/cli/suggest.js";
import { InputError } from "../../src/errors.js";

const specs = {
  out: { type: "string", description: "" },
  threads: { type: "string", description: "" },
  json: { type: "boolean", description: "" },
  pred: { type: "list", description: "" },
  format: { type: "list", choices: ["md", "html", "json"], description: "" },
} as const;

const refused = (argv: string[], message: RegExp) =>
  assert.throws(() => parseArgs(argv, specs), (err: Error) => err instanceof InputError && message.test(err.message));

describe("parseArgs (on util.parseArgs)", () => {
  it("reads values, flags, greedy lists, comma lists and positionals", () => {
    assert.deepEqual(parseArgs(["exp", "--pred", "a.npy", "b.npy", "--json", "--out=r.json", "--format=md,html"], specs), {
      options: { pred: ["a.npy", "b.npy"], json: true, out: "r.json", format: ["md", "html"] },
      positionals: ["exp"],
      help: false,
    });
    assert.deepEqual(parseArgs(["--pred", "a", "--pred", "b"], specs).options, { pred: ["a", "b"] });
    assert.equal(parseArgs(["-h"], specs).help, true);
    assert.equal(parseArgs(["x", "--help"], specs).help, true);
  });

  it("a list of choices ends at the first word that is not one; `--` ends any list", () => {
    assert.deepEqual(parseArgs(["--format", "md", "table2"], specs), { options: { format: ["md"] }, positionals: ["table2"], help: false });
    assert.deepEqual(parseArgs(["--pred", "a", "--", "exp"], specs), { options: { pred: ["a"] }, positionals: ["exp"], help: false });
    refused(["--format", "pdf"], /^--format must be one of md, html, json, got "pdf"$/);
  });

  it("takes a value that starts with a dash as the option's value: --threads -1, --out -", () => {
    assert.deepEqual(parseArgs(["--threads", "-1", "--out", "-"], specs).options, { threads: "-1", out: "-" });
  });

  it("refuses unknown options with the nearest known one, own keys only, and missing or surplus values", () => {
    refused(["--thread", "2"], /^unknown option --thread \(did you mean --threads\?\) \(see --help\)$/);
    refused(["--toString"], /^unknown option --toString \(see --help\)$/);
    refused(["--constructor=1"], /^unknown option --constructor/);
    refused(["--out"], /^--out needs a value$/);
    refused(["--out", "--json"], /^--out needs a value$/);
    refused(["--pred", "--json"], /^--pred needs at least one value$/);
    refused(["--json=yes"], /'--json' does not take an argument/);
    refused(["-x"], /Unknown option '-x'/);
  });
});

describe("nearest", () => {
  it("suggests a close candidate and nothing for a far one", () => {
    assert.equal(editDistance("tabel2", "table2"), 1);
    assert.equal(nearest("tabel2", ["table2", "fig2", "bn"]), "table2");
    assert.equal(nearest("replicate", ["replicates", "epochs"]), "replicates");
    assert.equal(nearest("toString", ["run", "report", "ls"]), undefined);
  });
});
