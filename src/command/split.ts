// Splits a command line into program and arguments the way a POSIX shell does
// for plain words and quotes, without running a shell.
import { InputError } from "../errors.js";

/** Characters that mean something only to a shell: refused unquoted, since no shell runs the command. */
const SHELL_ONLY = new Set(["|", "&", ";", "<", ">", "(", ")", "$", "`"]);

/**
 * Words are separated by unquoted whitespace. Inside '…' every character is literal; inside "…" a
 * backslash escapes only " \ $ and `; outside quotes a backslash escapes the next character.
 * Variables, globs, pipes and redirections are not expanded: `what` names the option in errors.
 */
export function splitCommandLine(line: string, what: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new InputError(`${what}: unterminated ' quote`);
      word += line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\" && j + 1 < line.length && '"\\$`'.includes(line[j + 1])) j++;
        word += line[j];
      }
      if (j >= line.length) throw new InputError(`${what}: unterminated " quote`);
      i = j;
    } else if (c === "\\") {
      if (i + 1 >= line.length) throw new InputError(`${what}: ends in a backslash`);
      word += line[++i];
    } else if (SHELL_ONLY.has(c)) {
      throw new InputError(`${what}: "${c}" needs a shell, and the command runs without one; quote it, or run sh -c '…'`);
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new InputError(`${what}: the command is empty`);
  return words;
}
