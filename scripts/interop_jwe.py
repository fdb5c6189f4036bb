#!/usr/bin/env python3
"""JWE interop, both directions, through the built `jwtkit` CLI.

For every key management algorithm of issue 6 (ECDH-ES* on P-256, P-384, P-521 and X25519) and
every content encryption algorithm:
  jwcrypto (PyPI) encrypts -> `jwtkit decrypt` decrypts;  `jwtkit encrypt` -> jwcrypto decrypts;
  node `jose` encrypts     -> `jwtkit decrypt` decrypts;  `jwtkit encrypt` -> node `jose` decrypts.
Plus general/flattened JSON from jwcrypto (two recipients) decrypted by jwtkit, and jwtkit's
JSON decrypted by jwcrypto.

Usage: interop_jwe.py PATH/TO/jwtkit NODE_DIR   (NODE_DIR holds node_modules/jose)
Prints a matrix and the line 'N passed, N failed'; exits 1 on any failure.
"""
import base64, json, os, shutil, subprocess, sys, tempfile

from jwcrypto import jwe, jwk
from jwcrypto.common import json_encode

KW = ["RSA-OAEP", "RSA-OAEP-256", "A128KW", "A192KW", "A256KW", "dir", "A128GCMKW", "A192GCMKW",
      "A256GCMKW", "PBES2-HS256+A128KW", "PBES2-HS384+A192KW", "PBES2-HS512+A256KW"]
ECDH = ["ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW"]
CURVES = ["P-256", "P-384", "P-521", "X25519"]
ENC = ["A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512", "A128GCM", "A192GCM", "A256GCM"]
ENC_KEY_LEN = {"A128CBC-HS256": 32, "A192CBC-HS384": 48, "A256CBC-HS512": 64, "A128GCM": 16, "A192GCM": 24, "A256GCM": 32}
KW_LEN = {"A128": 16, "A192": 24, "A256": 32}
# jwcrypto allows these only when listed explicitly (they are not in its default allowlist).
JWCRYPTO_ALLOWED = KW + ECDH + ENC

BIN, NODE_DIR = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="jwe-interop-")
PLAINTEXT = "interop payload \u2713 " + "x" * 40
RSA = jwk.JWK.generate(kty="RSA", size=2048)
EC = {c: (jwk.JWK.generate(kty="OKP", crv=c) if c == "X25519" else jwk.JWK.generate(kty="EC", crv=c)) for c in CURVES}
PASSWORD = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(b"correct horse battery").rstrip(b"=").decode())


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def key_for(alg, enc, curve):
    if alg.startswith("RSA"):
        return RSA
    if alg.startswith("ECDH"):
        return EC[curve]
    if alg.startswith("PBES2"):
        return PASSWORD
    n = ENC_KEY_LEN[enc] if alg == "dir" else KW_LEN[alg[:4]]
    return jwk.JWK(kty="oct", k=b64u(bytes((i * 7 + n) % 256 for i in range(n))))


def write_key(k, private):
    p = os.path.join(TMP, "k%d.json" % len(os.listdir(TMP)))
    with open(p, "w") as f:
        f.write(k.export(private_key=private) if k.has_private or k["kty"] == "oct" else k.export_public())
    return p


def key_args(k, private):
    if k["kty"] == "oct":
        return ["--secret", "b64url:" + k["k"]]
    return ["--key", write_key(k, private)]


