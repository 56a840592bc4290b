/** An unknown thrown value as one log-friendly line (`Name: message`), never the value itself. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
