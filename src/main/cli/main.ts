// Process entry of the `orelab` command: wires stdio and Ctrl-C to runCli.
import { runCli } from './index';

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts === 1) {
    process.stderr.write('\nstopping after the current step (Ctrl-C again to quit now)…\n');
    controller.abort();
  } else {
    process.exit(130);
  }
});
// A closed pipe (orelab ... | head) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
process.exitCode = controller.signal.aborted && code === 0 ? 130 : code;
