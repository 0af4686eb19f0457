/**
 * Awaits every promise, also after one of them failed, so that nothing is still running when the
 * caller undoes what they did; then throws the first failure (in the order given) or gives the values.
 */
export async function allOrFirstError<T extends readonly unknown[] | []>(promises: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  for (const r of settled as PromiseSettledResult<unknown>[]) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
