#!/usr/bin/env python3
"""Vectors for the algorithms added after RFC 7518, made by independent implementations:

* crates/jwtkit/tests/vectors/rfc9964.json: ML-DSA-44/65/87 (RFC 9964, `AKP` keys). ML-DSA-44 is the
  example of the RFC's own repository (draft_ml_dsa_44.json: cloudflare/circl, Go), checked here with
  dilithium-py; ML-DSA-65/87 are signed by dilithium-py (pure Python FIPS 204) from the same all-zero
  seed, deterministic signing.
* crates/jwtkit/tests/vectors/rfc8812.json: ES256K (RFC 8812) signed by `cryptography` (OpenSSL),
  RFC 6979 deterministic ECDSA.

    gen_alg_vectors.py [--check]     (run with the interop venv: scripts/interop/requirements.txt)

Deterministic: --check exits 1 when the committed files differ from what this makes.
"""
import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from dilithium_py.ml_dsa import ML_DSA_44, ML_DSA_65, ML_DSA_87

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "crates", "jwtkit", "tests", "vectors")
VALID_CLAIMS = {"iss": "https://issuer.example", "sub": "alice", "exp": 4102444800}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def enc(obj):
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


def thumbprint(members):
    return b64u(hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest())


def case(id_, source, description, op, token=None, key=None, options=None, expected=None):
    c = {"id": id_, "category": "vector", "source": source, "description": description, "op": op,
         "serialization": "compact", "level": "must"}
    if token is not None:
        c["token"] = token
    c["key"] = key or {}
    c["options"] = options or {}
    c["expected"] = expected
    return c


def tamper(token):
    h, _, s = token.split(".")
    return ".".join([h, enc(dict(VALID_CLAIMS, sub="mallory")), s])


