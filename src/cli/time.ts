/** Times as podman prints them: the one "N minutes ago" of ps and images. */

/**
 * go-units HumanDuration (what podman's ps and images print) of the time from `iso` to `now`; '' when
 * there is no time. Seconds and minutes are truncated, hours rounded; days, weeks and months count whole
 * units of the rounded hours, years of the truncated ones.
 */
export function humanDuration(iso: string | undefined, now = Date.now()): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '';
  const ms = Math.max(0, now - t);
  const plural = (n: number, u: string) => `${n} ${u}${n === 1 ? '' : 's'}`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds < 60) return plural(seconds, 'second');
  const minutes = Math.floor(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(ms / 3600000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return plural(hours, 'hour');
  if (hours < 24 * 7 * 2) return plural(Math.floor(hours / 24), 'day');
  if (hours < 24 * 30 * 2) return plural(Math.floor(hours / 24 / 7), 'week');
  if (hours < 24 * 365 * 2) return plural(Math.floor(hours / 24 / 30), 'month');
  return plural(Math.floor(Math.floor(ms / 3600000) / 24 / 365), 'year');
}

/** humanDuration + " ago" (podman's CreatedHuman, CreatedSince); '' when there is no time. */
export function humanAgo(iso: string | undefined, now = Date.now()): string {
  const d = humanDuration(iso, now);
  return d && `${d} ago`;
}
