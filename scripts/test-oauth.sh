#!/usr/bin/env bash
# `jwtkit oauth` against an independent authorization server: panva's oidc-provider (npm, pinned
# in scripts/oauth-provider/package-lock.json) on a free loopback port, with Debian's headless
# Chromium (playwright-core) completing login and consent on the loopback redirect. Every flow is
# run and its real values are checked: token claims and scopes, ID Token verification, refresh
# (with rotation), introspection before and after revocation, userinfo, client authentication
# (client_secret_basic, client_secret_post, private_key_jwt), JWT bearer and token exchange (handlers
# added to oidc-provider that check the requests with jose), and the error paths (wrong secret, forged
# state, access_denied on the redirect, reused refresh token, unknown assertion key, revoked subject).
set -euo pipefail
source "$(dirname "$0")/common.sh"
scripts/deps.sh >/dev/null
op=scripts/oauth-provider
if [ ! -d "$op/node_modules/oidc-provider" ] || [ "$op/package-lock.json" -nt "$op/node_modules/.package-lock.json" ]; then
  (cd "$op" && npm ci --no-audit --no-fund --loglevel=error)
fi
build_all
J="$JWTKIT"
shots="$target_dir/oauth-screenshots"
mkdir -p "$shots"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
# check NAME PYTHON-EXPRESSION FILE: the expression, over the JSON document d, must be true.
check() {
  if python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); sys.exit(0 if eval(sys.argv[1]) else 1)' "$2" "$3" 2>/dev/null; then
    ok "$1"
  else
    bad "$1: $2 is false for: $(head -c 1500 "$3")"
  fi
}
# expect_rc NAME WANT GOT
expect_rc() { if [ "$2" = "$3" ]; then ok "$1 (exit $3)"; else bad "$1: exit $3, expected $2"; fi; }
# wait_for PATTERN FILE: until a line matches (at most 10 s).
wait_for() { for _ in $(seq 1 100); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done; }
# free_port: a free port below the kernel's ephemeral range (32768+), where no outgoing connection
# can take it between this check and the server's bind (the Rust tests use 20000-22699).
free_port() { python3 -c '
import random, socket
for _ in range(1000):
    p = random.randint(23000, 29999)
    try:
        socket.socket().bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass'; }

"$J" keygen --alg ES256 --out "$work/client.jwk" --public-out "$work/client.pub.jwk" >/dev/null
port=$(free_port)
I="http://127.0.0.1:$port"
(cd "$op" && exec node server.mjs "$port" "$work/client.pub.jwk") >"$work/provider.log" 2>&1 &
pids+=($!)
wait_for READY "$work/provider.log"
grep -q READY "$work/provider.log" || { cat "$work/provider.log"; exit 1; }
export JWTKIT_OAUTH_ISSUER="$I"

# --- discovery
"$J" oauth discover --json >"$work/disc.json"
check "discovery: issuer and endpoints" \
  "d['issuer']=='$I' and d['token_endpoint']=='$I/token' and d['device_authorization_endpoint']=='$I/device/auth' and 'S256' in d['code_challenge_methods_supported']" "$work/disc.json"
set +e
"$J" oauth discover --issuer "$I/" --json >"$work/disc-bad.json"; rc=$?
set -e
expect_rc "discovery: issuer with an extra '/' is refused" 4 "$rc"
check "discovery: the mismatch is named" "d['error']['kind']=='bad_response' and 'not \"$I/\"' in d['error']['message']" "$work/disc-bad.json"

# --- client credentials: basic, post, private_key_jwt
"$J" oauth client-credentials --client-id svc --client-secret svc-secret-0123456789abcdef \
  --scope api:read --param resource=urn:jwtkit:api --json >"$work/cc.json"
check "client_credentials (client_secret_basic): JWT access token for the resource" \
  "d['access_token']['jwt'] and d['access_token']['header']['typ']=='at+jwt' and d['access_token']['claims']['client_id']=='svc' and d['access_token']['claims']['aud']=='urn:jwtkit:api' and d['access_token']['claims']['scope']=='api:read' and d['response']['expires_in']==600" "$work/cc.json"
at=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["response"]["access_token"])' "$work/cc.json")
set +e
"$J" verify "$at" --issuer "$I" --aud urn:jwtkit:api --typ at+jwt --json >"$work/cc-verify.json"; rc=$?
set -e
expect_rc "the access token verifies with jwtkit verify against the issuer's JWKS" 0 "$rc"
check "verify: ES256 with the provider's key es-1" "d['valid'] and d['header']['kid']=='es-1'" "$work/cc-verify.json"

