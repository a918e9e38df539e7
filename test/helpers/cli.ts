import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { REPO_ROOT } from './fs';
import { runCli } from '../../src/main/cli/index';
import type { CliIo } from '../../src/main/cli/command';

const CLI_SOURCE = path.join(REPO_ROOT, 'src/main/cli/main.ts');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `orelab` CLI from source (through tsx) in a child process. `prefix` wraps it, e.g. in setpriv. */
export function runOrelab(args: string[], options: { prefix?: string[]; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const command = [...(options.prefix ?? []), process.execPath, '--import', 'tsx', CLI_SOURCE, ...args];
  const r = spawnSync(command[0]!, command.slice(1), {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function spawnOrelab(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI_SOURCE, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function parseJson<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`orelab did not print JSON (exit ${run.status}).\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

/** A stream that keeps what is written to it. */
class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** runCli in this process (no child, no tsx start-up), with its output captured. */
export async function runCliInProcess(argv: string[], signal: AbortSignal = new AbortController().signal): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout = new TextSink();
  const stderr = new TextSink();
  const io: CliIo = { stdout, stderr, signal };
  const status = await runCli(argv, io);
  return { status, stdout: stdout.text, stderr: stderr.text };
}