def mldsa_cases():
    draft = json.load(open(os.path.join(HERE, "draft_ml_dsa_44.json")))
    seed = bytes.fromhex(draft["seed_hex"])
    out, pubs = [], {}
    for name, impl in (("ML-DSA-44", ML_DSA_44), ("ML-DSA-65", ML_DSA_65), ("ML-DSA-87", ML_DSA_87)):
        pk, sk = impl.key_derive(seed)
        pub = b64u(pk)
        kid = thumbprint({"alg": name, "kty": "AKP", "pub": pub})
        pubs[name] = (pub, kid)
        jwk = {"kty": "AKP", "alg": name, "kid": kid, "pub": pub}
        slug = name.lower().replace("-", "")
        src = "RFC 9964 §3, §6 (dilithium-py)"
        if name == "ML-DSA-44":
            assert pub == draft["pub"] and kid == draft["kid"], "dilithium-py disagrees with the draft's key"
            token = draft["jws"]
            h, p, s = token.split(".")
            assert impl.verify(pk, (h + "." + p).encode(), unb64u(s)), "dilithium-py rejects the draft's JWS"
            out.append(case(f"rfc9964-{slug}-example-jws", "RFC 9964 example (draft repo, cloudflare/circl)",
                            "the RFC repository's ML-DSA-44 JWS over a text payload", "verify_jws", token,
                            {"jwk": jwk}, {"algorithms": [name]}, {"outcome": "valid", "payload_b64u": p}))
        header = {"alg": name, "kid": kid, "typ": "JWT"}
        si = enc(header) + "." + enc(VALID_CLAIMS)
        sig = impl.sign(sk, si.encode(), deterministic=True)
        token = si + "." + b64u(sig)
        out += [
            case(f"rfc9964-{slug}-jwt", src, f"a JWT signed with {name}", "verify_jwt", token, {"jwk": jwk},
                 {"algorithms": [name]}, {"outcome": "valid", "claims": VALID_CLAIMS}),
            case(f"rfc9964-{slug}-jwt-from-jwks", src, f"{name} JWT, key chosen by kid from a JWK Set",
                 "verify_jwt", token, {"jwks": {"keys": [jwk]}}, {"algorithms": [name]},
                 {"outcome": "valid", "claims": VALID_CLAIMS}),
            case(f"rfc9964-{slug}-tampered", src, f"{name} JWT with another payload", "verify_jwt",
                 tamper(token), {"jwk": jwk}, {"algorithms": [name]},
                 {"outcome": "invalid", "error": "bad_signature"}),
            case(f"rfc9964-{slug}-truncated-signature", src, f"{name} signature one byte short",
                 "verify_jws", si + "." + b64u(sig[:-1]), {"jwk": jwk}, {"algorithms": [name]},
                 {"outcome": "invalid", "error": "bad_signature"}),
            case(f"rfc9964-{slug}-not-allowed", src, f"{name} JWT against an ES256 allowlist", "verify_jwt",
                 token, {"jwk": jwk}, {"algorithms": ["ES256"]},
                 {"outcome": "invalid", "error": "alg_not_allowed"}),
            case(f"rfc9964-{slug}-thumbprint", "RFC 9964 §6 (required members alg, kty, pub)",
                 f"RFC 7638 thumbprint of an {name} AKP key", "jwk_thumbprint", None, {"jwk": jwk}, {},
                 {"outcome": "valid", "thumbprint": kid}),
            case(f"rfc9964-{slug}-private-jwk", src, f"an {name} private AKP JWK (32-byte seed priv)",
                 "parse_jwk", None, {"jwk": dict(jwk, priv=b64u(seed))}, {},
                 {"outcome": "valid", "thumbprint": kid}),
        ]
    # A key of another parameter set, and AKP keys that cannot be what they claim.
    p44, k44 = pubs["ML-DSA-44"]
    p65, k65 = pubs["ML-DSA-65"]
    token44 = next(c["token"] for c in out if c["id"] == "rfc9964-mldsa44-jwt")
    out += [
        case("rfc9964-mldsa65-key-for-mldsa44-token", "RFC 9964 §6", "an ML-DSA-65 key cannot verify ML-DSA-44",
             "verify_jwt", token44, {"jwk": {"kty": "AKP", "alg": "ML-DSA-65", "pub": p65}},
             {"algorithms": ["ML-DSA-44", "ML-DSA-65"]}, {"outcome": "invalid", "error": "key_mismatch"}),
        case("rfc9964-akp-without-alg", "RFC 9964 §6 (alg REQUIRED)", "an AKP key without alg", "parse_jwk",
             None, {"jwk": {"kty": "AKP", "pub": p44}}, {}, {"outcome": "invalid", "error": "bad_key"}),
        case("rfc9964-akp-pub-of-other-set", "RFC 9964 §6", "ML-DSA-44 alg with an ML-DSA-65 sized pub",
             "parse_jwk", None, {"jwk": {"kty": "AKP", "alg": "ML-DSA-44", "pub": p65}}, {},
             {"outcome": "invalid", "error": "bad_key"}),
        case("rfc9964-akp-short-seed", "RFC 9964 §6", "priv of 31 bytes", "parse_jwk", None,
             {"jwk": {"kty": "AKP", "alg": "ML-DSA-44", "pub": p44, "priv": b64u(bytes(31))}}, {},
             {"outcome": "invalid", "error": "bad_key"}),
        case("rfc9964-akp-seed-of-other-key", "RFC 9964 §6", "priv whose public key is not pub", "parse_jwk",
             None, {"jwk": {"kty": "AKP", "alg": "ML-DSA-44", "pub": p44, "priv": b64u(b"\x01" * 32)}}, {},
             {"outcome": "invalid", "error": "bad_key"}),
        case("rfc9964-akp-ecdsa-alg", "RFC 9964 §6", "an AKP key whose alg is not ML-DSA", "parse_jwk", None,
             {"jwk": {"kty": "AKP", "alg": "ES256", "pub": p44}}, {}, {"outcome": "invalid", "error": "bad_key"}),
    ]
    return out