export POST_SECRET=post-secret-0123456789abcdef
"$J" oauth client-credentials --client-id svc-post --auth post --client-secret env:POST_SECRET --out "$work/ccp-tokens.json" --json >"$work/ccp.json"
check "client_credentials (client_secret_post): opaque access token" \
  "not d['access_token']['jwt'] and d['response']['token_type']=='Bearer'" "$work/ccp.json"
"$J" oauth client-credentials --client-id svc-jwt --client-key "$work/client.jwk" \
  --scope api:write --param resource=urn:jwtkit:api --json >"$work/ccj.json"
check "client_credentials (private_key_jwt, ES256 assertion): token for svc-jwt" \
  "d['access_token']['claims']['sub']=='svc-jwt' and d['access_token']['claims']['scope']=='api:write'" "$work/ccj.json"
"$J" oauth client-credentials --client-id svc-jwt --client-key "$work/client.jwk" --assertion-aud endpoint --json >"$work/ccj2.json"
check "private_key_jwt with aud = token endpoint is accepted too" "d['ok']" "$work/ccj2.json"
set +e
"$J" oauth client-credentials --client-id svc --client-secret wrong-secret --json >"$work/cc-bad.json"; rc=$?
set -e
expect_rc "wrong client secret" 4 "$rc"
check "wrong client secret: RFC 6749 §5.2 invalid_client, HTTP 401" \
  "d['error']['kind']=='oauth_error' and d['error']['error']=='invalid_client' and d['error']['status']==401" "$work/cc-bad.json"
if grep -q wrong-secret "$work/cc-bad.json"; then bad "the secret appears in the error output"; else ok "the secret is not in the error output"; fi

# --- JWT bearer (RFC 7523) and token exchange (RFC 8693): the provider's handlers check them with jose
export SVC_SECRET=svc-secret-0123456789abcdef
"$J" oauth jwt-bearer --client-id svc --client-secret env:SVC_SECRET --key "$work/client.jwk" --sub user-42 --json >"$work/jb.json"
check "jwt-bearer: the ES256 assertion verified by jose (iss, aud, exp, jti), sub user-42" \
  "d['ok'] and d['grant']=='jwt-bearer' and d['response']['assertion_sub']=='user-42'" "$work/jb.json"
"$J" keygen --alg ES256 --out "$work/other.jwk" >/dev/null 2>&1
set +e
"$J" oauth jwt-bearer --client-id svc --client-secret env:SVC_SECRET --key "$work/other.jwk" --sub user-42 --json >"$work/jb-bad.json"; rc=$?
set -e
expect_rc "jwt-bearer with a key the provider does not know" 4 "$rc"
check "jwt-bearer with another key: invalid_grant" "d['error']['error']=='invalid_grant'" "$work/jb-bad.json"
"$J" oauth exchange --client-id svc --client-secret env:SVC_SECRET --subject-token @"$work/ccp-tokens.json" \
  --audience api-1 --audience api-2 --json >"$work/tx.json"
check "token exchange: subject token of svc-post accepted, both audiences sent, issued_token_type" \
  "d['response']['subject_client_id']=='svc-post' and d['response']['audience']==['api-1','api-2'] and d['response']['issued_token_type']=='urn:ietf:params:oauth:token-type:access_token'" "$work/tx.json"
"$J" oauth revoke --client-id svc-post --auth post --client-secret env:POST_SECRET @"$work/ccp-tokens.json" >/dev/null
set +e
"$J" oauth exchange --client-id svc --client-secret env:SVC_SECRET --subject-token @"$work/ccp-tokens.json" --json >"$work/tx-bad.json"; rc=$?
set -e
expect_rc "token exchange of a revoked subject token" 4 "$rc"
check "revoked subject token: invalid_grant" "d['error']['error']=='invalid_grant'" "$work/tx-bad.json"

# --- authorization code + PKCE through the loopback listener, Chromium logs in
export JWTKIT_OAUTH_CLIENT_ID=cli
"$J" oauth code --scope "openid email profile offline_access" --param prompt=consent --no-open \
  --timeout 40s --out "$work/tokens.json" --json >"$work/code.json" 2>"$work/code.err" &
