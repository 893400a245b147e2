/** Turns EADDRINUSE/EACCES from listen() into an error that names the port and what moves it. */
export class PortInUseError extends Error {
  constructor(
    readonly what: string,
    readonly host: string,
    readonly port: number,
    readonly setting: string,
    cause: unknown,
  ) {
    super(
      `${what} cannot listen on ${host}:${port}: the port is already in use (or not permitted). ` +
        `Stop whatever holds it, or choose another port with ${setting} (0 picks a free port).`,
      { cause },
    );
    this.name = 'PortInUseError';
  }
}

export function listenError(err: unknown, what: string, host: string, port: number, setting: string): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES') return new PortInUseError(what, host, port, setting, err);
  return err instanceof Error ? err : new Error(String(err));
}
