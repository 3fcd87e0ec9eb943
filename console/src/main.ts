import { createApp } from 'vue';
import App from './App.vue';
import { router } from './router';
import { setUnauthorizedHandler } from './api';
import { clearSession } from './session';
import './style.css';

setUnauthorizedHandler(() => {
  clearSession();
  const here = router.currentRoute.value;
  if (here.name !== 'login') {
    router.replace({ name: 'login', query: { redirect: here.fullPath } });
  }
});

createApp(App).use(router).mount('#app');