code_pid=$!
pids+=($code_pid)
wait_for '^http' "$work/code.err"
url=$(grep -m1 '^http' "$work/code.err")
node "$op/login.mjs" "$url" alice "$shots/code-callback.png" >"$work/login.txt" || { cat "$work/login.txt"; bad "browser login (code)"; }
set +e
wait "$code_pid"; rc=$?
set -e
expect_rc "code + PKCE: jwtkit oauth code" 0 "$rc"
grep -q 'jwtkit: Login complete' "$work/login.txt" && ok "browser ended on the loopback listener's page" || bad "browser end page: $(cat "$work/login.txt")"
python3 -c 'import sys,urllib.parse as u; q=dict(u.parse_qsl(u.urlparse(sys.argv[1]).query)); sys.exit(0 if q["code_challenge_method"]=="S256" and len(q["code_challenge"])==43 and len(q["state"])==22 and len(q["nonce"])==22 and q["redirect_uri"].startswith("http://127.0.0.1:") and q["redirect_uri"].endswith("/callback") else 1)' "$url" \
  && ok "authorization URL: S256 challenge, 128-bit state and nonce, loopback redirect_uri" || bad "authorization URL: $url"
check "code + PKCE: ID Token verified, sub alice, nonce bound" \
  "d['id_token']['verified'] and d['id_token']['claims']['sub']=='alice' and d['id_token']['claims']['aud']=='cli' and len(d['id_token']['claims']['nonce'])==22" "$work/code.json"
check "code + PKCE: scopes granted, refresh token received but not printed" \
  "d['response']['scope']=='openid email profile offline_access' and d['response']['refresh_token']=={'received': True}" "$work/code.json"
mode=$(stat -c %a "$work/tokens.json")
[ "$mode" = 600 ] && ok "--out file is mode 0600" || bad "--out file mode $mode"
check "--out file holds the refresh token" "len(d['refresh_token'])>20" "$work/tokens.json"
rt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["refresh_token"])' "$work/tokens.json")
if grep -qF "$rt" "$work/code.json" "$work/code.err"; then bad "refresh token printed"; else ok "refresh token not on stdout or stderr"; fi

# --- userinfo, introspection, refresh (rotation), revocation
"$J" oauth userinfo @"$work/tokens.json" --json >"$work/ui.json"
check "userinfo: claims of alice" "d['claims']['sub']=='alice' and d['claims']['email']=='alice@example.test'" "$work/ui.json"
"$J" oauth introspect @"$work/tokens.json" --json >"$work/in1.json"
check "introspection: access token active, sub alice, client cli" \
  "d['active'] and d['response']['sub']=='alice' and d['response']['client_id']=='cli' and 'email' in d['response']['scope'].split()" "$work/in1.json"
"$J" oauth refresh --refresh-token @"$work/tokens.json" --out "$work/tokens2.json" --json >"$work/rf.json"
check "refresh: new access token and ID Token (verified), new refresh token" \
  "d['ok'] and d['id_token']['verified'] and d['id_token']['claims']['sub']=='alice' and d['response']['refresh_token']=={'received': True}" "$work/rf.json"
check "refresh: the refresh token rotated" "d['refresh_token']!='$rt'" "$work/tokens2.json"
set +e
"$J" oauth introspect @"$work/tokens.json" --hint refresh_token --json >"$work/in-old.json"; rc=$?
set -e
expect_rc "introspection of the used refresh token" 1 "$rc"
check "the used refresh token is inactive" "d['active'] is False" "$work/in-old.json"
"$J" oauth introspect @"$work/tokens2.json" --json >"$work/in2.json"
check "the refreshed access token is active" "d['active']" "$work/in2.json"
"$J" oauth introspect @"$work/tokens2.json" --hint refresh_token --json >"$work/in3.json"
check "the new refresh token is active" "d['active'] and d['response']['sub']=='alice'" "$work/in3.json"
set +e
"$J" oauth refresh --refresh-token @"$work/tokens.json" --json >"$work/rf-reuse.json"; rc=$?
set -e
expect_rc "reusing the old refresh token" 4 "$rc"
check "reuse: invalid_grant, HTTP 400" "d['error']['error']=='invalid_grant' and d['error']['status']==400" "$work/rf-reuse.json"
set +e
"$J" oauth introspect @"$work/tokens2.json" --hint refresh_token --json >"$work/in4.json"; rc=$?
set -e
expect_rc "after the reuse the provider revoked the whole grant: new refresh token inactive" 1 "$rc"

