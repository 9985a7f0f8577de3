// Whether a process id is in use: signal 0 checks without sending anything. EPERM means a
// process of another user holds it: alive, as far as a caller can tell.

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
