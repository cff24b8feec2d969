/** Fork a bench module as its own process, talk to it over IPC. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Child {
  process: ChildProcess;
  /** The next message from the child. */
  next<T>(timeoutMs?: number): Promise<T>;
  send(message: unknown): void;
  kill(): void;
}

export function forkChild(module: string, env: Record<string, string> = {}): Child {
  const path = fileURLToPath(new URL(module, import.meta.url));
  const child = fork(path, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: unknown[] = [];
  const waiting: ((message: unknown) => void)[] = [];
  let exited: Error | undefined;
  const failures: ((error: Error) => void)[] = [];
  child.on('message', (message) => {
    const resolve = waiting.shift();
    if (resolve) resolve(message);
    else inbox.push(message);
  });
  child.on('exit', (code, signal) => {
    exited = new Error(`${module} exited (${code ?? signal}) before answering`);
    for (const fail of failures.splice(0)) fail(exited);
  });
  return {
    process: child,
    next<T>(timeoutMs = 600_000) {
      if (inbox.length > 0) return Promise.resolve(inbox.shift() as T);
      if (exited) return Promise.reject(exited);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${module}: no answer in ${timeoutMs} ms`)), timeoutMs);
        failures.push((error) => {
          clearTimeout(timer);
          reject(error);
        });
        waiting.push((message) => {
          clearTimeout(timer);
          resolve(message as T);
        });
      });
    },
    send(message) {
      child.send(message as never);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}
