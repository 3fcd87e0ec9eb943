// lib/track.js: events queued and mirrored to storage, flushed at 20, every
// 5 s and on hide, a UUID per event, the entry scene and ch carried along,
// a session that rotates after 30 minutes idle, a visitor kept in storage.
'use strict';
const h = require('./helpers');
const track = require('../../miniprogram/lib/track.js');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('track', () => {
  let log;
  beforeEach(() => {
    // Storage as on the phone: kept across restarts of the script.
    const mem = new Map();
    wx.setStorageSync = (k, v) => mem.set(k, JSON.parse(JSON.stringify(v)));
    wx.getStorageSync = (k) => (mem.has(k) ? JSON.parse(JSON.stringify(mem.get(k))) : '');
    wx.removeStorageSync = (k) => mem.delete(k);
    wx.clearStorageSync = () => mem.clear();
    h.resetSession();
    track._reset();
    log = h.mockServer({ 'POST /api/events': (req) => ({ status: 202, body: { accepted: req.data.events.length, duplicates: 0 } }) });
  });
  const sent = () => log.filter((r) => r.path === '/api/events');

  test('app_show records the scene and ch, later events carry them, onHide flushes', async () => {
    track.appShow({ scene: 1047, query: { ch: 'qr-7' }, path: 'pages/home/index' });
    track.track('product_view', { productId: 3 });
    expect(wx.getStorageSync('track_queue')).toHaveLength(2); // mirrored before any send
    expect(sent()).toHaveLength(0);
    await track.appHide();
    expect(sent()).toHaveLength(1);
    const [show, view] = sent()[0].data.events;
    expect(show).toMatchObject({ name: 'app_show', props: { scene: 1047, ch: 'qr-7', page: 'pages/home/index' } });
    expect(view).toMatchObject({ name: 'product_view', props: { productId: 3, scene: 1047, ch: 'qr-7' } });
    expect(show.uuid).toMatch(UUID);
    expect(view.uuid).not.toBe(show.uuid);
    expect(view.sessionId).toBe(show.sessionId);
    expect(view.visitorId).toBe(show.visitorId);
    expect(Math.abs(view.ts - Date.now())).toBeLessThan(5000); // milliseconds
    expect(wx.getStorageSync('track_queue')).toEqual([]);
    // Anonymous is fine: no login just to report events.
    expect(log.filter((r) => r.path === '/api/auth/login')).toHaveLength(0);
  });

  test('twenty events flush at once; fewer wait for the 5 s timer', async () => {
    for (let i = 0; i < 19; i++) track.track('page_view', { page: 'p' + i });
    expect(sent()).toHaveLength(0);
    await track.track('page_view', { page: 'p19' });
    expect(sent()).toHaveLength(1);
    expect(sent()[0].data.events).toHaveLength(20);
    track.track('search', { keyword: '坚果' });
    expect(sent()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, track.FLUSH_EVERY_MS + 300));
    await h.flush();
    expect(sent()).toHaveLength(2);
    expect(sent()[1].data.events[0]).toMatchObject({ name: 'search', props: { keyword: '坚果' } });
  });

  test('a failed send keeps the events (same uuids) for the next flush; the queue survives a restart', async () => {
    let fail = true;
    log = h.mockServer({ 'POST /api/events': () => (fail ? { status: 500, body: { code: 'INTERNAL', message: 'x', details: {} } } : { status: 202, body: {} }) });
    track.track('checkout_start', {});
    await track.flush();
    const first = sent()[0].data.events[0].uuid;
    track._reset(); // the mini-program was killed: the queue comes back from storage
    fail = false;
    await track.flush();
    expect(sent()).toHaveLength(2);
    expect(sent()[1].data.events[0].uuid).toBe(first);
    expect(wx.getStorageSync('track_queue')).toEqual([]);
  });

  test('the session rotates after 30 minutes idle; the visitor stays', async () => {
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(1_000_000);
      track.track('page_view', {});
      now.mockReturnValue(1_000_000 + track.SESSION_IDLE_MS); // 30 min: same session
      track.track('page_view', {});
      now.mockReturnValue(1_000_001 + 2 * track.SESSION_IDLE_MS); // 30 min + 1 ms idle
      track.track('page_view', {});
      await track.appHide();
      const ev = sent()[0].data.events;
      expect(ev[1].sessionId).toBe(ev[0].sessionId);
      expect(ev[2].sessionId).not.toBe(ev[1].sessionId);
      expect(new Set(ev.map((e) => e.visitorId)).size).toBe(1);
    } finally {
      now.mockRestore();
    }
  });

  test('unknown names are a programming error', () => {
    expect(() => track.track('order_paid', {})).toThrow('unknown event');
  });
});
