import { parseArgs as nodeParseArgs } from "node:util";
import { InputError } from "../errors.js";
import { nearest } from "./suggest.js";

/** How one option is parsed. */
export interface OptionSpec {
  /**
   * "string" takes one value, "boolean" takes none. "list" takes every value up to the next option
   * (`--pred a.npy b.npy`), or a comma-separated `--format=md,html`, and may be repeated; `--` ends it.
   */
  type: "string" | "list" | "boolean";
  description: string;
  /** Shown in --help, e.g. "FILE" or "N". */
  valueName?: string;
  /** The allowed values of a list; the list also ends at the first word that is not one of them. */
  choices?: readonly string[];
}

export type OptionSpecs = Record<string, OptionSpec>;

export type ParsedOptions<S extends OptionSpecs> = {
  [K in keyof S]?: S[K]["type"] extends "boolean" ? boolean : S[K]["type"] extends "list" ? string[] : string;
};

export interface ParsedArgs<S extends OptionSpecs> {
  options: ParsedOptions<S>;
  positionals: string[];
  help: boolean;
}

/**
 * Parses a command's arguments with Node's `util.parseArgs`: `--name value`, `--name=value`,
 * `--list a b c`, `--flag`, `-h`/`--help` and `--`. Unknown options are an InputError naming the
 * option and the nearest known one.
 */
export function parseArgs<S extends OptionSpecs>(argv: readonly string[], specs: S): ParsedArgs<S> {
  const config = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, spec.type === "boolean" ? { type: "boolean" as const } : { type: "string" as const, multiple: spec.type === "list" }]),
  );
  const args = normalise(argv, specs);
  let parsed;
  try {
    parsed = nodeParseArgs({
      args,
      options: { ...config, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new InputError(`${(err as Error).message.split(/\.(?: |$)/)[0]} (see --help)`);
  }
  const { help, ...values } = parsed.values as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const spec = specs[name];
    if (spec.type !== "list") {
      options[name] = value;
      continue;
    }
    const list = (value as string[]).flatMap((v) => v.split(",")).filter((v) => v !== "");
    if (list.length === 0) throw new InputError(`--${name} needs at least one value`);
    const { choices } = spec;
    if (choices) for (const v of list) choiceOption(v, name, choices, v);
    options[name] = list;
  }
  return { options: options as ParsedOptions<S>, positionals: parsed.positionals, help: help === true };
}

/**
 * Rewrites the command line into the form util.parseArgs reads without guessing: a string
 * option's value is joined to it (`--threads=-1`, `--out=-`), and each value of a greedy list
 * becomes its own `--name=value`. Unknown long options are refused here, with a suggestion.
 */
function normalise(argv: readonly string[], specs: OptionSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith("--")) {
      out.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === "help") {
      out.push(arg);
      continue;
    }
    if (!Object.hasOwn(specs, name)) {
      const guess = nearest(name, [...Object.keys(specs), "help"]);
      throw new InputError(`unknown option --${name}${guess ? ` (did you mean --${guess}?)` : ""} (see --help)`);
    }
    const spec = specs[name];
    if (spec.type === "boolean" || eq >= 0) {
      out.push(arg);
    } else if (spec.type === "string") {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new InputError(`--${name} needs a value`);
      out.push(`--${name}=${value}`);
      i++;
    } else {
      // The first value is always the list's (a wrong choice is named later); further ones while they fit.
      const start = out.length;
      while (i + 1 < argv.length && !argv[i + 1].startsWith("--") && (out.length === start || !spec.choices || spec.choices.includes(argv[i + 1]))) {
        out.push(`--${name}=${argv[++i]}`);
      }
      if (out.length === start) throw new InputError(`--${name} needs at least one value`);
    }
  }
  return out;
}

/** Parses an integer option, naming it in the error. */
export function intOption(value: string | undefined, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new InputError(`--${name} must be an integer, got "${value}"`);
  const n = Number(value);
  if (n < min) throw new InputError(`--${name} must be at least ${min}, got ${n}`);
  if (n > max) throw new InputError(`--${name} must be at most ${max}, got ${value}`);
  return n;
}

/** Parses a choice option, naming it, the allowed values and the nearest one in the error. */
export function choiceOption<T extends string>(value: string | undefined, name: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    const guess = nearest(value, choices);
    throw new InputError(`--${name} must be one of ${choices.join(", ")}, got "${value}"${guess ? ` (did you mean ${guess}?)` : ""}`);
  }
  return value as T;
}

/** Renders the --help text of a command from its usage line and option specs. */
export function helpText(usage: string, summary: string, specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const value = spec.type === "boolean" ? "" : spec.type === "list" ? ` ${spec.valueName ?? "VALUE"}…` : ` ${spec.valueName ?? "VALUE"}`;
    return [`--${name}${value}`, spec.description] as const;
  });
  const width = Math.max(0, ...rows.map(([flag]) => flag.length));
  const lines = rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
  return [`usage: ${usage}`, "", summary, "", "options:", ...lines, `  ${"--help".padEnd(width)}  show this help`].join("\n");
}
