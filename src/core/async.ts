/** Whether `p` settles before `deadline` (epoch ms); `p` keeps running either way. */
export async function within(p: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>(
    (r) => (timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now()))),
  );
  const r = await Promise.race([p.then(() => true as const), late]);
  clearTimeout(timer);
  return r;
}
