"""SD-JWT (RFC 9901) interop between jwtkit and the reference implementation `sd-jwt` (PyPI,
openwallet-foundation-labs/sd-jwt-python), both directions, with Key Binding.

Usage: sdjwt_interop.py JWTKIT WORKDIR. Prints one line per check and the closing
"N passed, N failed"; exits 1 on any failure.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

JWTKIT, WORK = sys.argv[1], Path(sys.argv[2])
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def jwtkit(*args, code=0):
    r = subprocess.run([JWTKIT, *args], capture_output=True, text=True, cwd=WORK)
    if r.returncode != code:
        raise RuntimeError(f"jwtkit {' '.join(args[:3])}… exited {r.returncode}: {r.stderr}{r.stdout}")
    return r.stdout


issuer_key = JWK.generate(kty="EC", crv="P-256")
holder_key = JWK.generate(kty="EC", crv="P-256")
(WORK / "issuer.pub.jwk").write_text(issuer_key.export_public())
(WORK / "issuer.jwk").write_text(issuer_key.export_private())
(WORK / "holder.jwk").write_text(holder_key.export_private())
now = int(time.time())

# 1. Python issues (flat, nested and array-element disclosures, decoys, holder key);
#    Python presents a subset with a Key Binding JWT; jwtkit verifies.
claims = {
    "iss": "https://issuer.example",
    "iat": now,
    "exp": now + 3600,
    SDObj("given_name"): "Erika",
    SDObj("email"): "erika@example.com",
    "address": {SDObj("street_address"): "Heidestraße 17", "locality": "Köln"},
    "nationalities": [SDObj("DE"), "FR"],
}
issued = SDJWTIssuer(claims, issuer_key, holder_key=holder_key, add_decoy_claims=True).sd_jwt_issuance
holder = SDJWTHolder(issued)
holder.create_presentation(
    {"given_name": True, "address": {"street_address": True}, "nationalities": [True, None]},
    nonce="n-1", aud="https://verifier.example", holder_key=holder_key,
)
out = json.loads(jwtkit("verify", holder.sd_jwt_presentation, "--key", "issuer.pub.jwk",
                        "--kb-aud", "https://verifier.example", "--kb-nonce", "n-1", "--json"))
c = out.get("claims", {})
check("sd-jwt (python) → jwtkit verify: valid", out.get("valid") is True, out.get("error"))
check("… given_name disclosed", c.get("given_name") == "Erika", c)
check("… email withheld", "email" not in c, c)
check("… nested street_address disclosed", c.get("address") == {"street_address": "Heidestraße 17", "locality": "Köln"}, c)
check("… array element disclosed", c.get("nationalities") == ["DE", "FR"], c)
check("… Key Binding JWT verified", out.get("sd_jwt", {}).get("key_binding") is not None, out.get("sd_jwt"))
bad = json.loads(jwtkit("verify", holder.sd_jwt_presentation, "--key", "issuer.pub.jwk",
                        "--kb-aud", "https://verifier.example", "--kb-nonce", "other", "--json", code=1))
check("… another nonce: bad_key_binding", bad.get("error", {}).get("kind") == "bad_key_binding", bad.get("error"))
tampered = holder.sd_jwt_presentation.replace("~", "~" + issued.split("~")[1] + "~", 1) if issued.count("~") > 1 else ""
if tampered:
    t = json.loads(jwtkit("verify", tampered, "--key", "issuer.pub.jwk", "--kb-aud", "https://verifier.example",
                          "--kb-nonce", "n-1", "--json", code=1))
    check("… a Disclosure added after the holder signed: rejected", t.get("valid") is False, t)

# 2. jwtkit issues; Python presents and verifies.
(WORK / "claims.json").write_text(json.dumps({
    "cnf": {"jwk": json.loads(holder_key.export_public())},
    "given_name": "Erika", "email": "erika@example.com",
    "address": {"street_address": "Heidestraße 17", "locality": "Köln"},
    "nationalities": ["DE", "FR"],
}))
issued = jwtkit("sign", "--alg", "ES256", "--key", "issuer.jwk", "--iss", "https://issuer.example", "--exp", "+1h",
                "--claims", "@claims.json", "--sd", "given_name", "--sd", "email", "--sd", "/address/street_address",
                "--sd", "/nationalities/0", "--sd-decoys", "2").strip()
py_holder = SDJWTHolder(issued)
py_holder.create_presentation({"email": True, "nationalities": [True, None]},
                              nonce="n-2", aud="https://rp.example", holder_key=holder_key)
v = SDJWTVerifier(py_holder.sd_jwt_presentation, lambda iss, h: issuer_key,
                  expected_aud="https://rp.example", expected_nonce="n-2").get_verified_payload()
check("jwtkit sign --sd → sd-jwt (python) verify: email", v.get("email") == "erika@example.com", v)
check("… given_name withheld", "given_name" not in v, v)
check("… array element", v.get("nationalities") == ["DE", "FR"], v)

# 3. jwtkit presents (with a Key Binding JWT); Python verifies.
(WORK / "issued.txt").write_text(issued)
shown = jwtkit("sd", "present", "@issued.txt", "--disclose", "/address/street_address", "--disclose", "given_name",
               "--holder-key", "holder.jwk", "--aud", "https://rp.example", "--nonce", "n-3").strip()
v = SDJWTVerifier(shown, lambda iss, h: issuer_key, expected_aud="https://rp.example",
                  expected_nonce="n-3").get_verified_payload()
check("jwtkit sd present → sd-jwt (python) verify: given_name", v.get("given_name") == "Erika", v)
check("… nested street_address", v.get("address", {}).get("street_address") == "Heidestraße 17", v)
check("… email withheld", "email" not in v, v)
try:
    SDJWTVerifier(shown, lambda iss, h: issuer_key, expected_aud="https://rp.example", expected_nonce="n-4")
    check("… python refuses another nonce", False, "accepted")
except ValueError:
    check("… python refuses another nonce", True)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
