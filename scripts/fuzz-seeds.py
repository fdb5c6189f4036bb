#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets from the RFC vectors.

Reads crates/jwtkit/tests/vectors/*.json (RFC 7515, 7517, 7519, 7520, 7638, 7797, 8037 examples)
and writes fuzz/corpus/<target>/seed-<case id>[-<form>] files; names start with "seed" so git keeps
them (.gitignore drops the rest of the corpus that fuzzing grows). Idempotent: same files each run.
"""
import base64
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "crates/jwtkit/tests/vectors"
CORPUS = ROOT / "fuzz/corpus"


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def pem_to_der(pem):
    body = re.sub(r"-----[^-]+-----|\s", "", pem)
    return base64.b64decode(body)


def main():
    seeds = {t: {} for t in ("compact_jws", "compact_jwe", "jwk", "json_strict", "paste")}

    def add(target, name, data):
        if isinstance(data, str):
            data = data.encode()
        if data not in seeds[target].values():
            seeds[target][re.sub(r"[^A-Za-z0-9._-]", "_", name)] = data

    for f in sorted(VECTORS.glob("**/*.json")):
        doc = json.loads(f.read_text())
        for case in doc if isinstance(doc, list) else []:
            cid = case["id"]
            key = case.get("key", {})
            if "jwk" in key:
                add("jwk", f"seed-{cid}-jwk.json", json.dumps(key["jwk"]))
                add("json_strict", f"seed-{cid}-jwk.json", json.dumps(key["jwk"], indent=1))
            if "jwks" in key:
                add("jwk", f"seed-{cid}-jwks.json", json.dumps(key["jwks"]))
                add("json_strict", f"seed-{cid}-jwks.json", json.dumps(key["jwks"]))
            if "pem" in key:
                add("jwk", f"seed-{cid}.pem", key["pem"])
                add("jwk", f"seed-{cid}.der", pem_to_der(key["pem"]))
            token = case.get("token")
            if not token:
                continue
            if case["op"].startswith("decrypt"):
                add("compact_jwe", f"seed-{cid}", token)
                if case.get("serialization") == "compact":
                    add("json_strict", f"seed-{cid}-header", b64url_decode(token.split(".")[0]))
                continue
            if case.get("serialization") != "compact":
                add("json_strict", f"seed-{cid}-json-serialization", token)
                continue
            add("compact_jws", f"seed-{cid}", token)
            add("paste", f"seed-{cid}-bearer", f"Authorization: Bearer {token}\n")
            add("paste", f"seed-{cid}-curl", f"curl -H 'Authorization: Bearer {token}' https://api.example/\n")
            add("paste", f"seed-{cid}-wrapped", '"' + "\n".join(token[i:i + 76] for i in range(0, len(token), 76)) + '"')
            for i, part in enumerate(token.split(".")[:2]):
                try:
                    add("json_strict", f"seed-{cid}-{('header', 'payload')[i]}", b64url_decode(part))
                except ValueError:
                    pass

    # Shapes the RFC examples lack: nesting, escapes, numbers kept as written, duplicates.
    add("json_strict", "seed-nested-escapes-numbers",
        '{"a":[1,2.50,-0,1e400,123456789012345678901234567890],"b":{"c":{"d":[true,false,null]}},'
        '"\\u0061\\u00e9\\ud83d\\ude00":"x\\"y\\\\z\\/\\b\\f\\n\\r\\t"}')
    add("json_strict", "seed-duplicate-escaped", '{"alg":"HS256","\\u0061lg":"none"}')
    add("json_strict", "seed-deep", '{"a":' + "[" * 63 + "]" * 63 + "}")

    # Tokens whose claims pass the fuzz target's strict validation once re-signed (HS256).
    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()

    claims = {"iss": "joe", "sub": "42", "aud": ["aud", "other"], "exp": 1700003600, "nbf": 1699999000,
              "iat": 1699999900, "jti": "a-1", "scope": "read write", "n": 1.50, "nested": {"a": [1, {"b": None}]}}
    add("compact_jws", "seed-claims-hs256", b64({"alg": "HS256", "typ": "JWT", "kid": "k1"}) + "." + b64(claims) + ".AAAA")
    add("compact_jws", "seed-unencoded-payload", b64({"alg": "HS256", "b64": False, "crit": ["b64"]}) + ".$.02_-")
    add("compact_jws", "seed-embedded-jwk", b64({"alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
        "x5c": ["MIIB"], "jku": "https://a.example/jwks"}) + "." + b64(claims) + ".AAAA")

    for target, files in seeds.items():
        d = CORPUS / target
        d.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (d / name).write_bytes(data)
        print(f"{target}: {len(files)} seeds")


if __name__ == "__main__":
    main()
