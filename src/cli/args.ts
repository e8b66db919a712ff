/**
 * Option parsing shared by `aisle train` and `aisle eval`. Every mistake on the command line
 * becomes one AisleError AISLE_INVALID_ARGUMENT with a one-line message that names the option and
 * its allowed values, so the command can print it with its usage and exit 2.
 */
import { parseArgs } from 'node:util';
import { AisleError } from '../core/errors.js';

/** The options of a command: parseArgs's option config plus, for messages, the allowed values. */
export type CommandOptions = Record<string, { type: 'string' | 'boolean'; short?: string; allowed?: string }>;

/** Builds the error of a bad option or value on the command line of `aisle <command>`. */
export function usageError(command: string, message: string): AisleError {
  return new AisleError('AISLE_INVALID_ARGUMENT', `${message} Run \`aisle ${command} --help\`.`);
}

/**
 * Rewrites `--name -5` as `--name=-5` for string options, because parseArgs in Node 20 rejects a
 * value starting with '-' as ambiguous. The range check then names the value.
 */
function joinNegativeValues(argv: readonly string[], options: CommandOptions): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const next = argv[i + 1];
    const option = token.startsWith('--') ? options[token.slice(2)] : undefined;
    if (option?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${token}=${next}`);
      i++;
    } else {
      joined.push(token);
    }
  }
  return joined;
}

/** Turns a parseArgs error into a one-line message naming the option and its allowed values. */
function describeParseError(error: Error & { code?: string }, options: CommandOptions): string {
  // parseArgs quotes the offending token first, for example "Unknown option '--bogus'".
  const quoted = /'([^' ]+)/.exec(error.message)?.[1] ?? '';
  const name = quoted.replace(/^-+/, '');
  const option = options[name];
  const known = Object.keys(options).map((key) => `--${key}`).join(', ');

  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `Unknown option ${quoted}; the options are ${known}.`;
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `Unexpected argument ${JSON.stringify(quoted)}; every value follows an option, one of ${known}.`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option?.type === 'boolean') return `--${name} takes no value.`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) return `--${name} needs a value: ${option.allowed ?? 'a string'}.`;
  return error.message.split('\n')[0];
}

/** The parseArgs config that parseCommandLine passes. */
type StrictConfig<T extends CommandOptions> = { args: string[]; options: T; strict: true; allowPositionals: false };

/** Option values as parseArgs types them for the options `T`. */
export type ParsedValues<T extends CommandOptions> = ReturnType<typeof parseArgs<StrictConfig<T>>>['values'];

/**
 * Parses the arguments of `aisle <command>` with parseArgs (strict, no positionals). Throws
 * AISLE_INVALID_ARGUMENT for an unknown option, a missing value or a stray argument.
 */
export function parseCommandLine<T extends CommandOptions>(command: string, argv: readonly string[], options: T): ParsedValues<T> {
  const config: StrictConfig<T> = { args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: false };
  try {
    return parseArgs(config).values;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw error;
    throw usageError(command, describeParseError(error as Error & { code: string }, options));
  }
}

/** Parses an optional integer option in [min, max], or throws AISLE_INVALID_ARGUMENT naming it. */
export function parseIntegerOption(command: string, name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw usageError(command, `--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}.`);
  }
  return number;
}

/** True for the errors of parseCommandLine and parseIntegerOption, which the command reports with its usage and exit code 2. */
export function isUsageError(error: unknown): error is AisleError {
  return error instanceof AisleError && error.code === 'AISLE_INVALID_ARGUMENT';
}
