"""Key rotation while `jwtkit gateway` serves tokens from `jwtkit issuer` (scripts/test-issuer.sh).

For a little more than one rotation period: every 0.25 s a fresh client_credentials token and
the first token of the run go through the gateway. Every request must be forwarded (200, never a
5xx or 401): the next key is published before it signs, the old one until its tokens expire.
Usage: rotation.py ISSUER_URL GATEWAY_URL SECRET SECONDS
"""

import base64
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

issuer, gateway, secret, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])


def token():
    req = urllib.request.Request(issuer + "/token", data=b"grant_type=client_credentials", method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    req.add_header("Authorization", "Basic " + base64.b64encode(f"backend:{secret}".encode()).decode())
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)["access_token"]


def kid(tok):
    h = tok.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["kid"]


def through_gateway(tok):
    req = urllib.request.Request(gateway + "/orders/", headers={"Authorization": "Bearer " + tok})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


first = token()
kids, statuses, end = [], {}, time.time() + seconds
while time.time() < end:
    fresh = token()
    if not kids or kids[-1] != kid(fresh):
        kids.append(kid(fresh))
    for name, tok in (("fresh", fresh), ("first", first)):
        s = through_gateway(tok)
        statuses[(name, s)] = statuses.get((name, s), 0) + 1
    time.sleep(0.25)
summary = ", ".join(f"{n} {s}: {c}" for (n, s), c in sorted(statuses.items()))
print(f"rotation under the gateway: {len(kids)} signing keys in {seconds:.0f}s; {summary}")
bad = {k: v for k, v in statuses.items() if k[1] != 200}
if len(kids) < 2 or bad:
    print(f"FAIL: expected every request forwarded across a rotation; kids={len(kids)} non-200={bad}", file=sys.stderr)
    sys.exit(1)
