// A paged list of the console: the page and its size, the rows and the total
// of the last answer, loading while a request is out. load() asks again for
// the current page (an error is a toast, the rows stay); search() goes back
// to page 1 first (a filter or the page size changed); act() runs a change
// on a row, says so (or the error), then loads the list again. The component
// loads it when it mounts (or when its tab opens).
import { ref, type Ref } from 'vue';
import type { Paged } from './types';
import { toastError, toastOk } from './ui';

export interface PagedList<T> {
  page: Ref<number>;
  pageSize: Ref<number>;
  list: Ref<T[]>;
  total: Ref<number>;
  loading: Ref<boolean>;
  load: () => Promise<void>;
  search: () => void;
  act: (change: () => Promise<unknown>, done: string) => Promise<void>;
}

/** `fetch` asks for one page (with the component's filters). */
export function usePagedList<T>(fetch: (paging: { page: number; pageSize: number }) => Promise<Paged<T>>): PagedList<T> {
  const page = ref(1);
  const pageSize = ref(20);
  const list = ref([]) as Ref<T[]>;
  const total = ref(0);
  const loading = ref(false);
  async function load() {
    loading.value = true;
    try {
      const r = await fetch({ page: page.value, pageSize: pageSize.value });
      list.value = r.items;
      total.value = r.total;
    } catch (e) {
      toastError(e);
    } finally {
      loading.value = false;
    }
  }
  function search() {
    page.value = 1;
    load();
  }
  async function act(change: () => Promise<unknown>, done: string) {
    try {
      await change();
      toastOk(done);
    } catch (e) {
      toastError(e);
    }
    load();
  }
  return { page, pageSize, list, total, loading, load, search, act };
}