def jwtkit(args, stdin=None):
    p = subprocess.run([BIN] + args, input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def jwtkit_decrypt(token, k, alg, enc):
    rc, out, err = jwtkit(["decrypt", "--json", "--alg", alg, "--enc", enc] + key_args(k, True), token)
    try:
        doc = json.loads(out)
    except Exception:
        return False, (err or out)[:200]
    if rc == 0 and doc.get("valid") and doc["payload"]["utf8"] == PLAINTEXT:
        return True, ""
    return False, json.dumps(doc.get("error"))[:200]


def jwtkit_encrypt(k, alg, enc, serialization="compact"):
    public = k if k["kty"] == "oct" else jwk.JWK.from_json(k.export_public())
    rc, out, err = jwtkit(["encrypt", "--alg", alg, "--enc", enc, "--p2c", "2048",
                           "--serialization", serialization] + key_args(public, False), PLAINTEXT)
    return (out.strip() if rc == 0 else None), err.strip()[:200]


def jwcrypto_encrypt(k, alg, enc):
    public = k if k["kty"] == "oct" else jwk.JWK.from_json(k.export_public())
    hdr = {"alg": alg, "enc": enc}
    if alg.startswith("PBES2"):
        hdr["p2c"] = 2048
    t = jwe.JWE(PLAINTEXT.encode(), json_encode(hdr), algs=JWCRYPTO_ALLOWED)
    t.add_recipient(public)
    return t.serialize(compact=True)


def jwcrypto_decrypt(token, k):
    t = jwe.JWE(algs=JWCRYPTO_ALLOWED)
    t.deserialize(token, key=k)
    return t.payload.decode() == PLAINTEXT


def cases():
    for alg in KW:
        for enc in ENC:
            yield alg, enc, None
    for alg in ECDH:
        for curve in CURVES:
            for enc in ENC:
                yield alg, enc, curve


def node(tasks):
    tp, rp = os.path.join(TMP, "tasks.json"), os.path.join(TMP, "results.json")
    with open(tp, "w") as f:
        json.dump(tasks, f)
    script = os.path.join(NODE_DIR, "interop_jwe.mjs")
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "interop_jwe.mjs"), script)
    subprocess.run(["node", script, tp, rp], check=True, timeout=600)
    return json.load(open(rp))


def node_jwk(k, private):
    d = json.loads(k.export(private_key=True) if private or k["kty"] == "oct" else k.export_public())
    return d


