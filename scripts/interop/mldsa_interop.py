#!/usr/bin/env python3
"""Interop with dilithium-py (pure Python FIPS 204 ML-DSA; version pinned in requirements.txt) for
the RFC 9964 algorithms ML-DSA-44/65/87, with the same protocol as pyjwt_interop.py:

    python mldsa_interop.py sign   KEYDIR CLAIMS.json ALG,ALG,...
    python mldsa_interop.py verify KEYDIR TOKENS.json AUDIENCE

KEYDIR holds the AKP JWKs jwtkit generated: ALG.jwk (`priv` = 32-byte seed, expanded here with
dilithium-py's own key derivation) and ALG.pub.jwk (`pub`). The JWS framing (RFC 7515 compact,
empty ML-DSA context string as RFC 9964 §3 says) is written here; every signature is made and
checked by dilithium-py. Verification also checks `alg`, `aud` and `exp`. Any other algorithm is
reported as not supported (dilithium-py implements ML-DSA only).
"""
import base64
import json
import os
import sys
import time

from dilithium_py.ml_dsa import ML_DSA_44, ML_DSA_65, ML_DSA_87

IMPL = {"ML-DSA-44": ML_DSA_44, "ML-DSA-65": ML_DSA_65, "ML-DSA-87": ML_DSA_87}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwk(keydir, alg, public):
    j = json.load(open(os.path.join(keydir, f"{alg}{'.pub' if public else ''}.jwk")))
    if j.get("kty") != "AKP" or j.get("alg") != alg:
        raise ValueError(f"not an AKP {alg} key: kty {j.get('kty')}, alg {j.get('alg')}")
    return j


def impl(alg):
    if alg not in IMPL:
        raise NotImplementedError(f"dilithium-py implements ML-DSA only, not {alg}")
    return IMPL[alg]


def sign(keydir, alg, claims):
    m = impl(alg)
    k = jwk(keydir, alg, False)
    pk, sk = m.key_derive(unb64u(k["priv"]))
    if b64u(pk) != k["pub"]:
        raise ValueError("the seed's public key is not the JWK's pub")
    header = {"alg": alg, "typ": "JWT", "kid": k["kid"]}
    si = b64u(json.dumps(header, separators=(",", ":")).encode()) + "." + b64u(
        json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return si + "." + b64u(m.sign(sk, si.encode()))


def verify(keydir, alg, token, audience):
    m = impl(alg)
    h, p, s = token.split(".")
    header = json.loads(unb64u(h))
    if header.get("alg") != alg:
        raise ValueError(f"alg {header.get('alg')} is not {alg}")
    if not m.verify(unb64u(jwk(keydir, alg, True)["pub"]), (h + "." + p).encode(), unb64u(s)):
        raise ValueError("signature does not verify")
    claims = json.loads(unb64u(p))
    aud = claims.get("aud")
    if audience not in (aud if isinstance(aud, list) else [aud]):
        raise ValueError("audience")
    if claims.get("exp", 0) <= time.time():
        raise ValueError("expired")
    return {"claims": claims, "header": header}


def main():
    op, keydir, path, extra = sys.argv[1:5]
    out = {}
    if op == "sign":
        claims = json.load(open(path, encoding="utf-8"))
        for alg in extra.split(","):
            try:
                out[alg] = {"token": sign(keydir, alg, claims)}
            except Exception as e:
                out[alg] = {"error": f"{type(e).__name__}: {e}"}
    elif op == "verify":
        for alg, token in json.load(open(path)).items():
            try:
                out[alg] = verify(keydir, alg, token, extra)
            except Exception as e:
                out[alg] = {"error": f"{type(e).__name__}: {e}"}
    else:
        sys.exit(2)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
