// The carrier list (GET /carriers), loaded once per session.
import { ref } from 'vue';
import { api } from '../../api';
import type { Carrier } from '../../types';

export const carriers = ref<Carrier[]>([]);
let loading: Promise<void> | null = null;

export function loadCarriers(): Promise<void> {
  if (!loading) {
    loading = api
      .get<{ items: Carrier[] }>('/carriers')
      .then((r) => { carriers.value = r.items; })
      .catch((e) => { loading = null; throw e; });
  }
  return loading;
}

export function carrierName(code: string | null | undefined): string {
  if (!code) return '—';
  return carriers.value.find((c) => c.code === code)?.name ?? code;
}

export interface ShipTarget { id: number; orderNo: string }