def es256k_cases():
    d = int.from_bytes(hashlib.sha256(b"jwtkit ES256K vector key").digest(), "big")
    priv = ec.derive_private_key(d, ec.SECP256K1())
    nums = priv.public_key().public_numbers()
    x, y = nums.x.to_bytes(32, "big"), nums.y.to_bytes(32, "big")
    jwk = {"kty": "EC", "crv": "secp256k1", "x": b64u(x), "y": b64u(y)}
    kid = thumbprint(jwk)
    jwk = dict(jwk, kid=kid, alg="ES256K")
    si = enc({"alg": "ES256K", "kid": kid, "typ": "JWT"}) + "." + enc(VALID_CLAIMS)
    der = priv.sign(si.encode(), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    token = si + "." + b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    p256 = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
    p256_jwk = {"kty": "EC", "crv": "P-256", "x": b64u(p256.x.to_bytes(32, "big")),
                "y": b64u(p256.y.to_bytes(32, "big"))}
    src = "RFC 8812 §3.2 (cryptography, RFC 6979)"
    return [
        case("rfc8812-es256k-jwt", src, "a JWT signed with ES256K", "verify_jwt", token, {"jwk": jwk},
             {"algorithms": ["ES256K"]}, {"outcome": "valid", "claims": VALID_CLAIMS}),
        case("rfc8812-es256k-jwt-from-jwks", src, "ES256K JWT, key chosen by kid from a JWK Set", "verify_jwt",
             token, {"jwks": {"keys": [jwk]}}, {"algorithms": ["ES256K"]},
             {"outcome": "valid", "claims": VALID_CLAIMS}),
        case("rfc8812-es256k-tampered", src, "ES256K JWT with another payload", "verify_jwt", tamper(token),
             {"jwk": jwk}, {"algorithms": ["ES256K"]}, {"outcome": "invalid", "error": "bad_signature"}),
        case("rfc8812-es256k-der-signature", "RFC 7518 §3.4", "ES256K signature in DER, not raw r||s",
             "verify_jws", si + "." + b64u(der), {"jwk": jwk}, {"algorithms": ["ES256K"]},
             {"outcome": "invalid", "error": "bad_signature"}),
        case("rfc8812-es256k-not-allowed", src, "ES256K JWT against an ES256 allowlist", "verify_jwt", token,
             {"jwk": jwk}, {"algorithms": ["ES256"]}, {"outcome": "invalid", "error": "alg_not_allowed"}),
        case("rfc8812-p256-key-for-es256k", "RFC 8812 §3.2", "a P-256 key cannot verify ES256K", "verify_jwt",
             token, {"jwk": p256_jwk}, {"algorithms": ["ES256K", "ES256"]},
             {"outcome": "invalid", "error": "key_mismatch"}),
        case("rfc8812-es256k-as-es256", "RFC 8812 §3.2", "the ES256K signature relabelled ES256", "verify_jwt",
             enc({"alg": "ES256", "kid": kid, "typ": "JWT"}) + "." + token.split(".", 1)[1],
             {"jwk": {k: v for k, v in jwk.items() if k != "alg"}},
             {"algorithms": ["ES256"]}, {"outcome": "invalid", "error": "key_mismatch"}),
        case("rfc8812-es256k-thumbprint", "RFC 7638 §3.2 with RFC 8812 crv", "thumbprint of a secp256k1 key",
             "jwk_thumbprint", None, {"jwk": jwk}, {}, {"outcome": "valid", "thumbprint": kid}),
        case("rfc8812-es256k-private-jwk", src, "a secp256k1 private JWK", "parse_jwk", None,
             {"jwk": dict(jwk, d=b64u(d.to_bytes(32, "big")))}, {}, {"outcome": "valid", "thumbprint": kid}),
        case("rfc8812-es256k-off-curve", "RFC 8812 §3.1", "a secp256k1 point off the curve", "parse_jwk", None,
             {"jwk": dict(jwk, y=b64u((int.from_bytes(y, "big") ^ 1).to_bytes(32, "big")))}, {},
             {"outcome": "invalid", "error": "bad_key"}),
    ]


def main():
    check = "--check" in sys.argv
    stale = []
    for name, cases in (("rfc9964.json", mldsa_cases()), ("rfc8812.json", es256k_cases())):
        text = json.dumps(cases, indent=1, ensure_ascii=False) + "\n"
        path = os.path.join(OUT, name)
        if check:
            if not os.path.exists(path) or open(path).read() != text:
                stale.append(name)
        else:
            open(path, "w").write(text)
            print(f"wrote {path}: {len(cases)} cases")
    if stale:
        sys.exit("stale vectors (run scripts/interop/gen_alg_vectors.py): " + ", ".join(stale))


if __name__ == "__main__":
    main()
