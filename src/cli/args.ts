/**
 * The `raftkv` command-line parser: flags described by a small spec, values checked and typed here
 * so every subcommand receives clean input and every mistake gets one clear message.
 *
 * Accepted shapes: `--name value`, `--name=value`, boolean `--name`, `-h`/`--help`, and `--` to end
 * flags. A word that starts with `-` followed by a digit (`-1`) is a positional (a value), not a flag,
 * so `raftkv set k -1` works. Mistakes throw UsageError; the CLI prints it and exits with code 2.
 */
import { RaftKvError } from '../protocol/errors.js';

/** A mistake on the command line (bad flag, missing value, unknown subcommand). Exit code 2. */
export class UsageError extends RaftKvError {
  constructor(message: string) {
    super('BAD_FLAG', message);
    this.name = 'UsageError';
  }
}

export type FlagType = 'string' | 'int' | 'boolean';

export interface FlagSpec {
  /** Long name without dashes, kebab-case (`base-port`). */
  name: string;
  type: FlagType;
  /** One line for `--help`. */
  help: string;
  /** Name of the value in `--help` (`--config F`). */
  valueName?: string;
  /** Inclusive bounds for `int` flags. */
  min?: number;
  max?: number;
}

export type FlagValue = string | number | boolean;

export interface ParsedArgs {
  /** Values keyed by long flag name; absent flags are absent (no defaults are filled in here). */
  flags: Record<string, FlagValue>;
  positionals: string[];
  /** True if `-h` or `--help` appeared anywhere before `--`. */
  help: boolean;
}

function isFlagWord(word: string): boolean {
  // `-` alone and negative numbers are values.
  return word.startsWith('-') && word.length > 1 && !/^-\d/.test(word);
}

function parseValue(spec: FlagSpec, raw: string): FlagValue {
  if (spec.type === 'string') {
    if (raw === '') throw new UsageError(`--${spec.name}: needs a non-empty value`);
    return raw;
  }
  if (spec.type === 'int') {
    if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${spec.name}: must be an integer, got ${JSON.stringify(raw)}`);
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new UsageError(`--${spec.name}: integer out of range, got ${raw}`);
    if (spec.min !== undefined && n < spec.min) throw new UsageError(`--${spec.name}: must be >= ${spec.min}, got ${n}`);
    if (spec.max !== undefined && n > spec.max) throw new UsageError(`--${spec.name}: must be <= ${spec.max}, got ${n}`);
    return n;
  }
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new UsageError(`--${spec.name}: takes no value (or =true/=false), got ${JSON.stringify(raw)}`);
}

/**
 * Parses `argv` (the words after the subcommand) against `specs`. Throws UsageError for an unknown
 * flag, a flag given twice, a missing value or a value of the wrong type.
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!isFlagWord(word)) {
      positionals.push(word);
      continue;
    }
    if (word === '-h' || word === '--help') {
      help = true;
      continue;
    }
    if (!word.startsWith('--')) throw new UsageError(`unknown option ${JSON.stringify(word)} (flags are --long-names)`);
    const eq = word.indexOf('=');
    const name = eq === -1 ? word.slice(2) : word.slice(2, eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (Object.hasOwn(flags, name)) throw new UsageError(`--${name}: given more than once`);
    let raw: string;
    if (eq !== -1) {
      raw = word.slice(eq + 1);
    } else if (spec.type === 'boolean') {
      raw = 'true';
    } else {
      const next = argv[i + 1];
      if (next === undefined || isFlagWord(next) || next === '--') {
        throw new UsageError(`--${name}: missing value (${spec.valueName ?? spec.type})`);
      }
      raw = next;
      i++;
    }
    flags[name] = parseValue(spec, raw);
  }
  return { flags, positionals, help };
}

/** Reads a typed flag; the parser guarantees the type, these only narrow it for TypeScript. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function intFlag(args: ParsedArgs, name: string): number | undefined {
  const v = args.flags[name];
  return typeof v === 'number' ? v : undefined;
}

export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.flags[name] === true;
}

/** Throws unless exactly `min..max` positionals were given; `what` names them for the message. */
export function expectPositionals(args: ParsedArgs, min: number, max: number, what: string): string[] {
  const n = args.positionals.length;
  if (n < min) throw new UsageError(`missing argument: expected ${what}`);
  if (n > max) throw new UsageError(`too many arguments: expected ${what}, got ${JSON.stringify(args.positionals.slice(max))} extra`);
  return args.positionals;
}

/** Renders the flag list for `--help`, aligned. */
export function formatFlagsHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const left = s.type === 'boolean' ? `--${s.name}` : `--${s.name} ${s.valueName ?? s.type.toUpperCase()}`;
    return [left, s.help] as const;
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`).join('\n');
}
