/**
 * Imports a dev dependency by name at run time, typed `any`. The compiler then does not read its
 * declarations: `openai`, `@anthropic-ai/sdk` and `@openai/agents` hold hundreds of thousands of
 * lines of them, which would multiply the time of every test build. The tests drive the real
 * package all the same.
 */
export async function importUntyped(name: string): Promise<any> {
  return import(name);
}
