// 新订单提醒: the server's event stream (GET /admin/api/stream) shown as
// notifications while the console is open, with an optional chime (a short
// Web Audio tone, no sound file) the merchant turns on in the header; the
// choice is kept in localStorage. The browser reconnects by itself.
import { ref } from 'vue';
import { ElNotification } from 'element-plus';
import 'element-plus/es/components/notification/style/css';
import { formatFen } from './money';

const KEY = 'mall.console.chime';
export const chime = ref(localStorage.getItem(KEY) === '1');
/** The last events, newest first (the header's badge and the tests read them). */
export const recent = ref<{ kind: string; text: string }[]>([]);

export function setChime(on: boolean): void {
  chime.value = on;
  localStorage.setItem(KEY, on ? '1' : '0');
  if (on) beep(); // also unlocks audio: browsers play sound only after a click
}

let audio: AudioContext | null = null;
function beep(): void {
  try {
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.4);
  } catch {
    /* no audio: the notification still shows */
  }
}

function announce(kind: string, title: string, text: string): void {
  recent.value = [{ kind, text }, ...recent.value].slice(0, 20);
  ElNotification({ title, message: text, type: kind === 'orderPaid' ? 'success' : 'warning', duration: 8000 });
  if (chime.value) beep();
}

let source: EventSource | null = null;

export function startAlerts(): void {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/admin/api/stream');
  source.addEventListener('orderPaid', (e) => {
    const d = JSON.parse((e as MessageEvent).data) as { orderNo: string; amount: number };
    announce('orderPaid', '新订单', `订单 ${d.orderNo} 已支付 ${formatFen(d.amount)}`);
  });
  source.addEventListener('afterSaleRequested', (e) => {
    const d = JSON.parse((e as MessageEvent).data) as { afterSaleId: number; orderId: number; amount: number };
    announce('afterSaleRequested', '新售后申请', `售后 #${d.afterSaleId}（订单 ${d.orderId}）申请退款 ${formatFen(d.amount)}`);
  });
}

export function stopAlerts(): void {
  source?.close();
  source = null;
}
