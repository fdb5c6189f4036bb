// jwtkit debugger: "Get a token". The page sends the issuer, client and flow to this server's
// /api/oauth; the server makes every OAuth call (the page itself requests nothing off-host).
// The tokens obtained go into the Encoded box, where the existing panes decode and verify them.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  let polling = null;

  const api = (path, body) => window.jwtkitApi('oauth/' + path, body);

  function line(...parts) {
    const p = document.createElement('div');
    for (const x of parts) p.append(x instanceof Node ? x : document.createTextNode(String(x)));
    $('oauth-status').append(p);
    return p;
  }
  function badge(kind, text) {
    const b = document.createElement('span');
    b.className = 'badge ' + kind;
    b.textContent = text;
    return b;
  }
  function link(url, text) {
    const a = document.createElement('a');
    a.href = url; a.target = '_blank'; a.rel = 'noopener noreferrer'; a.id = 'oauth-login-link';
    a.textContent = text || url;
    return a;
  }
  function reset() {
    if (polling) clearTimeout(polling);
    polling = null;
    $('oauth-status').replaceChildren();
    $('oauth-cancel').hidden = true;
    $('oauth-start').disabled = false;
  }
  function showError(err) {
    reset();
    const e = err || {};
    const code = e.error ? ' ' + e.error : '';
    line(badge('bad', (e.kind || 'error') + code), ' ', e.error_description || e.message || String(err));
  }

  // Put a token into the Encoded box (the existing panes decode it) and set the verify key to
  // the issuer, so the debugger verifies it with the provider's published keys.
  function show(result, which) {
    const token = which === 'id' ? result.id_token : result.access_token;
    const ta = $('token');
    ta.value = token;
    ta.dispatchEvent(new Event('input', { bubbles: true }));
    if (token.split('.').length === 3) {
      const radio = document.querySelector('input[name="key-kind"][value="url"]');
      if (radio && !$('key-kind-url-label').hidden) {
        radio.checked = true;
        radio.dispatchEvent(new Event('change', { bubbles: true }));
        $('url').value = result.issuer;
        $('url-kind').value = 'issuer';
        $('chk-iss').value = result.issuer;
        $('chk-aud').value = which === 'id' ? result.client_id : '';
        $('url').dispatchEvent(new Event('change', { bubbles: true }));
      }
    }
    for (const b of document.querySelectorAll('.oauth-show')) b.setAttribute('aria-pressed', String(b.dataset.which === which));
  }

  function done(result) {
    reset();
    const sum = line();
    sum.className = 'oauth-summary';
    sum.append(badge('ok', result.token_type + ' token'), ' ', result.grant);
    if (result.expires_in != null) sum.append(', expires in ' + result.expires_in + ' s');
    if (result.scope) sum.append(', scope: ' + result.scope);
    if (result.refresh_token_received) line('Refresh token received; it stays in the jwtkit process (never sent to this page).');
    if (result.id_token_check) {
      const c = result.id_token_check;
      line(c.verified ? badge('ok', 'ID Token verified') : badge('bad', 'ID Token invalid'), ' ',
        c.verified ? c.alg + ' signature with the issuer\'s keys, iss, aud = client id, exp' + (result.grant === 'authorization_code' ? ', nonce' : '')
          : (c.error && c.error.message) || '');
    }
    const row = line();
    row.className = 'row';
    const mk = (which, label) => {
      const b = document.createElement('button');
      b.type = 'button'; b.className = 'ghost oauth-show'; b.dataset.which = which; b.id = 'oauth-show-' + which;
      b.textContent = label;
      b.addEventListener('click', () => show(result, which));
      row.append(b);
    };
    mk('access', 'Show access token');
    if (result.id_token) mk('id', 'Show ID Token');
    show(result, result.id_token && result.access_token.split('.').length !== 3 ? 'id' : 'access');
  }

  async function poll(id) {
    try {
      const r = await api('status', { id });
      if (r.status === 'pending') { polling = setTimeout(() => poll(id), 1000); return; }
      if (r.status === 'done') done(r.result); else showError(r.error);
    } catch (e) { showError({ kind: 'error', message: e.message }); }
  }

  async function start() {
    reset();
    $('oauth-start').disabled = true;
    line('Discovering the issuer…');
    const body = {
      issuer: $('oauth-issuer').value.trim(),
      client_id: $('oauth-client').value.trim(),
      client_secret: $('oauth-secret').value,
      auth: $('oauth-auth').value || undefined,
      flow: $('oauth-flow').value,
      scope: $('oauth-scope').value.trim(),
      resource: $('oauth-resource').value.trim(),
    };
    let r;
    try { r = await api('start', body); } catch (e) { showError({ kind: 'error', message: e.message }); return; }
    if (r.status === 'error') { showError(r.error); return; }
    if (r.status === 'done') { done(r.result); return; }
    $('oauth-status').replaceChildren();
    $('oauth-cancel').hidden = false;
    if (r.authorization_url) {
      line('Log in at the provider: ', link(r.authorization_url, 'open the login page'), ' (it redirects to ' + r.redirect_uri + ', a listener run by this jwtkit).');
    } else {
      line('On any device, open ', link(r.verification_uri_complete || r.verification_uri, r.verification_uri), ' and enter');
      const c = line(r.user_code);
      c.className = 'user-code';
      c.id = 'oauth-user-code';
      line('Code valid ' + r.expires_in + ' s.');
    }
    line(badge('warn', 'waiting'), ' for the login to complete…');
    polling = setTimeout(() => poll(r.id), 1000);
  }

  function init() {
    $('oauth-start').addEventListener('click', start);
    $('oauth-cancel').addEventListener('click', reset);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
