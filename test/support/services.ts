/** Something the harness started and must stop again. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Starts services side by side. When one fails, the ones that did start are stopped before the
 * error surfaces: a run that fails half-way leaves no server behind.
 */
export async function startTogether<A extends Stoppable, B extends Stoppable>(a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a(), b()]);
  if (first.status === 'fulfilled' && second.status === 'fulfilled') return [first.value, second.value];
  await Promise.allSettled([first, second].map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
  throw first.status === 'rejected' ? first.reason : (second as PromiseRejectedResult).reason;
}
