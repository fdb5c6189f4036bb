"""Independent clients against a running `jwtkit issuer` (scripts/test-issuer.sh).

PyJWT (with its own JWKS client) and the standard library's HTTP client discover the issuer,
run authorization code + PKCE through the login page, verify ID and access tokens, refresh
(rotation; reuse revokes the family), introspect, revoke, and check the RFC error codes of
hostile requests. A client with its own key authenticates with
private_key_jwt (RFC 7523), its assertion signed by PyJWT.
Usage: clients.py ISSUER_URL BACKEND_SECRET SIGNED_CLIENT_KEY_PEM. Exits non-zero on the first failed check.
"""

import base64
import hashlib
import html.parser
import json
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import jwt

ISSUER = sys.argv[1]
SECRET = sys.argv[2]
CLIENT = "backend"
REDIRECT = "http://127.0.0.1:8000/callback"
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


opener = urllib.request.build_opener(NoRedirect)


def http(method, url, form=None, auth=None, bearer=None, raw=None):
    data = raw if raw is not None else (urllib.parse.urlencode(form).encode() if form is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    if bearer:
        req.add_header("Authorization", "Bearer " + bearer)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def post_json(path, form, auth=(CLIENT, None)):
    status, headers, body = http("POST", meta[path], form, auth=(auth[0], auth[1] or SECRET) if auth else None)
    return status, headers, json.loads(body) if body else {}


class FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.request = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") == "request":
            self.request = a.get("value")


def login(scope="openid profile email orders:read", user="alice", claims="{}", state=None, nonce=None):
    """Authorization code + PKCE S256 through the login page; returns (code, verifier, nonce)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = state or secrets.token_urlsafe(16)
    nonce = nonce or secrets.token_urlsafe(16)
    q = urllib.parse.urlencode({
        "response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT, "scope": scope,
        "state": state, "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256",
    })
    status, _, page = http("GET", meta["authorization_endpoint"] + "?" + q)
    check(status == 200, "the login page loads")
    p = FormParser()
    p.feed(page.decode())
    check(p.request, "the login page has a request id")
    action = urllib.parse.urljoin(meta["authorization_endpoint"], "authorize/login")
    status, headers, _ = http("POST", action, {"request": p.request, "sub": user, "claims": claims, "action": "approve"})
    check(status == 303, f"login redirects (got {status})")
    loc = urllib.parse.urlparse(headers["Location"])
    check(f"{loc.scheme}://{loc.netloc}{loc.path}" == REDIRECT, "redirected to the registered URI")
    qs = dict(urllib.parse.parse_qsl(loc.query))
    check(qs.get("state") == state, "state returned unchanged")
    check(qs.get("iss") == ISSUER, "iss returned (RFC 9207)")
    return qs["code"], verifier, nonce


def redeem(code, verifier):
    return post_json("token_endpoint", {"grant_type": "authorization_code", "code": code,
                                        "redirect_uri": REDIRECT, "code_verifier": verifier})


def verify_access(token, client=CLIENT):
    key = jwks.get_signing_key_from_jwt(token)
    check(jwt.get_unverified_header(token)["typ"] == "at+jwt", "access token typ is at+jwt (RFC 9068)")
    c = jwt.decode(token, key, algorithms=["ES256", "RS256"], audience="orders-api", issuer=ISSUER,
                   options={"require": ["exp", "iat", "iss", "aud", "sub", "jti", "client_id", "scope"]})
    check(c["client_id"] == client, "access token client_id")
    return c


# 1. Discovery.
status, _, body = http("GET", ISSUER + "/.well-known/openid-configuration")
meta = json.loads(body)
check(meta["issuer"] == ISSUER, "discovery issuer matches")
check(meta["code_challenge_methods_supported"] == ["S256"], "only S256")
_, _, body8414 = http("GET", ISSUER + "/.well-known/oauth-authorization-server")
check(json.loads(body8414) == meta, "RFC 8414 metadata equals discovery")
jwks = jwt.PyJWKClient(meta["jwks_uri"], cache_keys=False)

# 2. Code + PKCE; ID token and access token verified by PyJWT.
code, verifier, nonce = login(claims='{"roles":["auditor"]}')
status, headers, tok = redeem(code, verifier)
check(status == 200, f"code redeemed: {tok}")
check(headers.get("Cache-Control") == "no-store", "token response is no-store")
idt = tok["id_token"]
c = jwt.decode(idt, jwks.get_signing_key_from_jwt(idt), algorithms=["ES256", "RS256"], audience=CLIENT,
               issuer=ISSUER, options={"require": ["exp", "iat", "auth_time", "nonce", "at_hash"]})
check(c["nonce"] == nonce, "ID token nonce")
check(c["sub"] == "alice" and c["email"] == "alice@example.com", "ID token sub and email")
digest = hashlib.sha256(tok["access_token"].encode()).digest()
check(c["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode(), "at_hash")
at = verify_access(tok["access_token"])
check(at["sub"] == "alice" and at["roles"] == ["auditor"], "access token carries the login page's claims")

# 3. Userinfo and introspection.
status, _, ui = http("GET", meta["userinfo_endpoint"], bearer=tok["access_token"])
check(status == 200 and json.loads(ui)["sub"] == "alice", "userinfo")
status, _, i = post_json("introspection_endpoint", {"token": tok["access_token"]})
check(i["active"] is True and i["sub"] == "alice" and i["scope"] == at["scope"], f"introspection active: {i}")
status, _, i = post_json("introspection_endpoint", {"token": tok["refresh_token"]})
check(i["active"] is True and i["token_type"] == "refresh_token", "refresh token introspection")

# 4. Refresh rotation; reuse revokes the family.
r1 = tok["refresh_token"]
status, _, t2 = post_json("token_endpoint", {"grant_type": "refresh_token", "refresh_token": r1})
check(status == 200 and t2["refresh_token"] != r1, "refresh rotates the refresh token")
verify_access(t2["access_token"])
status, _, t3 = post_json("token_endpoint", {"grant_type": "refresh_token", "refresh_token": t2["refresh_token"]})
check(status == 200, "second refresh")
status, _, err = post_json("token_endpoint", {"grant_type": "refresh_token", "refresh_token": r1})
check(status == 400 and err["error"] == "invalid_grant", f"reuse of a rotated refresh token: {err}")
status, _, err = post_json("token_endpoint", {"grant_type": "refresh_token", "refresh_token": t3["refresh_token"]})
check(err.get("error") == "invalid_grant", "the newest refresh token of the family is revoked too")
status, _, i = post_json("introspection_endpoint", {"token": t3["access_token"]})
check(i == {"active": False}, "the family's access token is inactive")

# 5. Revocation (RFC 7009).
code, verifier, _ = login()
_, _, tok = redeem(code, verifier)
status, _, _ = post_json("revocation_endpoint", {"token": tok["access_token"], "token_type_hint": "access_token"})
check(status == 200, "revoke access token")
_, _, i = post_json("introspection_endpoint", {"token": tok["access_token"]})
check(i == {"active": False}, "revoked access token inactive")
status, _, _ = post_json("revocation_endpoint", {"token": tok["refresh_token"]})
_, _, err = post_json("token_endpoint", {"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]})
check(err.get("error") == "invalid_grant", "revoked refresh token refused")

# 6. client_credentials with client_secret_post.
status, _, cc = post_json("token_endpoint", {"grant_type": "client_credentials", "client_id": CLIENT,
                                             "client_secret": SECRET, "scope": "orders:read"}, auth=None)
check(status == 200 and verify_access(cc["access_token"])["sub"] == CLIENT, "client_credentials (post)")

# 7. private_key_jwt: an assertion signed by PyJWT with the client's own key; single use.
with open(sys.argv[3], "rb") as f:
    client_key = f.read()
now = int(time.time())
assertion = jwt.encode({"iss": "signed", "sub": "signed", "aud": meta["token_endpoint"], "jti": secrets.token_urlsafe(16),
                        "iat": now, "exp": now + 60}, client_key, algorithm="ES256", headers={"kid": "signed-1"})
form = {"grant_type": "client_credentials", "client_assertion": assertion,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
status, _, pk = post_json("token_endpoint", form, auth=None)
check(status == 200 and verify_access(pk["access_token"], "signed")["sub"] == "signed", f"private_key_jwt: {pk}")
status, headers, err = post_json("token_endpoint", form, auth=None)
check(status == 401 and err["error"] == "invalid_client", "a replayed client assertion is refused")

# 8. Hostile requests.
code, verifier, _ = login()
_, _, err = redeem(code, "A" * 43)
check(err.get("error") == "invalid_grant", "wrong PKCE verifier")
code, verifier, _ = login()
redeem(code, verifier)
_, _, err = redeem(code, verifier)
check(err.get("error") == "invalid_grant", "replayed code")
q = urllib.parse.urlencode({"response_type": "code", "client_id": CLIENT, "redirect_uri": "https://evil.example/cb",
                            "state": "s", "code_challenge": "x" * 43, "code_challenge_method": "S256"})
status, headers, _ = http("GET", meta["authorization_endpoint"] + "?" + q)
check(status == 400 and "Location" not in headers, "unregistered redirect URI: error page, no redirect")
q = urllib.parse.urlencode({"response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT, "state": "s-42",
                            "code_challenge": "x" * 43, "code_challenge_method": "plain"})
status, headers, _ = http("GET", meta["authorization_endpoint"] + "?" + q)
qs = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(headers.get("Location", "")).query))
check(status == 303 and qs.get("error") == "invalid_request" and qs.get("state") == "s-42", "PKCE plain refused")
status, headers, body = http("POST", meta["token_endpoint"], raw=b"grant_type=client_credentials&x=" + b"a" * 20000,
                             auth=(CLIENT, SECRET))
check(status == 413 and json.loads(body)["error"] == "invalid_request", "oversized request: 413")
status, headers, body = http("POST", meta["token_endpoint"], {"grant_type": "client_credentials"}, auth=(CLIENT, "wrong"))
check(status == 401 and json.loads(body)["error"] == "invalid_client" and headers.get("WWW-Authenticate", "").startswith("Basic"),
      "wrong secret: 401 invalid_client")

print(f"issuer clients: {checks} checks passed (PyJWT {jwt.__version__})")