# --- the redirect's error paths: a forged state, and access_denied
redirect() { python3 -c 'import sys,urllib.request,urllib.error
try: urllib.request.urlopen(sys.argv[1]).read()
except urllib.error.HTTPError: pass' "$1"; }
"$J" oauth code --no-open --timeout 20s --json >"$work/forged.json" 2>"$work/forged.err" &
p=$!; pids+=($p)
wait_for '^http' "$work/forged.err"
cb=$(python3 -c 'import sys,urllib.parse as u; q=dict(u.parse_qsl(u.urlparse(sys.argv[1]).query)); print(q["redirect_uri"])' "$(grep -m1 '^http' "$work/forged.err")")
redirect "$cb?code=stolen&state=forged"
set +e
wait "$p"; rc=$?
set -e
expect_rc "redirect with a forged state" 1 "$rc"
check "forged state: state_mismatch, nothing exchanged" "d['error']['kind']=='state_mismatch'" "$work/forged.json"
fixed=$(free_port)
"$J" oauth code --no-open --port "$fixed" --timeout 20s --json >"$work/denied.json" 2>"$work/denied.err" &
p=$!; pids+=($p)
wait_for '^http' "$work/denied.err"
qs=$(python3 -c 'import sys,urllib.parse as u; q=dict(u.parse_qsl(u.urlparse(sys.argv[1]).query)); print(q["redirect_uri"]+"?error=access_denied&error_description=User+said+no&state="+q["state"])' "$(grep -m1 '^http' "$work/denied.err")")
case "$qs" in "http://127.0.0.1:$fixed/callback?"*) ok "--port: the redirect listener is on the port asked for";; *) bad "--port $fixed: $qs";; esac
redirect "$qs"
set +e
wait "$p"; rc=$?
set -e
expect_rc "redirect with access_denied" 4 "$rc"
check "access_denied rendered with its description" \
  "d['error']['error']=='access_denied' and d['error']['error_description']=='User said no'" "$work/denied.json"

# --- device authorization grant, Chromium approves
"$J" oauth device --scope "openid email" --out "$work/dtokens.json" --json >"$work/dev.json" 2>"$work/dev.err" &
p=$!; pids+=($p)
for _ in $(seq 1 100); do grep -q '^(or open' "$work/dev.err" && break; sleep 0.1; done
durl=$(sed -n 's/^(or open \(.*\))$/\1/p' "$work/dev.err")
grep -Eq 'enter the code: [A-Z]{4}-[A-Z]{4}' "$work/dev.err" && ok "device: user_code printed" || bad "device output: $(cat "$work/dev.err")"
node "$op/login.mjs" "$durl" bob "$shots/device-success.png" >"$work/dlogin.txt" || { cat "$work/dlogin.txt"; bad "browser login (device)"; }
set +e
wait "$p"; rc=$?
set -e
expect_rc "device: jwtkit oauth device" 0 "$rc"
check "device: ID Token verified for bob" "d['id_token']['verified'] and d['id_token']['claims']['sub']=='bob' and d['response']['scope']=='openid email'" "$work/dev.json"

"$J" oauth introspect @"$work/dtokens.json" --json >"$work/din1.json"
check "device token: introspection says active, sub bob" "d['active'] and d['response']['sub']=='bob'" "$work/din1.json"
"$J" oauth revoke @"$work/dtokens.json" --json >"$work/drv.json"
check "revocation accepted" "d['ok']" "$work/drv.json"
set +e
"$J" oauth introspect @"$work/dtokens.json" --json >"$work/din2.json"; rc=$?
set -e
expect_rc "introspection after revocation" 1 "$rc"
check "revoked access token is inactive" "d['active'] is False" "$work/din2.json"
set +e
"$J" oauth userinfo @"$work/dtokens.json" --json >"$work/dui.json"; rc=$?
set -e
expect_rc "userinfo with the revoked token" 4 "$rc"
check "userinfo refusal parsed from WWW-Authenticate (RFC 6750 invalid_token, HTTP 401)" \
  "d['error']['error']=='invalid_token' and d['error']['status']==401" "$work/dui.json"

# --- the debugger's "Get a token" panel, in Chromium, against the same provider
e2e=crates/jwtkit-ui/e2e
if [ ! -d "$e2e/node_modules/playwright-core" ] || [ "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]; then
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi
if (cd "$e2e" && OAUTH_ISSUER="$I" JWTKIT_BIN="$J" SCREENSHOT_DIR="$shots" \
    node --test --test-concurrency=1 --test-reporter=spec oauth.test.mjs); then
  ok "debugger panel e2e (screenshots in target/oauth-screenshots/)"
else
  bad "debugger panel e2e"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
