import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import { UserError } from '../../shared/errors';

/** A user error: bad flags or arguments. The CLI prints the message and the command's usage, exit 2. */
export class UsageError extends UserError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** A failure the user should read (a bad file, a missing model), exit 1 (or the code given), no stack trace. */
export class CliError extends UserError {
  constructor(message: string, exitCode = 1) {
    super('invalid-input', message, exitCode);
  }
}

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Aborted on Ctrl-C: long jobs stop at the next safe point and report what they did. */
  signal: AbortSignal;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec;
  /** Returns the process exit code. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: command.options, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^TypeError \[\w+\]: /, ''));
  }
}

export function stringOpt(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function boolOpt(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

export function numberOpt(args: ParsedArgs, name: string, fallback: number, check: { min?: number; max?: number; integer?: boolean } = {}): number {
  const raw = stringOpt(args, name);
  if (raw === undefined) return fallback;
  // Number('') is 0: an empty value (`--seed=`) must be an error, not a silent zero.
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || (check.integer && !Number.isInteger(n)) || (check.min !== undefined && n < check.min) || (check.max !== undefined && n > check.max)) {
    const range = [check.integer ? 'an integer' : 'a number', check.min !== undefined ? `>= ${check.min}` : '', check.max !== undefined ? `<= ${check.max}` : '']
      .filter(Boolean)
      .join(' ');
    throw new UsageError(`--${name} must be ${range}, got "${raw}"`);
  }
  return n;
}

export function choiceOpt<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const raw = stringOpt(args, name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

export const DB_OPTION: OptionSpec = { db: { type: 'string' } };
export const JSON_OPTION: OptionSpec = { json: { type: 'boolean' } };

export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** How one field of a use case's params schema is given on the command line. */
export interface FlagBinding {
  flag: string;
  kind: 'number' | 'text' | 'boolean';
  /** A word that stands for null (e.g. `--weights none`). */
  none?: string;
}

/** The parseArgs options of a command whose flags are all bound to its params schema. */
export function flagOptions(flags: Record<string, FlagBinding>): OptionSpec {
  return Object.fromEntries(Object.values(flags).map((b) => [b.flag, { type: b.kind === 'boolean' ? 'boolean' : 'string' }]));
}

/**
 * Reads the flags bound to a schema's fields into the schema's input (only the flags given: the schema's
 * defaults fill the rest), parses it with the schema, and reports its issues in the CLI's own words, naming
 * the flag and what was typed. The same schema checks the app's IPC requests, so the two cannot drift.
 */
export function parseFlags<S extends z.ZodType>(schema: S, args: ParsedArgs, bindings: Readonly<Record<string, FlagBinding>>, fixed: Record<string, unknown> = {}): z.output<S> {
  const input: Record<string, unknown> = { ...fixed };
  const typed: Record<string, string> = {};
  for (const [field, b] of Object.entries(bindings)) {
    if (b.kind === 'boolean') {
      if (boolOpt(args, b.flag)) input[field] = true;
      continue;
    }
    const raw = stringOpt(args, b.flag);
    if (raw === undefined) continue;
    typed[field] = raw;
    if (b.none !== undefined && raw === b.none) input[field] = null;
    // Number('') is 0: an empty value must be refused, not read as zero.
    else input[field] = b.kind === 'number' ? (raw.trim() === '' ? NaN : Number(raw)) : raw;
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? '');
  const binding = bindings[field];
  if (!binding) throw new UsageError(`${field ? `${field}: ` : ''}${issue.message}`);
  throw new UsageError(`--${binding.flag} ${describeIssue(issue)}, got "${typed[field] ?? ''}"`);
}

/** A zod issue as the end of "--flag must be …". */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'must be an integer' : `must be ${issue.expected === 'number' ? 'a number' : issue.expected}`;
    case 'too_small':
      return `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    default:
      return `is not valid (${issue.message})`;
  }
}
