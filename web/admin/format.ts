/** `4 s`, `3 min`, `2 h 5 min`, `3 d`: how long ago or how old. */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

/** An ISO time as `… ago` from now. */
export function ago(iso: string, now = Date.now()): string {
  return `${duration(now - Date.parse(iso))} ago`;
}

/** A number with at most two decimals, and no trailing zeros. */
export function figure(value: number): string {
  return String(Math.round(value * 100) / 100);
}
