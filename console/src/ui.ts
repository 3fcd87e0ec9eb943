// Element Plus services used from scripts (components come on demand through
// the resolver; these two need their styles imported by hand).
import { ElMessage, ElMessageBox } from 'element-plus';
import 'element-plus/es/components/message/style/css';
import 'element-plus/es/components/message-box/style/css';
import { messageOf } from './api';

export { ElMessage, ElMessageBox };

export function toastError(e: unknown): void {
  ElMessage({ type: 'error', message: messageOf(e), grouping: true });
}

export function toastOk(message: string): void {
  ElMessage({ type: 'success', message });
}

/** true when confirmed. */
export async function confirm(message: string, title = '请确认'): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, title, { confirmButtonText: '确定', cancelButtonText: '取消', type: 'warning' });
    return true;
  } catch {
    return false;
  }
}
