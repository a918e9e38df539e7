import { CliError, parseCommandArgs, UsageError, type CliIo, type Command } from './command';
import { importCommand } from './commands/import';
import { statsCommand } from './commands/stats';
import { splitCommand } from './commands/split';
import { labelCommand, undoCommand } from './commands/label';
import { classesCommand } from './commands/classes';
import { classifyCommand } from './commands/classify';
import { exportCommand } from './commands/export';
import { trainCommand } from './commands/train';
import { evalCommand } from './commands/eval';
import { CatalogueOpenError, CatalogueVersionError, ClassError, ModelReferenceError } from '../catalogue';

export const COMMANDS: Command[] = [importCommand, statsCommand, splitCommand, labelCommand, undoCommand, classesCommand, trainCommand, evalCommand, classifyCommand, exportCommand];

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
    if (err instanceof UsageError) {
      io.stderr.write(`orelab ${command.name}: ${err.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    if (err instanceof CliError) {
      io.stderr.write(`orelab ${command.name}: ${err.message}\n`);
      return err.exitCode;
    }
    // The catalogue's own errors are written for the user (a class clash, an ambiguous model id, a newer,
    // read-only or non-SQLite file): one line, no stack trace.
    if (err instanceof CatalogueOpenError || err instanceof CatalogueVersionError || err instanceof ClassError || err instanceof ModelReferenceError) {
      io.stderr.write(`orelab ${command.name}: ${err.message}\n`);
      return 1;
    }
    io.stderr.write(`orelab ${command.name}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
