import { InputError } from "../errors.js";

/** How one option is parsed. */
export interface OptionSpec {
  /** "string" takes one value, "list" takes every value up to the next option, "boolean" takes none. */
  type: "string" | "list" | "boolean";
  description: string;
  /** Shown in --help, e.g. "FILE" or "N". */
  valueName?: string;
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
 * Parses `--name value`, `--name=value`, `--list a b c` and `--flag`.
 * Unknown options are an InputError naming the option.
 */
export function parseArgs<S extends OptionSpecs>(argv: readonly string[], specs: S): ParsedArgs<S> {
  const options: Record<string, unknown> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--") || arg === "--") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs[name];
    if (!spec) throw new InputError(`unknown option --${name} (see --help)`);
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (spec.type === "boolean") {
      if (inline !== undefined && inline !== "true" && inline !== "false") {
        throw new InputError(`--${name} takes no value, got "${inline}"`);
      }
      options[name] = inline !== "false";
    } else if (spec.type === "string") {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith("--"))) {
        throw new InputError(`--${name} needs a value`);
      }
      options[name] = value;
    } else {
      const values = (options[name] as string[] | undefined) ?? [];
      if (inline !== undefined) values.push(...inline.split(",").filter((v) => v !== ""));
      while (i + 1 < argv.length && !argv[i + 1].startsWith("--")) values.push(argv[++i]);
      if (values.length === 0) throw new InputError(`--${name} needs at least one value`);
      options[name] = values;
    }
  }
  return { options: options as ParsedOptions<S>, positionals, help };
}

/** Parses an integer option, naming it in the error. */
export function intOption(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new InputError(`--${name} must be an integer, got "${value}"`);
  const n = Number(value);
  if (n < min) throw new InputError(`--${name} must be at least ${min}, got ${n}`);
  return n;
}

/** Parses a choice option, naming it and the allowed values in the error. */
export function choiceOption<T extends string>(value: string | undefined, name: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new InputError(`--${name} must be one of ${choices.join(", ")}, got "${value}"`);
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
