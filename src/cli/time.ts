/** Times as podman prints them. */

/** go-units HumanDuration + " ago". */
export function humanAgo(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, (now - t) / 1000);
  const plural = (n: number, u: string) => `${n} ${u}${n === 1 ? '' : 's'}`;
  let d: string;
  if (s < 1) d = 'Less than a second';
  else if (s < 60) d = plural(Math.floor(s), 'second');
  else if (s < 120) d = 'About a minute';
  else if (s < 3600) d = plural(Math.floor(s / 60), 'minute');
  else if (s < 7200) d = 'About an hour';
  else if (s < 48 * 3600) d = plural(Math.floor(s / 3600), 'hour');
  else if (s < 14 * 86400) d = plural(Math.floor(s / 86400), 'day');
  else if (s < 60 * 86400) d = plural(Math.floor(s / (7 * 86400)), 'week');
  else if (s < 730 * 86400) d = plural(Math.floor(s / (30 * 86400)), 'month');
  else d = plural(Math.floor(s / (365 * 86400)), 'year');
  return `${d} ago`;
}
