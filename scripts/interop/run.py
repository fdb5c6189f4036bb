#!/usr/bin/env python3
"""Interop matrix: jwtkit <-> PyJWT, jose (npm), jsonwebtoken (npm) and dilithium-py (ML-DSA),
every JWS algorithm, both ways.

    python3 scripts/interop/run.py JWTKIT_BIN VENV_PYTHON [WORKDIR]

(scripts/test-interop.sh installs the libraries and calls this.)

1. `jwtkit keygen` makes one key per algorithm (JWK), `jwtkit jwk convert --to pem` its PEM forms.
2. lib -> jwtkit: each library signs the claims below; `jwtkit verify --json` must say valid, with
   exactly these claims and the library's alg; the same token with another payload must be
   rejected with bad_signature.
3. jwtkit -> lib: `jwtkit sign` signs the claims; each library must verify it and decode exactly
   these claims (header alg, typ and kid checked too); a tampered copy must fail.
Every algorithm is attempted with every library. A library that lacks an algorithm reports it
itself; such gaps are listed in KNOWN_GAPS (checked, not assumed: a gap that disappears or a new
one fails the run). Prints the matrix and exits 1 on any failure.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
        "ES256", "ES384", "ES512", "EdDSA", "ES256K", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87"]
ML_DSA = ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"]
LIBS = ["pyjwt", "jose", "jsonwebtoken", "dilithium-py"]
# Observed with the pinned versions (jsonwebtoken 9.0.3 validates `algorithm` against a list
# without EdDSA and ES256K, in sign and verify; jose 6 has no secp256k1, and ML-DSA only on
# Node >= 24; PyJWT has no ML-DSA; dilithium-py is ML-DSA only). Anything else missing is a
# failure, and so is a gap that disappears.
KNOWN_GAPS = (
    {("jsonwebtoken", "EdDSA"), ("jsonwebtoken", "ES256K"), ("jose", "ES256K")}
    | {(lib, alg) for lib in ("pyjwt", "jose", "jsonwebtoken") for alg in ML_DSA}
    | {("dilithium-py", alg) for alg in ALGS if alg not in ML_DSA}
)
AUDIENCE = "api"
CLAIMS = {
    "iss": "https://issuer.example",
    "sub": "Zoë 😀 \"quoted\" \\ back",
    "aud": ["api", "other"],
    "iat": 1700000000,
    "nbf": 1700000000,
    "exp": 4102444800,
    "jti": "interop-1",
    "roles": ["admin", "ops"],
    "nested": {"a": [1, 2, {"b": None}], "t": True, "s": "line\nbreak\ttab"},
    "max_safe": 9007199254740991,
    "ratio": 1.5,
    "neg": -42,
}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def tampered(token):
    h, _, s = token.split(".")
    other = dict(CLAIMS, sub="mallory")
    return ".".join([h, b64u(json.dumps(other).encode()), s])


class Matrix:
    def __init__(self):
        self.cells = {}
        self.failures = []
        self.notes = []

    def set(self, alg, lib, direction, status, why=""):
        self.cells[(alg, lib, direction)] = status
        if status == "FAIL":
            self.failures.append(f"{alg} {direction.replace('LIB', lib)}: {why}")

    def print(self):
        cols = [(lib, d) for lib in LIBS for d in ("LIB->jwtkit", "jwtkit->LIB")]
        heads = [d.replace("LIB", lib) for lib, d in cols]
        width = max(len(h) for h in heads) + 2
        print("alg".ljust(11) + "".join(h.ljust(width) for h in heads))
        for alg in ALGS:
            print(alg.ljust(11) + "".join(self.cells.get((alg, lib, d), "?").ljust(width) for lib, d in cols))


def main():
    jwtkit, py = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    work = sys.argv[3] if len(sys.argv) > 3 else tempfile.mkdtemp(prefix="jwtkit-interop-")
    keys = os.path.join(work, "keys")
    os.makedirs(keys, exist_ok=True)
    claims_file = os.path.join(work, "claims.json")
    json.dump(CLAIMS, open(claims_file, "w", encoding="utf-8"), ensure_ascii=False)
    m = Matrix()
    t0 = time.time()

    # 1. keys
    kids = {}
    for alg in ALGS:
        base = os.path.join(keys, alg)
        argv = [jwtkit, "keygen", "--alg", alg, "--out", base + ".jwk"]
        if not alg.startswith("HS"):
            argv += ["--public-out", base + ".pub.jwk"]
        r = run(argv)
        if r.returncode != 0:
            sys.exit(f"keygen {alg} failed: {r.stderr}")
        kids[alg] = json.load(open(base + ".jwk"))["kid"]
        if not alg.startswith("HS"):
            for priv, out in ((True, base + ".pem"), (False, base + ".pub.pem")):
                r = run([jwtkit, "jwk", "convert", base + ".jwk", "--to", "pem"] + (["--private"] if priv else []))
                if r.returncode != 0 or "\r" in r.stdout:
                    sys.exit(f"jwk convert {alg} failed: {r.stderr or 'CRLF line endings'}")
                open(out, "w").write(r.stdout)

    def key_args(alg):
        if alg.startswith("HS"):
            return ["--secret", "b64url:" + json.load(open(os.path.join(keys, alg + ".jwk")))["k"]]
        return ["--key", os.path.join(keys, alg + ".pub.jwk")]

    def lib_cmd(lib, *args):
        if lib == "pyjwt":
            return [py, os.path.join(HERE, "pyjwt_interop.py"), *args]
        if lib == "dilithium-py":
            return [py, os.path.join(HERE, "mldsa_interop.py"), *args]
        return ["node", os.path.join(HERE, "node_interop.mjs"), lib, *args]

    def lib_call(lib, *args):
        r = run(lib_cmd(lib, *args), cwd=HERE)
        if r.returncode != 0:
            sys.exit(f"{lib} {args[0]} crashed: {r.stderr}")
        return json.loads(r.stdout)

    def gap(lib, alg, direction, error):
        if (lib, alg) in KNOWN_GAPS:
            m.set(alg, lib, direction, "n/a")
            if lib == "dilithium-py":
                return  # ML-DSA only by design: no note per classical algorithm
            m.notes.append(f"{lib} lacks {alg} ({direction.replace('LIB', lib)}): {error}")
        else:
            m.set(alg, lib, direction, "FAIL", f"{lib} error: {error}")

    # 2. lib -> jwtkit
    for lib in LIBS:
        signed = lib_call(lib, "sign", keys, claims_file, ",".join(ALGS))
        for alg in ALGS:
            d = "LIB->jwtkit"
            res = signed.get(alg, {"error": "no result"})
            if "error" in res:
                gap(lib, alg, d, res["error"])
                continue
            if (lib, alg) in KNOWN_GAPS:
                m.notes.append(f"{lib} now signs {alg}: remove it from KNOWN_GAPS")
            token = res["token"]
            r = run([jwtkit, "verify", "--json", "--alg", alg, "--aud", AUDIENCE, *key_args(alg), token])
            try:
                doc = json.loads(r.stdout)
            except ValueError:
                m.set(alg, lib, d, "FAIL", f"jwtkit printed no JSON (exit {r.returncode}): {r.stderr.strip()}")
                continue
            if r.returncode != 0 or doc.get("valid") is not True:
                m.set(alg, lib, d, "FAIL", f"jwtkit exit {r.returncode}: {doc.get('error')}")
            elif doc.get("claims") != CLAIMS or doc.get("alg") != alg:
                m.set(alg, lib, d, "FAIL", f"claims/alg differ: {doc.get('alg')} {doc.get('claims')}")
            else:
                r2 = run([jwtkit, "verify", "--json", "--alg", alg, "--aud", AUDIENCE, *key_args(alg), tampered(token)])
                kind = ((json.loads(r2.stdout) or {}).get("error") or {}).get("kind") if r2.stdout else None
                if r2.returncode != 1 or kind != "bad_signature":
                    m.set(alg, lib, d, "FAIL", f"tampered token: exit {r2.returncode}, kind {kind}")
                else:
                    m.set(alg, lib, d, "ok")

    # 3. jwtkit -> lib
    tokens = {}
    for alg in ALGS:
        r = run([jwtkit, "sign", "--alg", alg, "--key", os.path.join(keys, alg + ".jwk"), "--claims", "@" + claims_file,
                 "--no-iat"])
        if r.returncode != 0:
            sys.exit(f"jwtkit sign {alg} failed: {r.stderr}")
        tokens[alg] = r.stdout.strip()
    tokens_file = os.path.join(work, "jwtkit-tokens.json")
    json.dump(tokens, open(tokens_file, "w"))
    bad_file = os.path.join(work, "jwtkit-tampered.json")
    json.dump({a: tampered(t) for a, t in tokens.items()}, open(bad_file, "w"))
    for lib in LIBS:
        verified = lib_call(lib, "verify", keys, tokens_file, AUDIENCE)
        rejected = lib_call(lib, "verify", keys, bad_file, AUDIENCE)
        for alg in ALGS:
            d = "jwtkit->LIB"
            res = verified.get(alg, {"error": "no result"})
            if "error" in res:
                gap(lib, alg, d, res["error"])
                continue
            if (lib, alg) in KNOWN_GAPS:
                m.notes.append(f"{lib} now verifies {alg}: remove it from KNOWN_GAPS")
            h = res["header"]
            if res["claims"] != CLAIMS:
                m.set(alg, lib, d, "FAIL", f"claims differ: {res['claims']}")
            elif h.get("alg") != alg or h.get("typ") != "JWT" or h.get("kid") != kids[alg]:
                m.set(alg, lib, d, "FAIL", f"header differs: {h}")
            elif "error" not in rejected.get(alg, {}):
                m.set(alg, lib, d, "FAIL", "a tampered token verified")
            else:
                m.set(alg, lib, d, "ok")

    m.print()
    for n in m.notes:
        print("note:", n)
    ok = sum(1 for v in m.cells.values() if v == "ok")
    na = sum(1 for v in m.cells.values() if v == "n/a")
    for f in m.failures:
        print("FAIL:", f)
    print(f"({time.time() - t0:.1f}s, work dir {work})")
    print(f"interop: {ok} passed, {len(m.failures)} failed, {na} skipped")
    sys.exit(1 if m.failures or any("now " in n for n in m.notes) else 0)


if __name__ == "__main__":
    main()
