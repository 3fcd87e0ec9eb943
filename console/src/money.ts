// Money in the console: amounts travel as integer fen and are only formatted
// when rendered. No float arithmetic touches an amount: display splits the
// integer, input parses the string.

/** `1234` → `¥12.34`, `-5` → `-¥0.05`. */
export function formatFen(fen: number | null | undefined): string {
  if (fen === null || fen === undefined || !Number.isFinite(fen)) return '—';
  const sign = fen < 0 ? '-' : '';
  return `${sign}¥${yuanDigits(fen)}`;
}

/** `1234` → `12.34` (no currency sign; for inputs and CSV). */
export function fenToYuan(fen: number): string {
  return `${fen < 0 ? '-' : ''}${yuanDigits(fen)}`;
}

function yuanDigits(fen: number): string {
  const n = Math.abs(Math.trunc(fen));
  return `${Math.trunc(n / 100)}.${String(n % 100).padStart(2, '0')}`;
}

/**
 * A yuan amount typed by a person → integer fen, or null when it is not an
 * amount: `"12"` → 1200, `"12.3"` → 1230, `"¥0.05"` → 5, `"1.234"` → null.
 * Negative amounts are refused unless `allowNegative`.
 */
export function parseYuan(input: string | number | null | undefined, allowNegative = false): number | null {
  if (input === null || input === undefined) return null;
  let s = String(input).trim().replace(/^¥/, '').replace(/,/g, '');
  let sign = 1;
  if (s.startsWith('-')) {
    if (!allowNegative) return null;
    sign = -1;
    s = s.slice(1);
  }
  const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(s);
  if (!m) return null;
  const yuan = Number(m[1]);
  const cents = Number((m[2] ?? '').padEnd(2, '0'));
  const fen = yuan * 100 + cents;
  if (!Number.isSafeInteger(fen)) return null;
  return sign * fen || 0;
}

/** A rate string from the server (`"0.1250"`) → `"12.50%"`, by moving the decimal point. */
export function formatRate(rate: string | null | undefined): string {
  if (rate === null || rate === undefined || rate === '') return '—';
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(rate.trim());
  if (!m) return rate;
  const frac = (m[3] ?? '').padEnd(4, '0');
  const whole = String(Number(m[2]) * 100 + Number(frac.slice(0, 2)));
  return `${m[1]}${whole}.${frac.slice(2, 4)}%`;
}

/** A rate string → integer parts per million (for comparisons, never display). */
export function rateToPpm(rate: string | null | undefined): number {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec((rate ?? '').trim());
  if (!m) return 0;
  const v = Number(m[2]) * 1_000_000 + Number((m[3] ?? '').padEnd(6, '0').slice(0, 6));
  return m[1] ? -v : v;
}

export interface Change {
  dir: 'up' | 'down' | 'flat' | 'new';
  /** `+12.5%`, `-3.0%`, `0.0%`, or `—` when yesterday was zero. */
  text: string;
}

/** 环比: today against yesterday, in tenths of a percent (integers only). */
export function change(today: number, yesterday: number): Change {
  if (yesterday === 0) {
    return today === 0 ? { dir: 'flat', text: '0.0%' } : { dir: 'new', text: '—' };
  }
  // Round half away from zero: tenths of a percent = (t - y) * 1000 / y.
  const num = (today - yesterday) * 1000;
  const den = Math.abs(yesterday);
  const q = Math.trunc((Math.abs(num) * 2 + den) / (2 * den));
  const tenths = num < 0 ? -q : q;
  const dir = tenths > 0 ? 'up' : tenths < 0 ? 'down' : 'flat';
  const abs = Math.abs(tenths);
  const text = `${tenths > 0 ? '+' : tenths < 0 ? '-' : ''}${Math.trunc(abs / 10)}.${abs % 10}%`;
  return { dir, text };
}
