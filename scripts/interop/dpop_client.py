"""A DPoP client (RFC 9449) made with PyJWT and cryptography, independent of jwtkit: the
gateway's DPoP tests (crates/jwtkit-gateway/tests/sender.rs) drive it over stdin/stdout, one
JSON request per line, one JSON answer per line.

  {"op": "key", "name": "k1", "alg": "ES256"}      -> {"jkt": RFC 7638 thumbprint, "jwk": public JWK}
  {"op": "proof", "key": "k1", "htm": "GET", "htu": "https://...", "iat": 1700000000,
   "token": "<access token for ath>", "nonce": "...", "jti": "...", "typ": "dpop+jwt"}
                                                    -> {"proof": compact JWS}

Keys: ES256 (P-256), EdDSA (Ed25519), PS256/RS256 (RSA 2048). The thumbprint and `ath` are
computed here from their RFC definitions (hashlib), not taken from jwtkit.
"""

import base64
import hashlib
import json
import secrets
import sys

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(private) -> dict:
    pub = private.public_key()
    if isinstance(private, ec.EllipticCurvePrivateKey):
        n = pub.public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": b64u(n.x.to_bytes(32, "big")), "y": b64u(n.y.to_bytes(32, "big"))}
    if isinstance(private, ed25519.Ed25519PrivateKey):
        from cryptography.hazmat.primitives import serialization

        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    n = pub.public_numbers()
    return {
        "kty": "RSA",
        "n": b64u(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
        "e": b64u(n.e.to_bytes((n.e.bit_length() + 7) // 8, "big")),
    }


def thumbprint(jwk: dict) -> str:
    """RFC 7638 §3: the required members in lexicographic order, no white space, SHA-256."""
    required = {"EC": ["crv", "kty", "x", "y"], "OKP": ["crv", "kty", "x"], "RSA": ["e", "kty", "n"]}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    return b64u(hashlib.sha256(canonical.encode()).digest())


def main() -> None:
    keys = {}
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "key":
            alg = req.get("alg", "ES256")
            if alg == "ES256":
                private = ec.generate_private_key(ec.SECP256R1())
            elif alg == "EdDSA":
                private = ed25519.Ed25519PrivateKey.generate()
            else:
                private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = public_jwk(private)
            keys[req["name"]] = (private, alg, jwk)
            out = {"jkt": thumbprint(jwk), "jwk": jwk}
        elif req["op"] == "proof":
            private, alg, jwk = keys[req["key"]]
            claims = {"jti": req.get("jti") or secrets.token_urlsafe(16), "htm": req["htm"], "htu": req["htu"], "iat": req["iat"]}
            if req.get("token") is not None:
                claims["ath"] = b64u(hashlib.sha256(req["token"].encode("ascii")).digest())
            if req.get("nonce") is not None:
                claims["nonce"] = req["nonce"]
            headers = {"typ": req.get("typ", "dpop+jwt"), "jwk": jwk}
            out = {"proof": jwt.encode(claims, private, algorithm=alg, headers=headers)}
        else:
            out = {"error": "unknown op"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
