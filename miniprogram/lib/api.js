// wx.request wrapper: base URL, JSON, the session token, login on first need,
// and errors as ApiError {code, message, details, status} from the server's
// JSON error body.
'use strict';
var config = require('../config.js');

var TOKEN_KEY = 'session';
var session = null; // {token, expiresAt, userId}
var loginPromise = null;

function ApiError(code, message, details, status) {
  var e = new Error(message);
  e.name = 'ApiError';
  e.code = code;
  e.details = details || {};
  e.status = status || 0;
  return e;
}

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

function loadSession() {
  if (session) return session;
  try {
    var s = wx.getStorageSync(TOKEN_KEY);
    if (s && s.token && s.expiresAt > nowSeconds() + 60) session = s;
  } catch (e) { /* storage unavailable: log in again */ }
  return session;
}

function clearSession() {
  session = null;
  try { wx.removeStorageSync(TOKEN_KEY); } catch (e) { /* ignore */ }
}

function query(params) {
  if (!params) return '';
  var parts = [];
  Object.keys(params).forEach(function (k) {
    var v = params[k];
    if (v === undefined || v === null || v === '') return;
    parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(String(v)));
  });
  return parts.length ? '?' + parts.join('&') : '';
}

// One HTTP exchange; resolves with the JSON body of a 2xx answer.
function raw(method, path, data, token, extra) {
  return new Promise(function (resolve, reject) {
    var header = Object.assign({ 'content-type': 'application/json' }, extra);
    if (token) header.Authorization = 'Bearer ' + token;
    wx.request({
      url: config.baseURL + path,
      method: method,
      data: data === undefined ? undefined : data,
      header: header,
      timeout: config.timeout,
      dataType: 'json',
      success: function (res) {
        var body = res.data;
        if (res.statusCode >= 200 && res.statusCode < 300) {
          resolve(body === '' ? null : body);
          return;
        }
        if (body && typeof body === 'object' && body.code) {
          reject(ApiError(body.code, body.message || '请求失败', body.details, res.statusCode));
        } else {
          reject(ApiError('HTTP_' + res.statusCode, '服务繁忙，请稍后重试', {}, res.statusCode));
        }
      },
      fail: function (err) {
        reject(ApiError('NETWORK', '网络不给力，请稍后重试', { errMsg: err && err.errMsg }, 0));
      },
    });
  });
}

function wxLogin() {
  return new Promise(function (resolve, reject) {
    wx.login({
      success: function (r) {
        if (r.code) resolve(r.code);
        else reject(ApiError('LOGIN_FAILED', '登录失败，请重试'));
      },
      fail: function () { reject(ApiError('LOGIN_FAILED', '登录失败，请重试')); },
    });
  });
}

/** Logs in once (concurrent callers share the attempt); resolves to the session. */
function login() {
  if (!loginPromise) {
    loginPromise = wxLogin()
      .then(function (code) { return raw('POST', '/api/auth/login', { code: code }); })
      .then(function (res) {
        session = { token: res.token, expiresAt: res.expiresAt, userId: res.userId, subscribe: res.subscribe || null };
        try { wx.setStorageSync(TOKEN_KEY, session); } catch (e) { /* ignore */ }
        loginPromise = null;
        return session;
      }, function (e) {
        loginPromise = null;
        throw e;
      });
  }
  return loginPromise;
}

/**
 * request(method, path, {data, query, auth, header})
 *   auth: 'user' (default: log in first if needed, retry once on 401),
 *         'optional' (send the token when there is one), 'none'.
 *   header: extra request headers (e.g. X-Mall-Retry).
 */
function request(method, path, opts) {
  opts = opts || {};
  var auth = opts.auth || 'user';
  var url = path + query(opts.query);
  var extra = opts.header;
  if (auth === 'none') return raw(method, url, opts.data, null, extra);
  if (auth === 'optional') {
    var s = loadSession();
    return raw(method, url, opts.data, s && s.token, extra);
  }
  var had = loadSession();
  var first = had ? Promise.resolve(had) : login();
  return first.then(function (s) {
    return raw(method, url, opts.data, s.token, extra).catch(function (e) {
      if (e.status !== 401 || !had) throw e;
      // The stored session expired on the server: log in again, once.
      clearSession();
      return login().then(function (s2) { return raw(method, url, opts.data, s2.token, extra); });
    });
  });
}

/** Shows an API error to the shopper (the server's message). */
function showError(e) {
  var msg = (e && e.message) || '出错了，请稍后重试';
  wx.showToast({ title: msg, icon: 'none', duration: 2500 });
}

module.exports = {
  get: function (path, opts) { return request('GET', path, opts); },
  post: function (path, data, opts) { return request('POST', path, Object.assign({}, opts, { data: data })); },
  put: function (path, data, opts) { return request('PUT', path, Object.assign({}, opts, { data: data })); },
  patch: function (path, data, opts) { return request('PATCH', path, Object.assign({}, opts, { data: data })); },
  del: function (path, opts) { return request('DELETE', path, opts); },
  request: request,
  login: login,
  isLoggedIn: function () { return !!loadSession(); },
  /** The session's subscription templates per moment (from the login answer), or null. */
  subscribeTemplates: function () { var s = loadSession(); return (s && s.subscribe) || null; },
  clearSession: clearSession,
  showError: showError,
  ApiError: ApiError,
};