def main():
    matrix = {}  # (alg, curve) -> {enc: "...."} four directions
    failures = []
    node_tasks, node_meta = [], []
    jwtkit_tokens = {}
    for alg, enc, curve in cases():
        k = key_for(alg, enc, curve)
        name = alg + ("/" + curve if curve else "")
        row = matrix.setdefault(name, {})
        res = []
        # jwcrypto -> jwtkit
        try:
            ok, why = jwtkit_decrypt(jwcrypto_encrypt(k, alg, enc), k, alg, enc)
        except Exception as e:
            ok, why = False, "jwcrypto encrypt: %s" % e
        res.append(ok)
        if not ok:
            failures.append("jwcrypto->jwtkit %s %s: %s" % (name, enc, why))
        # jwtkit -> jwcrypto
        token, err = jwtkit_encrypt(k, alg, enc)
        jwtkit_tokens[(alg, enc, curve)] = token
        try:
            ok = token is not None and jwcrypto_decrypt(token, k)
            why = err
        except Exception as e:
            ok, why = False, str(e)
        res.append(ok)
        if not ok:
            failures.append("jwtkit->jwcrypto %s %s: %s" % (name, enc, why))
        row[enc] = res
        # node tasks: jose encrypts (for jwtkit), jose decrypts jwtkit's token
        pub = node_jwk(k, False)
        node_tasks.append({"op": "encrypt", "alg": alg, "enc": enc, "jwk": pub, "plaintext_b64u": b64u(PLAINTEXT.encode())})
        node_meta.append(("jose->jwtkit", alg, enc, curve, k))
        node_tasks.append({"op": "decrypt", "alg": alg, "enc": enc, "jwk": node_jwk(k, True), "token": token or ""})
        node_meta.append(("jwtkit->jose", alg, enc, curve, k))
    for (direction, alg, enc, curve, k), r in zip(node_meta, node(node_tasks)):
        name = alg + ("/" + curve if curve else "")
        if direction == "jose->jwtkit":
            ok, why = (jwtkit_decrypt(r["token"], k, alg, enc) if r["ok"] else (False, "jose encrypt: " + r["error"]))
        else:
            ok = r["ok"] and base64.urlsafe_b64decode(r["plaintext_b64u"] + "==").decode() == PLAINTEXT
            why = r.get("error", "")
        matrix[name][enc].append(ok)
        if not ok:
            failures.append("%s %s %s: %s" % (direction, name, enc, why))
    # JSON serializations: jwcrypto general JSON with two recipients -> jwtkit; jwtkit JSON -> jwcrypto.
    extra_ok = 0
    a, b = key_for("A256KW", "A256GCM", None), EC["P-384"]
    t = jwe.JWE(PLAINTEXT.encode(), json_encode({"enc": "A256GCM"}), algs=JWCRYPTO_ALLOWED)
    t.add_recipient(a, json_encode({"alg": "A256KW"}))
    t.add_recipient(jwk.JWK.from_json(b.export_public()), json_encode({"alg": "ECDH-ES+A128KW"}))
    general = t.serialize()
    for k, alg in [(a, "A256KW"), (b, "ECDH-ES+A128KW")]:
        ok, why = jwtkit_decrypt(general, k, alg, "A256GCM")
        extra_ok += ok
        if not ok:
            failures.append("jwcrypto general JSON -> jwtkit %s: %s" % (alg, why))
    for ser in ["json", "flattened"]:
        token, err = jwtkit_encrypt(b, "ECDH-ES+A256KW", "A128CBC-HS256", ser)
        try:
            ok = token is not None and jwcrypto_decrypt(token, b)
        except Exception as e:
            ok, err = False, str(e)
        extra_ok += ok
        if not ok:
            failures.append("jwtkit %s JSON -> jwcrypto: %s" % (ser, err))

    # Attacks through the CLI: exact error kinds (and the p2c bound's wall time).
    import time
    k = key_for("PBES2-HS512+A256KW", "A256GCM", None)
    token, _ = jwtkit_encrypt(k, "PBES2-HS512+A256KW", "A256GCM")
    head = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    head["p2c"] = 10_000_000
    hostile = ".".join([b64u(json.dumps(head).encode())] + token.split(".")[1:])
    t0 = time.time()
    rc, out, _ = jwtkit(["decrypt", "--json", "--alg", "PBES2-HS512+A256KW"] + key_args(k, True), hostile)
    took = time.time() - t0
    attack = [("p2c 10,000,000 -> resource_limit (%.0f ms, process start included)" % (took * 1000),
               rc == 1 and json.loads(out)["error"]["kind"] == "resource_limit")]
    parts = jwtkit_encrypt(RSA, "RSA-OAEP-256", "A256GCM")[0].split(".")
    tag = base64.urlsafe_b64decode(parts[4] + "==")
    truncated = ".".join(parts[:4] + [b64u(tag[:-1])])
    rc, out, _ = jwtkit(["decrypt", "--json"] + key_args(RSA, True), truncated)
    attack.append(("truncated tag -> decrypt_failed", rc == 1 and json.loads(out)["error"]["kind"] == "decrypt_failed"))
    other = jwk.JWK.generate(kty="RSA", size=2048)
    rc, out, _ = jwtkit(["decrypt", "--json"] + key_args(other, True), ".".join(parts))
    attack.append(("wrong key -> decrypt_failed", rc == 1 and json.loads(out)["error"]["kind"] == "decrypt_failed"))
    t = jwe.JWE(PLAINTEXT.encode(), json_encode({"alg": "RSA1_5", "enc": "A128GCM"}), algs=["RSA1_5", "A128GCM"])
    t.add_recipient(jwk.JWK.from_json(RSA.export_public()))
    rsa15 = t.serialize(compact=True)
    rc, out, _ = jwtkit(["decrypt", "--json"] + key_args(RSA, True), rsa15)
    attack.append(("RSA1_5 by default -> unsupported_alg", rc == 1 and json.loads(out)["error"]["kind"] == "unsupported_alg"))
    rc, out, _ = jwtkit(["decrypt", "--json", "--insecure-allow-rsa1_5", "--alg", "RSA1_5"] + key_args(RSA, True), rsa15)
    attack.append(("RSA1_5 with --insecure-allow-rsa1_5 -> decrypts, with a warning",
                   rc == 0 and json.loads(out)["warnings"] != []))
    for what, ok in attack:
        print(("ok   " if ok else "FAIL ") + what)
        extra_ok += ok
        if not ok:
            failures.append(what)

    cols = "jwcrypto->jwtkit jwtkit->jwcrypto jose->jwtkit jwtkit->jose"
    print("alg (curve)".ljust(28) + " | " + " | ".join(e.ljust(13) for e in ENC))
    print("cells: %s (1 = ok)" % cols)
    for name, row in matrix.items():
        print(name.ljust(28) + " | " + " | ".join("".join("1" if x else "0" for x in row[e]).ljust(13) for e in ENC))
    total = sum(len(v) for row in matrix.values() for v in row.values()) + 4 + len(attack)
    passed = sum(sum(v) for row in matrix.values() for v in row.values()) + extra_ok
    for f in failures:
        print("FAIL", f)
    print("%d passed, %d failed" % (passed, total - passed))
    shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(0 if passed == total else 1)


if __name__ == "__main__":
    main()
