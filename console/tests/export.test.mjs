// 导出: 10,000 orders exported from the console. The progress bar reaches
// 100%, and the file matches the golden: the BOM, the header, formula cells
// escaped (a nickname starting with =), yuan with two decimals, one line per
// order. The shop's clock is pinned (MALL_CLOCK_START) so the times in the
// file are the golden's; the 9,999 copies of one real order are written
// straight into the test's SQLite file (setup only).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiLogin, launchBrowser, openConsole, placeOrder, staffClient, startServer, tid, guarded } from './harness.mjs';

// 2026-01-15 20:30:00 Beijing time.
const PINNED = 1768480200;
let server;
let browser;
let page;
let session;
let first;
before(async () => {
  server = await startServer({ env: { MALL_CLOCK_START: String(PINNED) } });
  browser = await launchBrowser();
  session = await apiLogin(server.base);
  const owner = staffClient(server.base, session);
  const products = await owner.get('/products?pageSize=50');
  const detail = await owner.get(`/products/${products.items[0].id}`);
  first = await placeOrder(server, { skuId: detail.skus[0].id, quantity: 2 });
  const sql = `
    UPDATE users SET nickname = '=HYPERLINK("http://x","点我")';
    WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 9999)
    INSERT INTO orders (order_no, user_id, status, idempotency_key, fingerprint, goods_total, discount_total,
        shipping_fee, points_used, points_deduction, payable, reward_growth, reward_points, delivery, remark,
        quote, snapshot, created_at, expires_at, paid_at, updated_at, paid_amount, phone_tail)
    SELECT 'T' || printf('%05d', k.i), o.user_id, o.status, o.idempotency_key || '-' || k.i, o.fingerprint,
        o.goods_total, o.discount_total, o.shipping_fee, o.points_used, o.points_deduction, o.payable,
        o.reward_growth, o.reward_points, o.delivery, o.remark, o.quote, o.snapshot, o.created_at,
        o.expires_at, o.paid_at, o.updated_at, o.paid_amount, o.phone_tail
    FROM orders o, k WHERE o.id = ${first.id};`;
  execFileSync('python3', ['-c', `import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
c.executescript(sys.argv[2])
c.commit()`, join(server.dataDir, 'mall.db'), sql]);
  ({ page } = await openConsole(browser, server, session, '/admin/orders'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);

test('10,000 orders export to 100% and the file matches the golden', (t) => guard(t, async () => {
  await page.click(tid('order-export'));
  await page.locator(tid('export-status')).filter({ hasText: '已完成' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.locator(tid('export-progress')).getAttribute('aria-valuenow'), '100');
  const href = await page.locator(tid('export-download')).getAttribute('href');
  const r = await fetch(server.base + href, { headers: { cookie: `mall_staff=${session.cookie.value}` } });
  assert.equal(r.status, 200);
  const bytes = new Uint8Array(await r.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 BOM first');
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  const lines = text.split('\r\n');
  assert.equal(lines.length, 10_002, 'header, 10,000 orders, the empty rest');
  // The real order's number is random: the golden says <FIRST>.
  const got = [...lines.slice(0, 3), lines.at(-2)].join('\r\n').replaceAll(first.orderNo, '<FIRST>');
  const goldenPath = new URL('./golden/export-head.csv', import.meta.url);
  if (process.env.WRITE_GOLDEN) writeFileSync(goldenPath, got);
  assert.equal(got, readFileSync(goldenPath, 'utf8'));
}));
