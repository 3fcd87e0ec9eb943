// 会员 → 分层与标签 in words: a segment's Chinese label, a change of segment,
// a filter option with its member count, and the server's refusal of a tag
// set (422 MEMBER_TAG_INVALID, `details.field` `tags[i]` or `tags`) naming
// the tag it refused.
import { SEGMENTS, type Segment } from './memberCampaigns';

/** `active` → `活跃`; null (the hourly job has not run for the member yet) → `—`; an unknown name as is. */
export function segmentLabel(s: string | null | undefined): string {
  if (s === null || s === undefined) return '—';
  return SEGMENTS[s as Segment] ?? s;
}

/** `首次 → 活跃` (no previous segment) or `活跃 → 流失风险`. */
export function segmentChange(previous: string | null, segment: string): string {
  return `${previous === null ? '首次' : segmentLabel(previous)} → ${segmentLabel(segment)}`;
}

/** A filter option: `活跃（12）`. */
export function segmentOption(segment: string, members: number): string {
  return `${segmentLabel(segment)}（${members}）`;
}

/** `tags[1]` → 1; `tags` or anything else → null. */
export function tagIndex(field: unknown): number | null {
  const m = typeof field === 'string' ? /^tags\[(\d+)\]$/.exec(field) : null;
  return m ? Number(m[1]) : null;
}

/**
 * The server's message for a refused tag set, naming the tag it refused
 * (`…（第2个：一二三四五六七八九十一）`) or the count (`…（当前 21 个）`).
 */
export function tagRefusalText(message: string, field: unknown, tags: readonly string[]): string {
  const i = tagIndex(field);
  if (i !== null && i < tags.length) return `${message}（第${i + 1}个：${tags[i]}）`;
  if (field === 'tags') return `${message}（当前 ${tags.length} 个）`;
  return message;
}
