// jwtkit debugger. Plain JS, no dependencies; talks only to this server's /api.
// Everything shown from a token is inserted as text (never as HTML).
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function debounce(fn, ms) {
    let t = null;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  }
  async function api(path, body) {
    const res = await fetch('/api/' + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && data.error.message) || ('HTTP ' + res.status));
    return data;
  }
  window.jwtkitApi = api; // shared with oauth.js
  function toast(msg) {
    const t = $('toast');
    t.textContent = msg;
    t.classList.add('show');
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => t.classList.remove('show'), 1600);
  }
  async function copy(text, what) {
    if (!text) { toast('Nothing to copy'); return; }
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      const ta = el('textarea', { class: 'sr-only' });
      ta.value = text;
      document.body.append(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    toast('Copied ' + what);
  }
  function shellQuote(s) {
    return /^[A-Za-z0-9._\-\/:=+,@]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'";
  }
  function banner(kind, result, icon, title, sub) {
    return el('div', { class: 'banner ' + kind, 'data-result': result },
      el('span', { class: 'icon', 'aria-hidden': 'true' }, el('span', { text: icon })),
      el('div', {}, el('span', { class: 'title', text: title }), sub ? el('span', { class: 'sub', text: sub }) : null));
  }
  function kindBox(err, where) {
    return el('div', { class: 'error-box' },
      el('span', { class: 'kind', text: err.kind || 'error' }),
      err.message || '',
      where ? el('span', { class: 'where', text: where }) : null);
  }

  // --------------------------------------------------------- claim glossary
  const R7519 = 'RFC 7519 §4.1';
  const OIDC = 'OpenID Connect Core §2 / §5.1';
  const GLOSSARY = {
    // RFC 7519 §4.1 registered claims
    iss: ['Issuer', 'Who issued the token. Verifiers compare it exactly with the expected issuer.', R7519 + '.1'],
    sub: ['Subject', 'Whom the token is about: a user or client id, unique within the issuer.', R7519 + '.2'],
    aud: ['Audience', 'Who the token is meant for (string or array). A verifier must reject a token whose aud does not name it.', R7519 + '.3'],
    exp: ['Expiration time', 'Seconds since 1970-01-01 UTC after which the token must be rejected.', R7519 + '.4'],
    nbf: ['Not before', 'Seconds since 1970-01-01 UTC before which the token must be rejected.', R7519 + '.5'],
    iat: ['Issued at', 'When the token was issued, seconds since 1970-01-01 UTC.', R7519 + '.6'],
    jti: ['JWT ID', 'Unique id of this token; lets a verifier detect replay and revoke single tokens.', R7519 + '.7'],
    // OpenID Connect
    auth_time: ['Authentication time', 'When the user actually authenticated (seconds since the epoch); differs from iat on refreshed tokens.', OIDC],
    nonce: ['Nonce', 'Value the client sent in the authentication request, echoed to stop replay of ID tokens.', OIDC],
    acr: ['Authentication context class', 'How strongly the user was authenticated (e.g. a level of assurance).', OIDC],
    amr: ['Authentication methods', 'Methods used to authenticate, e.g. ["pwd","otp"] or ["hwk"] (RFC 8176).', OIDC],
    azp: ['Authorized party', 'The client the ID token was issued to, when it differs from aud.', OIDC],
    at_hash: ['Access token hash', 'Left half of the hash of the access token issued with this ID token, base64url.', 'OpenID Connect Core §3.1.3.6'],
    c_hash: ['Code hash', 'Left half of the hash of the authorization code, base64url (hybrid flow).', 'OpenID Connect Core §3.3.2.11'],
    s_hash: ['State hash', 'Hash of the state parameter (FAPI).', 'FAPI 1.0 §5.1'],
    sid: ['Session ID', 'The OP session this token belongs to; used for front/back-channel logout.', 'OpenID Connect Front-Channel Logout §3'],
    name: ['Full name', 'The user\'s full name for display.', OIDC],
    given_name: ['Given name', 'First name(s).', OIDC],
    family_name: ['Family name', 'Surname(s).', OIDC],
    middle_name: ['Middle name', 'Middle name(s).', OIDC],
    nickname: ['Nickname', 'Casual name.', OIDC],
    preferred_username: ['Preferred username', 'Shorthand name the user wishes to be called. Not unique and not stable: never use it as a key; use sub.', OIDC],
    profile: ['Profile URL', 'URL of the user\'s profile page.', OIDC],
    picture: ['Picture URL', 'URL of the user\'s picture.', OIDC],
    website: ['Website', 'URL of the user\'s web page.', OIDC],
    email: ['E-mail', 'The user\'s e-mail address (personal data, readable by anyone holding the token).', OIDC],
    email_verified: ['E-mail verified', 'true when the issuer verified the e-mail address.', OIDC],
    gender: ['Gender', 'The user\'s gender.', OIDC],
    birthdate: ['Birthdate', 'YYYY-MM-DD (personal data).', OIDC],
    zoneinfo: ['Time zone', 'IANA time zone, e.g. Europe/Paris.', OIDC],
    locale: ['Locale', 'BCP 47 language tag, e.g. en-US.', OIDC],
    phone_number: ['Phone number', 'Preferably E.164 (personal data).', OIDC],
    phone_number_verified: ['Phone verified', 'true when the issuer verified the phone number.', OIDC],
    address: ['Address', 'Postal address object (personal data).', OIDC],
    updated_at: ['Updated at', 'When the user\'s profile was last updated, seconds since the epoch.', OIDC],
    // OAuth 2.0
    scope: ['Scope', 'Space-separated scopes granted to the client.', 'RFC 8693 §4.2 / RFC 9068'],
    scp: ['Scopes', 'Granted scopes as an array or string (Microsoft, Okta and others).', 'vendor claim'],
    client_id: ['Client ID', 'The OAuth client the token was issued to.', 'RFC 9068 §2.2 / RFC 8693 §4.3'],
    cnf: ['Confirmation', 'Key the presenter must prove possession of (DPoP jkt, mTLS x5t#S256).', 'RFC 7800'],
    act: ['Actor', 'The party acting on behalf of sub (delegation).', 'RFC 8693 §4.1'],
    may_act: ['May act', 'Who is allowed to act on behalf of sub.', 'RFC 8693 §4.4'],
    roles: ['Roles', 'Roles granted to the subject.', 'RFC 9068 §2.2.3.1'],
    groups: ['Groups', 'Groups the subject belongs to.', 'RFC 9068 §2.2.3.1'],
    entitlements: ['Entitlements', 'Individual permissions granted.', 'RFC 9068 §2.2.3.1'],
    events: ['Events', 'Security events this Security Event Token reports.', 'RFC 8417'],
    // Microsoft Entra ID / Keycloak / others
    tid: ['Tenant ID', 'The Microsoft Entra tenant that issued the token.', 'Microsoft identity platform'],
    oid: ['Object ID', 'The user\'s immutable id across applications in the tenant.', 'Microsoft identity platform'],
    upn: ['User principal name', 'The user\'s sign-in name; can change, do not use as a key.', 'Microsoft identity platform'],
    appid: ['Application ID', 'The client that requested the token (v1 tokens).', 'Microsoft identity platform'],
    idp: ['Identity provider', 'Who authenticated the user.', 'Microsoft identity platform'],
    ver: ['Version', 'Token format version.', 'vendor claim'],
    realm_access: ['Realm roles', 'Keycloak realm-level roles.', 'Keycloak'],
    resource_access: ['Client roles', 'Keycloak roles per client.', 'Keycloak'],
  };
  const HEADER_GLOSSARY = {
    alg: ['Algorithm', 'How the token is signed (or the key managed, for JWE). The verifier decides which algorithms it accepts; never trust this alone.', 'RFC 7515 §4.1.1'],
    typ: ['Type', 'Media type of the whole token, e.g. JWT or at+jwt.', 'RFC 7515 §4.1.9'],
    cty: ['Content type', 'Media type of the payload; "JWT" for a nested token.', 'RFC 7515 §4.1.10'],
    kid: ['Key ID', 'Which key signed the token; an opaque lookup string in the verifier\'s key set.', 'RFC 7515 §4.1.4'],
    jku: ['JWK Set URL', 'A URL of keys chosen by the token: a verifier must never fetch keys from it unless allowlisted.', 'RFC 7515 §4.1.2'],
    jwk: ['JSON Web Key', 'A public key embedded by the token itself: trusting it lets anyone sign.', 'RFC 7515 §4.1.3'],
    x5u: ['X.509 URL', 'URL of a certificate chosen by the token.', 'RFC 7515 §4.1.5'],
    x5c: ['X.509 chain', 'Certificate chain, leaf first, base64 DER.', 'RFC 7515 §4.1.6'],
    x5t: ['X.509 SHA-1 thumbprint', 'Identifies the certificate of the signing key.', 'RFC 7515 §4.1.7'],
    'x5t#S256': ['X.509 SHA-256 thumbprint', 'Identifies the certificate of the signing key.', 'RFC 7515 §4.1.8'],
    crit: ['Critical', 'Extensions the verifier must understand, or reject the token.', 'RFC 7515 §4.1.11'],
    b64: ['Base64url-encode payload', 'false: the payload is not base64url-encoded (must be listed in crit).', 'RFC 7797 §3'],
    enc: ['Content encryption', 'The algorithm encrypting the content (JWE).', 'RFC 7516 §4.1.2'],
    zip: ['Compression', '"DEF": the plaintext was DEFLATE-compressed before encryption.', 'RFC 7516 §4.1.3'],
    epk: ['Ephemeral public key', 'The sender\'s ECDH-ES ephemeral key.', 'RFC 7518 §4.6.1.1'],
    apu: ['Agreement PartyUInfo', 'ECDH-ES key derivation input about the producer.', 'RFC 7518 §4.6.1.2'],
    apv: ['Agreement PartyVInfo', 'ECDH-ES key derivation input about the recipient.', 'RFC 7518 §4.6.1.3'],
    iv: ['Initialization vector', 'For AES-GCM key wrapping.', 'RFC 7518 §4.7.1.1'],
    tag: ['Authentication tag', 'For AES-GCM key wrapping.', 'RFC 7518 §4.7.1.2'],
    p2s: ['PBES2 salt', 'Salt input for password-based key wrapping.', 'RFC 7518 §4.8.1.1'],
    p2c: ['PBES2 count', 'PBKDF2 iteration count.', 'RFC 7518 §4.8.1.2'],
  };
  const TIME_CLAIMS = new Set(['exp', 'nbf', 'iat', 'auth_time', 'updated_at']);

  function claimName(name, glossary, quoted) {
    const info = glossary[name];
    if (!info) return el('span', { class: 'j-key', text: quoted });
    const id = 'tip-' + Math.random().toString(36).slice(2);
    return el('span', { class: 'j-key claim', tabindex: '0', 'aria-describedby': id, 'data-claim': name },
      quoted,
      el('span', { class: 'tip', role: 'tooltip', id },
        el('b', { text: info[0] + ' (' + name + ')' }), info[1], el('span', { class: 'ref', text: info[2] })));
  }

  // Pretty JSON text (from the server, numbers exactly as written) to coloured nodes.
  // Top-level member names get explanations; `annotate(name)` may return a note for the line.
  function renderJson(text, glossary, annotate) {
    const frag = document.createDocumentFragment();
    const re = /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(true|false|null)|([{}\[\],:])|(\s+)|(.)/gs;
    let depth = 0;
    let pending = null;
    let m;
    const flushNote = () => {
      if (!pending) return;
      frag.append(el('span', { class: 'j-annot' + (pending.bad ? ' bad' : ''), text: '  ' + pending.text }));
      pending = null;
    };
    while ((m = re.exec(text)) !== null) {
      if (m[1] !== undefined) {
        if (m[2] !== undefined) {
          const name = JSON.parse(m[1]);
          if (depth === 1) {
            frag.append(claimName(name, glossary, m[1]));
            const note = annotate && annotate(name);
            if (note) pending = note;
          } else {
            frag.append(el('span', { class: 'j-key', text: m[1] }));
          }
          frag.append(el('span', { class: 'j-punct', text: m[2] }));
        } else {
          frag.append(el('span', { class: 'j-str', text: m[1] }));
        }
      } else if (m[3] !== undefined) {
        frag.append(el('span', { class: 'j-num', text: m[3] }));
      } else if (m[4] !== undefined) {
        frag.append(el('span', { class: 'j-lit', text: m[4] }));
      } else if (m[5] !== undefined) {
        if (m[5] === '{' || m[5] === '[') depth++;
        if (m[5] === '}' || m[5] === ']') { flushNote(); depth--; }
        frag.append(el('span', { class: 'j-punct', text: m[5] }));
      } else if (m[6] !== undefined) {
        if (m[6].includes('\n')) flushNote();
        frag.append(m[6]);
      } else {
        frag.append(m[7]);
      }
    }
    flushNote();
    return frag;
  }

  // ------------------------------------------------------------------ state
  const state = {
    decoded: null,     // last /api/decode answer
    verified: null,    // last /api/verify answer
    info: null,
    encoded: null,     // last /api/encode answer
  };
  let decodeSeq = 0;
  let verifySeq = 0;
  let encodeSeq = 0;

  // ---------------------------------------------------- token highlighting
  const SEG_LABELS = {
    header: 'Header', payload: 'Payload', signature: 'Signature',
    encrypted_key: 'Encrypted key', iv: 'IV', ciphertext: 'Ciphertext', tag: 'Tag', extra: 'Extra',
  };

  // An SD-JWT: the Issuer-signed JWT as usual, then each `~`-separated Disclosure, then the
  // Key Binding JWT (the part after the last `~`, when not empty).
  function paintSdJwt(target, body, badSegments) {
    const parts = body.split('~');
    paintJws(target, parts[0], badSegments, false);
    parts.slice(1).forEach((p, i) => {
      target.append(el('span', { class: 'seg-tilde', text: '~' }));
      const last = i === parts.length - 2;
      if (p) target.append(el('span', { class: last ? 'seg-kb' : 'seg-sd', text: p }));
    });
  }
  function paintJws(target, body, badSegments, jwe) {
    const parts = body.split('.');
    parts.forEach((p, i) => {
      if (i > 0) target.append(el('span', { class: 'seg-dot', text: '.' }));
      let cls = i < 5 ? 'seg-' + i : 'seg-x';
      if (!jwe && i > 2) cls = 'seg-x';
      if (badSegments && badSegments.has(i)) cls += ' seg-bad';
      target.append(el('span', { class: cls, text: p }));
    });
  }

  function paintToken(target, raw, token, badSegments, jwe, sd) {
    clear(target);
    target.classList.toggle('jwe', !!jwe);
    let start = token ? raw.indexOf(token) : -1;
    let body = raw;
    let before = '';
    let after = '';
    if (token && start >= 0) {
      before = raw.slice(0, start);
      body = token;
      after = raw.slice(start + token.length);
    }
    if (before) target.append(el('span', { class: 'seg-outside', text: before }));
    if (sd) paintSdJwt(target, body, badSegments);
    else paintJws(target, body, badSegments, jwe);
    if (after) target.append(el('span', { class: 'seg-outside', text: after }));
    // a trailing newline needs a character after it to take up a line
    target.append('\u200b');
  }

  function paintEditor() {
    const raw = $('token').value;
    const d = state.decoded;
    const sameInput = d && d._raw === raw;
    const bad = new Set();
    if (sameInput) for (const s of d.segments || []) if (!s.ok) bad.add(s.index);
    paintToken($('token-backdrop'), raw, sameInput ? d.token : null, bad, sameInput && d.form === 'jwe_compact', sameInput && d.form === 'sd_jwt');
    syncScroll();
  }
  function syncScroll() {
    $('token-backdrop').scrollTop = $('token').scrollTop;
  }

  // ------------------------------------------------------------ decode view
  function renderSegments(d) {
    const list = clear($('segments'));
    if (!d || !d.segments || !d.segments.length) return;
    for (const s of d.segments) {
      const li = el('li', { class: s.ok ? '' : 'bad', 'data-segment': s.name },
        el('span', { class: 'swatch sw-' + s.name, 'aria-hidden': 'true' }),
        el('span', { class: 'seg-name', text: SEG_LABELS[s.name] || s.name }),
        el('span', { class: 'seg-len', text: s.length + ' chars' }),
        el('span', { class: 'seg-state', text: s.ok ? '✓' : '✗ ' + ((s.errors[0] && s.errors[0].kind) || 'unexpected') }));
      list.append(li);
    }
  }

  function timeNote(d) {
    const byClaim = {};
    for (const t of d.times || []) byClaim[t.claim] = t;
    return (name) => {
      const t = byClaim[name];
      if (!t) return null;
      if (t.status === 'malformed') return { text: '⚠ ' + t.message, bad: true };
      const bad = t.status !== 'ok';
      return { text: '// ' + t.utc + ' · ' + t.relative + (bad ? ' · ' + statusWord(t.status) : ''), bad };
    };
  }
  function statusWord(kind) {
    return ({
      expired: 'EXPIRED', not_yet_valid: 'NOT YET VALID', issued_in_future: 'ISSUED IN THE FUTURE',
      malformed: 'MALFORMED', too_old: 'TOO OLD',
    })[kind] || kind;
  }

  function renderTimes(d) {
    const table = $('times');
    const body = clear(table.tBodies[0]);
    const times = (d && d.times) || [];
    table.hidden = times.length === 0;
    for (const t of times) {
      const local = typeof t.value === 'number' ? new Date(t.value * 1000).toLocaleString() : '';
      const okWord = { exp: 'valid', nbf: t.past ? 'in effect' : 'within leeway' }[t.claim] || 'ok';
      const badge = t.status === 'ok'
        ? el('span', { class: 'badge ok', text: okWord })
        : el('span', { class: 'badge bad', text: statusWord(t.status).toLowerCase() });
      body.append(el('tr', { 'data-claim': t.claim },
        el('td', {}, claimName(t.claim, GLOSSARY, t.claim)),
        el('td', { class: 'mono', text: t.utc || String(t.value) }),
        el('td', { text: local }),
        el('td', { text: t.relative || t.message || '' }),
        el('td', {}, badge)));
    }
    const box = $('time-status');
    const chip = $('time-chip');
    const st = d && d.status;
    if (!st) { box.hidden = true; chip.hidden = true; return; }
    box.hidden = false;
    chip.hidden = false;
    const exp = times.find((t) => t.claim === 'exp');
    clear(box);
    if (st.kind === 'valid') {
      box.className = 'time-status ok';
      box.append(exp ? 'Not expired: expires ' + exp.relative : 'No exp: this token never expires');
      chip.className = 'chip ok';
      chip.textContent = exp ? 'valid' : 'no exp';
      if (!exp) { box.className = 'time-status warn'; chip.className = 'chip warn'; }
    } else {
      const words = {
        expired: 'Expired', not_yet_valid: 'Not yet valid', issued_in_future: 'Issued in the future',
        malformed: 'Malformed time claim',
      };
      box.className = 'time-status bad';
      const rel = times.find((t) => t.claim === st.claim);
      box.append((words[st.kind] || st.kind) + (rel && rel.relative ? ' ' + rel.relative : ''),
        el('span', { class: 'detail', text: st.message }));
      chip.className = 'chip bad';
      chip.textContent = (words[st.kind] || st.kind).toLowerCase();
    }
    box.dataset.status = st.kind;
  }

  function renderDecoded(d) {
    const hj = $('header-json');
    const pj = $('payload-json');
    clear(hj); clear(pj);
    const chip = $('alg-chip');
    if (!d) {
      hj.append(el('span', { class: 'placeholder', text: 'The decoded header appears here.' }));
      pj.append(el('span', { class: 'placeholder', text: 'The decoded claims appear here. Hover a claim name for its meaning.' }));
      chip.hidden = true;
      renderTypeChip(null);
      renderDisclosures(null);
      renderTimes(null);
      return;
    }
    renderTypeChip(d.token_type);
    renderDisclosures(d);
    if (d.header_json) hj.append(renderJson(d.header_json, HEADER_GLOSSARY, null));
    else hj.append(el('span', { class: 'placeholder', text: 'No readable header.' }));
    chip.hidden = !d.alg;
    chip.textContent = d.alg || '';
    chip.className = 'chip' + (d.alg && d.alg.toLowerCase() === 'none' ? ' bad' : '');
    const p = d.payload || {};
    if (p.type === 'claims') pj.append(renderJson(p.json, GLOSSARY, disclosedNote(d, timeNote(d))));
    else if (p.type === 'bytes' && p.text !== undefined) pj.append(el('span', { class: 'j-str', text: p.text }), el('span', { class: 'j-annot', text: '  (' + p.length + ' bytes, not a JSON object)' }));
    else if (p.type === 'bytes') pj.append(el('span', { class: 'placeholder', text: p.length + ' bytes of binary payload (base64url): ' + p.base64url }));
    else if (p.type === 'encrypted') pj.append(el('span', { class: 'placeholder', text: 'Encrypted (JWE): only the header can be read without the recipient\'s key.' }));
    else pj.append(el('span', { class: 'placeholder', text: 'No payload.' }));
    renderTimes(d);
  }

  // What the token is (RFC 9068 access token, ID token, DPoP proof, SD-JWT, JWE, ...): declared by
  // its typ, or inferred from its claims (shown in italics: RFC 8725 §3.11 says to rely on typ).
  function renderTypeChip(t) {
    const chip = $('type-chip');
    chip.hidden = !t;
    if (!t) return;
    chip.textContent = t.name;
    chip.title = (t.declared ? 'declared: ' : 'inferred from the claims: ') + t.reason;
    chip.dataset.kind = t.kind;
    chip.className = 'chip type-chip' + (t.declared ? '' : ' inferred') + (t.confusion ? ' confused' : '');
  }

  // A claim an SD-JWT Disclosure revealed gets a note next to it in the payload.
  function disclosedNote(d, inner) {
    const byName = {};
    for (const x of (d.sd_jwt && d.sd_jwt.disclosures) || []) {
      const top = x.pointer.split('/')[1];
      if (top !== undefined && !(top in byName)) byName[top] = x;
    }
    return (name) => {
      const t = inner && inner(name);
      if (t) return t;
      const x = byName[name];
      if (!x) return null;
      const exact = x.pointer === '/' + name;
      return { text: '// ◆ ' + (exact ? 'disclosed' : 'has disclosed parts') + ' (Disclosure #' + (x.index + 1) + ')', bad: false };
    };
  }

  function renderDisclosures(d) {
    const card = $('disclosures-card');
    const sd = d && d.sd_jwt;
    card.hidden = !sd;
    const tb = clear($('disclosures').querySelector('tbody'));
    const errs = clear($('disclosures-error'));
    const kb = clear($('kb-jwt'));
    if (!sd) return;
    $('disclosures').classList.toggle('salts', $('show-salts').checked);
    const n = (sd.disclosures || []).length;
    $('disclosures-summary').textContent = n + ' of ' + (sd.presented ?? n) + ' Disclosure' + (n === 1 ? '' : 's') + ' applied'
      + (sd.undisclosed !== undefined ? ' · ' + sd.undisclosed + ' digest' + (sd.undisclosed === 1 ? '' : 's') + ' withheld' : '')
      + (sd.sd_alg ? ' · ' + sd.sd_alg : '');
    if (sd.error) errs.append(kindBox(sd.error, 'Disclosures'));
    for (const x of sd.disclosures || []) {
      tb.append(el('tr', { 'data-pointer': x.pointer },
        el('td', { text: String(x.index + 1) }),
        el('td', {}, el('code', { text: x.pointer })),
        el('td', {}, el('code', { text: JSON.stringify(x.value) })),
        el('td', {}, el('code', { class: 'digest', text: x.digest, title: 'the digest the Issuer-signed JWT lists' })),
        el('td', { class: 'salt' }, el('code', { text: x.salt }))));
    }
    const k = sd.key_binding_jwt;
    if (k === undefined) return;
    kb.append(k
      ? el('div', { 'data-kb': 'present' }, el('b', { text: 'Key Binding JWT: ' }), 'aud ' + JSON.stringify((k.claims || {}).aud) + ', nonce ' + JSON.stringify((k.claims || {}).nonce) + ' (verify checks its signature by the cnf key, sd_hash, iat)')
      : el('div', { class: 'hint', 'data-kb': 'none', text: 'No Key Binding JWT (the SD-JWT ends with ~): not bound to this presentation.' }));
  }

  function renderDecodeStatus(d) {
    renderSegments(d);
    const status = $('token-status');
    const notes = clear($('input-notes'));
    const errs = clear($('decode-errors'));
    clear(status);
    if (!d) return;
    for (const n of d.input_notes || []) notes.append(el('li', { text: n }));
    for (const n of d.notes || []) notes.append(el('li', { text: n }));
    const form = { jws_compact: 'JWS (signed)', jwe_compact: 'JWE (encrypted)', json: 'JSON serialization', sd_jwt: 'SD-JWT (selective disclosure)', unknown: 'not a token' }[d.form] || d.form;
    if (!d.errors.length) {
      status.append(el('span', { class: 'badge ok', text: 'well-formed' }), ' ', form + ' · ' + d.token.length + ' characters');
    } else {
      status.append(el('span', { class: 'badge bad', text: 'malformed' }), ' ', form + ' · ' + d.errors.length + ' problem' + (d.errors.length > 1 ? 's' : ''));
      for (const e of d.errors) {
        const seg = e.segment ? (SEG_LABELS[e.segment.name] || e.segment.name) + ' segment (#' + (e.segment.index + 1) + ')' : null;
        errs.append(kindBox(e, seg));
      }
    }
  }

  function renderFindings(list, target, withKey) {
    const ul = clear(target);
    if (!list) { ul.append(el('li', { class: 'placeholder', text: 'No token yet.' })); return; }
    if (!list.length) { ul.append(el('li', { class: 'none', text: 'No findings: nothing weak spotted in this token' + (withKey ? ' or key.' : '.') })); return; }
    for (const f of list) {
      ul.append(el('li', { class: 'sev-' + f.severity, 'data-finding': f.id },
        el('span', { class: 'sev', text: f.severity }), f.message, el('span', { class: 'fid', text: f.id }),
        el('span', { class: 'fix', text: 'Fix: ' + f.fix })));
    }
  }

  // --------------------------------------------------------------- verify
  function keyKind() { return document.querySelector('input[name="key-kind"]:checked').value; }
  function keyInput() {
    const kind = keyKind();
    if (kind === 'secret') {
      const v = $('secret').value;
      return v ? { type: 'secret', value: v, base64: $('secret-b64').checked } : null;
    }
    if (kind === 'key') {
      const v = $('key-text').value;
      return v.trim() ? { type: 'key', value: v } : null;
    }
    const v = $('url').value.trim();
    return v ? { type: 'url', value: v, kind: $('url-kind').value } : null;
  }
  function checks() {
    const v = (id) => $(id).value.trim();
    return {
      issuer: v('chk-iss'), audience: v('chk-aud'), subject: v('chk-sub'), typ: v('chk-typ'),
      leeway: v('chk-leeway'), now: v('chk-now'), algorithms: v('chk-algs'),
      strict: $('chk-strict').checked,
      kb_audience: v('chk-kb-aud'), kb_nonce: v('chk-kb-nonce'),
    };
  }

  function renderVerify(r) {
    const box = clear($('verify-result'));
    if (!r) return;
    if (r.input_error) {
      const e = r.input_error.error;
      box.append(banner('warn', 'input_error', '!', 'Cannot verify: check the ' + r.input_error.field), kindBox(e, r.input_error.field));
      return;
    }
    const sig = r.signature;
    const keyDesc = r.key ? r.key.format + (r.key.keys.length > 1 ? ' · ' + r.key.keys.length + ' keys' : '') : '';
    if (r.jwe) {
      // A JWE: decryption first, then the nested JWT (or an unsigned claims set).
      const j = r.jwe;
      if (!j.decrypted) {
        box.append(banner('bad', 'not_decrypted', '✗', 'Not decrypted', keyDesc), kindBox(j.error));
        return;
      }
      box.append(banner('ok', 'decrypted', '✓', 'Decrypted', j.alg + ' + ' + j.enc + ' · ' + (j.key || '')));
      if (sig.result === 'unsigned') {
        box.append(el('div', { class: 'result-line', 'data-signature': 'unsigned' }, el('span', { class: 'badge warn', text: 'not signed' }), ' ',
          'the JWE holds claims without a signature: anyone able to encrypt to this key could have made it'));
        const c = r.claims || {};
        box.append(c.valid
          ? el('div', { class: 'result-line', 'data-claims': 'valid' }, el('span', { class: 'badge ok', text: 'claims valid' }))
          : el('div', { class: 'result-line', 'data-claims': c.error ? c.error.kind : 'rejected' }, el('span', { class: 'badge bad', text: 'claims rejected' })));
        if (c.error) box.append(kindBox(c.error));
        return;
      }
    }
    if (sig.verified) {
      box.append(banner('ok', 'verified', '✓', 'Signature verified', sig.alg + ' · ' + (sig.key || '') + ' · ' + keyDesc));
      renderSdVerify(box, r.sd_jwt);
      const c = r.claims;
      if (c.valid) {
        box.append(el('div', { class: 'result-line', 'data-claims': 'valid' }, el('span', { class: 'badge ok', text: 'claims valid' }), ' ',
          'exp, nbf, iat' + (checks().issuer ? ', iss' : '') + (checks().audience ? ', aud' : '') + ' checked at ' + new Date(r.now * 1000).toISOString().replace('.000Z', 'Z')));
      } else {
        box.append(el('div', { class: 'result-line', 'data-claims': c.error.kind }, el('span', { class: 'badge bad', text: 'claims rejected' }), ' ', 'the signature is good, but the claims fail:'),
          kindBox(c.error));
      }
      for (const n of c.notes || []) box.append(el('div', { class: 'result-line hint', text: n }));
      if (r.valid && r.repaired_summary) {
        // Valid only because the paste helper repaired the input: say so in the verdict.
        box.append(el('div', { class: 'result-line', 'data-repaired': String(r.repaired.length) },
          el('span', { class: 'badge warn', text: 'repaired' }), ' ',
          'VALID after removing ' + r.repaired_summary + ': a strict verifier rejects the token as sent'));
      }
    } else {
      const invalid = sig.result === 'invalid_signature';
      box.append(banner(invalid ? 'bad' : 'warn', sig.result, invalid ? '✗' : '!', invalid ? 'Invalid signature' : 'Not verified', keyDesc));
      box.append(kindBox(sig.error));
    }
    renderVerifyType(box, r.token_type);
    const d = r.diagnosis;
    if (d && (d.hints.length || d.attempts.length)) {
      const diag = el('div', { class: 'diagnosis', id: 'diagnosis' }, el('h3', { text: 'Diagnosis' }));
      if (d.hints.length) {
        const ul = el('ul');
        for (const h of d.hints) ul.append(el('li', { 'data-hint': h.id }, h.message, el('span', { class: 'hint-id', text: h.id })));
        diag.append(ul);
      } else {
        diag.append(el('div', { class: 'hint', text: 'None of the usual mistakes (secret encoding, wrong key in the set, re-encoded token, algorithm confusion) explains it: the token was signed with another key, or altered.' }));
      }
      if (d.attempts.length) {
        const t = el('table', { class: 'attempts' }, el('thead', {}, el('tr', {}, el('th', { text: 'key tried' }), el('th', { text: 'alg' }), el('th', { text: 'outcome' }))));
        const tb = el('tbody');
        for (const a of d.attempts) tb.append(el('tr', {}, el('td', { text: a.key }), el('td', { text: a.alg }), el('td', { text: a.outcome })));
        t.append(tb);
        diag.append(t);
      }
      box.append(diag);
    }
  }

  // The SD-JWT stages of the one verification: the Disclosures against their digests, then the
  // Key Binding JWT.
  function renderSdVerify(box, sd) {
    if (!sd) return;
    const n = (sd.disclosures || []).length;
    if (sd.failed_at === 'SD-JWT disclosures') {
      box.append(el('div', { class: 'result-line', 'data-disclosures': 'rejected' }, el('span', { class: 'badge bad', text: 'disclosures rejected' })));
      return;
    }
    box.append(el('div', { class: 'result-line', 'data-disclosures': 'verified' }, el('span', { class: 'badge ok', text: 'disclosures ✓' }), ' ',
      n + ' Disclosure' + (n === 1 ? '' : 's') + ' match their digests (' + (sd.sd_alg || 'sha-256') + '), ' + (sd.undisclosed || 0) + ' withheld'));
    if (sd.failed_at === 'SD-JWT key binding') {
      box.append(el('div', { class: 'result-line', 'data-kb': 'rejected' }, el('span', { class: 'badge bad', text: 'key binding rejected' })));
    } else if (sd.key_binding) {
      box.append(el('div', { class: 'result-line', 'data-kb': 'verified' }, el('span', { class: 'badge ok', text: 'key binding ✓' }), ' ',
        'Key Binding JWT (' + sd.key_binding.alg + ') signed by the holder key in cnf, for aud ' + JSON.stringify(sd.key_binding.claims.aud)));
    } else if (!sd.failed_at) {
      box.append(el('div', { class: 'result-line hint', 'data-kb': 'none', text: 'no Key Binding JWT: give the expected audience and nonce to require one' }));
    }
  }

  function renderVerifyType(box, t) {
    if (!t) return;
    box.append(el('div', { class: 'result-line', 'data-token-type': t.kind }, el('span', { class: 'badge', text: 'type' }), ' ',
      t.name + (t.declared ? ' (' + t.reason + ')' : ' (by its claims: ' + t.reason + ')')));
    if (t.confusion) box.append(el('div', { class: 'result-line confusion', 'data-confusion': t.kind, text: '⚠ ' + t.confusion }));
  }

  async function runCrack() {
    const raw = $('token').value;
    const out = clear($('crack-result'));
    if (!raw.trim()) return;
    try {
      const r = await api('crack', { token: raw });
      out.append(el('span', { class: 'badge ' + (r.cracked ? 'bad' : r.hmac ? 'ok' : 'warn'), 'data-cracked': String(r.cracked), text: r.cracked ? 'cracked' : 'not cracked' }), ' ', r.message);
    } catch (e) {
      toast('Crack failed: ' + e.message);
    }
  }

  function renderCommand() {
    const d = state.decoded;
    const pre = $('command');
    if (!d || !d.token) { pre.textContent = ''; return; }
    if (state.verified && state.verified.command_multiline && state.verified.token === d.token) pre.textContent = state.verified.command_multiline;
    else pre.textContent = 'jwtkit decode ' + shellQuote(d.token);
  }

  // ----------------------------------------------------------- run cycle
  async function runDecode() {
    const raw = $('token').value;
    const seq = ++decodeSeq;
    if (!raw.trim()) {
      state.decoded = null; state.verified = null;
      paintEditor(); renderDecoded(null); renderDecodeStatus(null); renderVerify(null);
      renderFindings(null, $('findings')); renderCommand();
      return;
    }
    const c = checks();
    try {
      const d = await api('decode', { token: raw, now: c.now, leeway: c.leeway });
      if (seq !== decodeSeq) return;
      if (d.input_error) { renderVerify({ input_error: d.input_error }); return; }
      d._raw = raw;
      state.decoded = d;
      paintEditor();
      renderDecoded(d);
      renderDecodeStatus(d);
      renderCommand();
    } catch (e) {
      if (seq === decodeSeq) toast('Decode failed: ' + e.message);
      return;
    }
    await Promise.all([runVerify(), runFindings()]);
  }

  async function runVerify() {
    const raw = $('token').value;
    const key = keyInput();
    const seq = ++verifySeq;
    if (!raw.trim() || !key) { state.verified = null; renderVerify(null); renderCommand(); return; }
    try {
      const r = await api('verify', Object.assign({ token: raw, key }, checks()));
      if (seq !== verifySeq) return;
      state.verified = r;
      renderVerify(r);
      renderCommand();
    } catch (e) {
      if (seq === verifySeq) toast('Verify failed: ' + e.message);
    }
  }

  let findingsSeq = 0;
  async function runFindings() {
    const raw = $('token').value;
    const seq = ++findingsSeq;
    if (!raw.trim()) { renderFindings(null, $('findings')); return; }
    try {
      const r = await api('findings', { token: raw, key: keyInput(), now: checks().now });
      if (seq !== findingsSeq) return;
      renderFindings(r.findings || [], $('findings'), !!keyInput());
    } catch (_) { /* the decode call reports transport problems */ }
  }

  const decodeSoon = debounce(runDecode, 120);
  const verifySoon = debounce(() => { runVerify(); runFindings(); }, 150);

  // ---------------------------------------------------------------- encode
  function encFamily() {
    const a = $('enc-alg').value;
    return a.startsWith('HS') ? 'secret' : 'key';
  }
  function encKeyInput() {
    if (encFamily() === 'secret') return { type: 'secret', value: $('enc-secret').value, base64: $('enc-secret-b64').checked };
    return { type: 'key', value: $('enc-key').value };
  }
  function setFieldError(which, err) {
    for (const f of ['header', 'payload', 'key']) {
      const msg = which === f || (which === 'alg' && f === 'key') ? err : null;
      $('enc-' + f + '-error').textContent = msg ? msg.kind + ': ' + msg.message : '';
    }
    $('enc-header').classList.toggle('invalid', which === 'header');
    $('enc-payload').classList.toggle('invalid', which === 'payload');
  }

  async function runEncode() {
    const seq = ++encodeSeq;
    const body = {
      header: $('enc-header').value, payload: $('enc-payload').value, alg: $('enc-alg').value,
      key: encKeyInput(), allow_weak_key: $('enc-weak').checked,
    };
    let r;
    try { r = await api('encode', body); } catch (e) { if (seq === encodeSeq) toast('Encode failed: ' + e.message); return; }
    if (seq !== encodeSeq) return;
    const view = $('enc-token');
    if (r.error) {
      setFieldError(r.error.field, r.error.error);
      view.classList.add('stale');
      $('enc-open').disabled = true;
      $('enc-copy').disabled = true;
      if (!state.encoded) { clear(view).append(el('span', { class: 'placeholder', text: 'Fix the error to get a token.' })); }
      return;
    }
    setFieldError(null, null);
    state.encoded = r;
    view.classList.remove('stale');
    paintToken(view, r.token, r.token, null, false);
    view.dataset.token = r.token;
    $('enc-open').disabled = false;
    $('enc-copy').disabled = false;
    const pub = r.public_key && r.public_key.pem;
    $('enc-pub-card').hidden = !pub;
    $('enc-pub').textContent = pub || '';
    renderFindings(r.findings, $('enc-findings'), true);
  }
  const encodeSoon = debounce(runEncode, 120);

  function syncEncKeyBoxes() {
    const fam = encFamily();
    $('enc-secret-box').hidden = fam !== 'secret';
    $('enc-key-box').hidden = fam === 'secret';
  }

  function editJson(id, fn) {
    let obj;
    try { obj = JSON.parse($(id).value); } catch (_) { toast('Fix the JSON first'); return false; }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) { toast('The JSON must be an object'); return false; }
    fn(obj);
    $(id).value = JSON.stringify(obj, null, 2);
    return true;
  }

  async function generateKey() {
    const alg = $('enc-alg').value;
    $('enc-generate').disabled = true;
    try {
      const k = await api('keygen', { alg });
      if (k.error) { setFieldError('key', k.error); return; }
      if (k.kind === 'secret') {
        $('enc-secret').value = k.secret_base64url;
        $('enc-secret-b64').checked = true;
      } else {
        $('enc-key').value = k.private_pem;
      }
      toast('New ' + alg + ' key generated (kept in this page only)');
      await runEncode();
    } finally {
      $('enc-generate').disabled = false;
    }
  }

  // ------------------------------------------------------------------ modes
  function setMode(mode) {
    const decode = mode === 'decode';
    $('tab-decode').setAttribute('aria-selected', String(decode));
    $('tab-encode').setAttribute('aria-selected', String(!decode));
    $('tab-decode').tabIndex = decode ? 0 : -1;
    $('tab-encode').tabIndex = decode ? -1 : 0;
    $('mode-decode').hidden = !decode;
    $('mode-encode').hidden = decode;
    if (!decode && !state.encodeStarted) {
      state.encodeStarted = true;
      generateKey();
    }
  }

  // ------------------------------------------------------------------- wire
  const EXAMPLE_TOKEN = 'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const EXAMPLE_KEY = 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow';

  function init() {
    $('origin').textContent = location.host;
    const ta = $('token');
    ta.addEventListener('input', () => { clear($('crack-result')); paintEditor(); decodeSoon(); });
    ta.addEventListener('scroll', syncScroll);
    $('token-editor').addEventListener('click', () => ta.focus());
    new ResizeObserver(syncScroll).observe(ta);
    $('clear').addEventListener('click', () => { ta.value = ''; paintEditor(); runDecode(); ta.focus(); });
    $('example').addEventListener('click', () => {
      ta.value = EXAMPLE_TOKEN;
      document.querySelector('input[name="key-kind"][value="secret"]').checked = true;
      syncKeyKind();
      $('secret').value = EXAMPLE_KEY;
      $('secret-b64').checked = true;
      paintEditor();
      runDecode();
    });

    for (const r of document.querySelectorAll('input[name="key-kind"]')) r.addEventListener('change', () => { syncKeyKind(); verifySoon(); });
    for (const id of ['secret', 'key-text', 'chk-iss', 'chk-aud', 'chk-sub', 'chk-typ', 'chk-algs', 'chk-kb-aud', 'chk-kb-nonce']) $(id).addEventListener('input', verifySoon);
    // A URL is fetched when complete (Enter, leaving the field, or the button), not per keystroke.
    $('url').addEventListener('change', verifySoon);
    $('url').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); verifySoon(); } });
    $('url-fetch').addEventListener('click', verifySoon);
    for (const id of ['chk-leeway', 'chk-now']) $(id).addEventListener('input', decodeSoon);
    for (const id of ['secret-b64', 'url-kind', 'chk-strict']) $(id).addEventListener('change', verifySoon);

    $('copy-token').addEventListener('click', () => copy(state.decoded && state.decoded.token, 'token'));
    $('copy-header').addEventListener('click', () => copy(state.decoded && state.decoded.header_json, 'header'));
    $('copy-payload').addEventListener('click', () => copy(state.decoded && state.decoded.payload && state.decoded.payload.json, 'payload'));
    $('copy-decoded').addEventListener('click', () => {
      const d = state.decoded;
      if (!d) return copy('', '');
      const payload = d.payload && d.payload.type === 'claims' ? d.payload.json : JSON.stringify(d.payload && (d.payload.text || null));
      copy('{\n  "header": ' + (d.header_json || 'null').replace(/\n/g, '\n  ') + ',\n  "payload": ' + payload.replace(/\n/g, '\n  ') + '\n}', 'decoded JSON');
    });
    $('copy-command').addEventListener('click', () => copy($('command').textContent, 'command'));
    $('crack').addEventListener('click', runCrack);
    $('show-salts').addEventListener('change', () => $('disclosures').classList.toggle('salts', $('show-salts').checked));

    // tabs: click and arrow keys
    $('tab-decode').addEventListener('click', () => setMode('decode'));
    $('tab-encode').addEventListener('click', () => setMode('encode'));
    for (const t of ['tab-decode', 'tab-encode']) {
      $(t).addEventListener('keydown', (e) => {
        if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          const next = t === 'tab-decode' ? 'encode' : 'decode';
          setMode(next);
          $('tab-' + next).focus();
          e.preventDefault();
        }
      });
    }

    // encode
    const algSel = $('enc-alg');
    for (const a of ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA', 'Ed25519', 'ML-DSA-44', 'ML-DSA-65', 'ML-DSA-87']) {
      algSel.append(el('option', { value: a, text: a }));
    }
    const now = Math.floor(Date.now() / 1000);
    $('enc-header').value = JSON.stringify({ alg: 'HS256', typ: 'JWT' }, null, 2);
    $('enc-payload').value = JSON.stringify({ sub: '1234567890', name: 'Ada Lovelace', iat: now, exp: now + 3600 }, null, 2);
    algSel.addEventListener('change', () => {
      editJson('enc-header', (h) => { h.alg = algSel.value; });
      syncEncKeyBoxes();
      const haveKey = encFamily() === 'secret' ? $('enc-secret').value : $('enc-key').value.trim();
      if (!haveKey || state.lastFamily !== encFamily() || encFamily() !== 'secret') generateKey();
      else runEncode();
      state.lastFamily = encFamily();
    });
    state.lastFamily = 'secret';
    $('enc-header').addEventListener('input', () => {
      try {
        const h = JSON.parse($('enc-header').value);
        if (h && typeof h.alg === 'string' && h.alg !== algSel.value && [...algSel.options].some((o) => o.value === h.alg)) {
          algSel.value = h.alg;
          syncEncKeyBoxes();
        }
      } catch (_) { /* the server reports the JSON error */ }
      encodeSoon();
    });
    for (const id of ['enc-payload', 'enc-secret', 'enc-key']) $(id).addEventListener('input', encodeSoon);
    for (const id of ['enc-secret-b64', 'enc-weak']) $(id).addEventListener('change', encodeSoon);
    $('enc-generate').addEventListener('click', generateKey);
    $('enc-format').addEventListener('click', () => { if (editJson('enc-header', () => {}) && editJson('enc-payload', () => {})) runEncode(); });
    const setTime = (name, delta) => () => { if (editJson('enc-payload', (p) => { p[name] = Math.floor(Date.now() / 1000) + delta; })) runEncode(); };
    $('enc-iat').addEventListener('click', setTime('iat', 0));
    $('enc-exp-1h').addEventListener('click', setTime('exp', 3600));
    $('enc-exp-1d').addEventListener('click', setTime('exp', 86400));
    $('enc-copy').addEventListener('click', () => copy(state.encoded && state.encoded.token, 'token'));
    $('enc-copy-pub').addEventListener('click', () => copy($('enc-pub').textContent, 'public key'));
    $('enc-open').addEventListener('click', () => {
      const r = state.encoded;
      if (!r) return;
      ta.value = r.token;
      if (encFamily() === 'secret') {
        document.querySelector('input[name="key-kind"][value="secret"]').checked = true;
        $('secret').value = $('enc-secret').value;
        $('secret-b64').checked = $('enc-secret-b64').checked;
      } else {
        document.querySelector('input[name="key-kind"][value="key"]').checked = true;
        $('key-text').value = r.public_key.pem;
      }
      syncKeyKind();
      setMode('decode');
      paintEditor();
      runDecode();
    });
    $('enc-open').disabled = true;
    $('enc-copy').disabled = true;

    syncKeyKind();
    syncEncKeyBoxes();
    paintEditor();

    fetch('/api/info', { cache: 'no-store' }).then((r) => r.json()).then((info) => {
      state.info = info;
      $('version').textContent = info.version;
      if (!info.remote) {
        const lab = $('key-kind-url-label');
        lab.classList.add('disabled');
        lab.title = 'This build cannot fetch URLs';
        lab.querySelector('input').disabled = true;
        $('url-unavailable').hidden = false;
      }
    }).catch(() => {});
    if (ta.value) runDecode();
  }

  function syncKeyKind() {
    const k = keyKind();
    $('key-secret').hidden = k !== 'secret';
    $('key-doc').hidden = k !== 'key';
    $('key-url').hidden = k !== 'url';
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
