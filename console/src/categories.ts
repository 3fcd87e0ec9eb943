// Categories (two levels) as a cascader tree and a name lookup.
import { api } from './api';
import type { Category } from './types';

export interface CategoryNode { value: number; label: string; children?: CategoryNode[]; [k: string]: unknown }

export async function loadCategories(): Promise<Category[]> {
  return (await api.get<{ items: Category[] }>('/categories')).items;
}

export function categoryTree(items: Category[]): CategoryNode[] {
  const bySort = [...items].sort((a, b) => a.sort - b.sort || a.id - b.id);
  const roots = bySort.filter((c) => c.parentId === null || c.parentId === undefined);
  return roots.map((r) => {
    const children = bySort.filter((c) => c.parentId === r.id).map((c) => ({ value: c.id, label: c.name }));
    return children.length ? { value: r.id, label: r.name, children } : { value: r.id, label: r.name };
  });
}

export function categoryName(items: Category[], id: number | null): string {
  if (id === null) return '—';
  const c = items.find((x) => x.id === id);
  if (!c) return String(id);
  const parent = c.parentId !== null ? items.find((x) => x.id === c.parentId) : undefined;
  return parent ? `${parent.name} / ${c.name}` : c.name;
}
