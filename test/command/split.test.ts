import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { splitCommandLine } from "../../src/command/split.js";
import { InputError } from "../../src/errors.js";

describe("splitCommandLine", () => {
  test("splits words as a shell does for plain words and quotes", () => {
    assert.deepEqual(splitCommandLine("python3  train.py --epochs 2", "--command"), ["python3", "train.py", "--epochs", "2"]);
    assert.deepEqual(splitCommandLine(`python3 'my script.py' --name "a \\"b\\" \\$c \\d" x\\ y ''`, "--command"), ["python3", "my script.py", "--name", 'a "b" $c \\d', "x y", ""]);
    assert.deepEqual(splitCommandLine(`a'b'"c"d`, "--command"), ["abcd"]);
    assert.deepEqual(splitCommandLine("echo '$HOME | x'", "--command"), ["echo", "$HOME | x"]);
  });

  test("refuses what only a shell understands, unbalanced quotes and an empty command", () => {
    for (const [line, pattern] of [
      ["python3 train.py | tee log", /"\|" needs a shell/],
      ["python3 train.py > log", /">" needs a shell/],
      ["echo $HOME", /"\$" needs a shell/],
      ["python3 'train.py", /unterminated ' quote/],
      ['python3 "train.py', /unterminated " quote/],
      ["python3 \\", /ends in a backslash/],
      ["   ", /the command is empty/],
    ] as const) {
      assert.throws(() => splitCommandLine(line, "--command"), (e: Error) => e instanceof InputError && e.message.startsWith("--command: ") && pattern.test(e.message), line);
    }
  });
});
