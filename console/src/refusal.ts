// A refusal of a write shown beside the field it names: INVALID_INPUT and
// RULES_INCONSISTENT carry `details {field, reason}`, where a nested field
// (`bonuses.day`) belongs to the form item of its first part (`bonuses`).
import { ApiError, messageOf } from './api';

export interface Refusal {
  /** One of the form's items, or null when the error names none of them. */
  item: string | null;
  /** The server's message, with the field and reason it gave. */
  text: string;
}

export function refusalOf(e: unknown, items: readonly string[]): Refusal {
  const d = e instanceof ApiError ? e.details : null;
  const field = typeof d?.field === 'string' ? d.field : null;
  const reason = typeof d?.reason === 'string' ? d.reason : '';
  const item = field === null ? null : items.find((i) => field === i || field.startsWith(`${i}.`)) ?? null;
  const named = field !== null && field !== item ? field : '';
  const why = [named, reason].filter(Boolean).join('：');
  return { item, text: why ? `${messageOf(e)}（${why}）` : messageOf(e) };
}
