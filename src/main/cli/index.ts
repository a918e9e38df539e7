import fs from 'node:fs';
import path from 'node:path';
import { parseCommandArgs, type CliIo, type Command } from './command';
import { defaultUserDataDir } from '../catalogue';
import { UserError } from '../../shared/errors';
import { importCommand } from './commands/import';
import { statsCommand } from './commands/stats';
import { splitCommand } from './commands/split';
import { labelCommand, redoCommand, undoCommand } from './commands/label';
import { excludeCommand, includeCommand } from './commands/exclude';
import { classesCommand } from './commands/classes';
import { classifyCommand } from './commands/classify';
import { embedCommand } from './commands/embed';
import { exportCommand } from './commands/export';
import { trainCommand } from './commands/train';
import { cvCommand } from './commands/cv';
import { evalCommand } from './commands/eval';
import { compareCommand } from './commands/compare';
import { groupsCommand } from './commands/groups';
import { labelIssuesCommand } from './commands/label-issues';
import { quantizeCommand } from './commands/quantize';

export const COMMANDS: Command[] = [importCommand, statsCommand, splitCommand, groupsCommand, labelCommand, undoCommand, redoCommand, excludeCommand, includeCommand, classesCommand, trainCommand, cvCommand, evalCommand, compareCommand, classifyCommand, exportCommand, embedCommand, labelIssuesCommand, quantizeCommand];

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'orelab: sort photos of ore specimens by mineral',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'The catalogue is --db F, else $ORELAB_DB, else catalogue.sqlite in the user-data folder.',
    'Run "orelab <command> --help" for a command\'s options.',
    '',
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(helpText());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`orelab: unknown command "${name}"\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.summary}\n\nusage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(parseCommandArgs(command, rest), io);
  } catch (err) {
    // The one place the CLI maps errors. A user error (a bad flag, file or name, a clash, a newer catalogue)
    // is one line that says what to do; a usage error also prints the usage. Anything else is a bug: its stack
    // is printed for the report.
    if (err instanceof UserError) {
      if (err.kind === 'usage') {
        io.stderr.write(`orelab ${command.name}: ${err.message}\nusage: ${command.usage}\n`);
        return 2;
      }
      io.stderr.write(`orelab ${command.name}: ${err.message}\n`);
      // Ctrl-C before a job could report anything (e.g. while training prepares its photos) ends as a cancel does.
      return io.signal.aborted && err.exitCode === 1 ? 130 : err.exitCode;
    }
    io.stderr.write(`orelab ${command.name}: unexpected error: ${internalErrorLine(err)}\n`);
    return 1;
  }
}

/**
 * An internal error (a bug, not the user's input) in one line; its stack goes to the log file, or, when that
 * cannot be written, below the line, so that it is never lost.
 */
export function internalErrorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  const log = path.join(process.env.ORELAB_LOG_DIR ?? path.join(defaultUserDataDir(), 'logs'), 'orelab-cli.log');
  try {
    fs.mkdirSync(path.dirname(log), { recursive: true });
    fs.appendFileSync(log, `${new Date().toISOString()} orelab ${process.argv.slice(2).join(' ')}\n${stack}\n\n`);
    return `${message} (details in ${log}; please report them)`;
  } catch {
    return `${message}\n${stack}`;
  }
}
