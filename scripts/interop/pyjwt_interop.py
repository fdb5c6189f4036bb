#!/usr/bin/env python3
"""Interop with PyJWT (cryptography backend; versions pinned in requirements.txt).

    python pyjwt_interop.py sign   KEYDIR CLAIMS.json ALG,ALG,...
    python pyjwt_interop.py verify KEYDIR TOKENS.json AUDIENCE

KEYDIR holds the keys jwtkit generated. PyJWT is given the PEM forms jwtkit wrote
(`jwtkit jwk convert --to pem`): ALG.pem (PKCS#8 private key) and ALG.pub.pem (SPKI), and for
HS* the secret bytes of ALG.jwk. Prints one JSON object on stdout:
    sign:   {"ALG": {"token": "..."} | {"error": "..."}}
    verify: {"ALG": {"claims": {...}, "header": {...}} | {"error": "..."}}
Every algorithm is attempted; if PyJWT lacks one, its own error message is reported.
"""
import base64
import json
import os
import sys

import jwt
from cryptography.hazmat.primitives import serialization


def key(keydir, alg, public):
    if alg.startswith("HS"):
        k = json.load(open(os.path.join(keydir, f"{alg}.jwk")))["k"]
        return base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))
    pem = open(os.path.join(keydir, f"{alg}{'.pub' if public else ''}.pem"), "rb").read()
    if public:
        return serialization.load_pem_public_key(pem)
    return serialization.load_pem_private_key(pem, password=None)


def main():
    op, keydir, path, extra = sys.argv[1:5]
    out = {}
    if op == "sign":
        claims = json.load(open(path, encoding="utf-8"))
        for alg in extra.split(","):
            try:
                out[alg] = {"token": jwt.encode(claims, key(keydir, alg, False), algorithm=alg, headers={"typ": "JWT"})}
            except Exception as e:  # report the library's own words
                out[alg] = {"error": f"{type(e).__name__}: {e}"}
    elif op == "verify":
        for alg, token in json.load(open(path)).items():
            try:
                claims = jwt.decode(token, key(keydir, alg, True), algorithms=[alg], audience=extra)
                out[alg] = {"claims": claims, "header": jwt.get_unverified_header(token)}
            except Exception as e:
                out[alg] = {"error": f"{type(e).__name__}: {e}"}
    else:
        sys.exit(2)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
