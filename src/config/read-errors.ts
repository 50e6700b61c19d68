// How a file that cannot be read is described in a config error: the operator's words, not errno's.

export const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file (ENOENT)',
  EACCES: 'permission denied (EACCES)',
  EISDIR: 'is a directory (EISDIR)',
};

export function describeReadError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return READ_ERRORS[e.code ?? ''] ?? e.message.replace(/\s+/g, ' ');
}
