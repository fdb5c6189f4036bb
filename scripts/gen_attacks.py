#!/usr/bin/env python3
"""Generate the attack vectors in crates/jwtkit/tests/attacks/*.json (reproducibly).

    python3 scripts/gen_attacks.py          # rewrite the files
    python3 scripts/gen_attacks.py --check  # exit 1 if the committed files differ

Every token is built here with Python `cryptography` (>= 43, for RFC 6979 deterministic ECDSA),
independently of jwtkit, from fixed keys: the HMAC secret below, the RSA key of RFC 7520 §3.4
(read from the committed RFC vectors), and EC/Ed25519 keys derived from fixed scalars/seeds.
Running it twice gives byte-identical files.

Case shape (same as the RFC vectors, crates/jwtkit/tests/vectors/SCHEMA.md, plus):
  id, category ("attack" | "validation_order"), source, description, op ("verify_jwt" | "verify_jws"),
  token (or token_build for tokens too large to commit), key ({jwk} | {pem} | {jwks} | {secret_utf8}),
  options ({algorithms?, now, leeway, iss, aud, sub, typ, required_claims, max_age, crit_supported}),
  expected_error (the exact kind), step (validation_order only: the step of
  the order of checks on jwtkit::Check that fails), detail (optional: members the error's JSON must have).
When options.algorithms is absent the allowlist comes from the key (its JWK alg, else its family),
as the CLI does; never from the token.
"""
import base64, hashlib, hmac, json, os, sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from cryptography import x509
from cryptography.x509.oid import NameOID
import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "jwtkit", "tests", "attacks")
VECTORS = os.path.join(ROOT, "crates", "jwtkit", "tests", "vectors")

NOW = 1700000000
VALID_EXP = 4102444800  # 2100-01-01
SECRET = "attack-vectors: a fixed HMAC secret of sixty-four bytes, no more"
assert len(SECRET) == 64


def b64u(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def compact_json(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def seg(part):
    """A header or payload: a dict (serialized compactly), a str (raw JSON text) or bytes."""
    if isinstance(part, dict) or isinstance(part, list):
        return b64u(compact_json(part))
    return b64u(part)


def mac(alg, key, data):
    h = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return hmac.new(key if isinstance(key, bytes) else key.encode(), data.encode(), h).digest()


def hs(header, payload, alg="HS256", secret=SECRET):
    si = seg(header) + "." + seg(payload)
    return si + "." + b64u(mac(alg, secret, si))


# ---- keys -------------------------------------------------------------------------------------

def _int_b(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return n.to_bytes(length, "big")


def ec_key(curve, scalar):
    return ec.derive_private_key(scalar, curve)


def ec_jwk(priv, kid=None):
    nums = priv.public_key().public_numbers()
    crv, size = {"secp256r1": ("P-256", 32), "secp384r1": ("P-384", 48), "secp521r1": ("P-521", 66)}[priv.curve.name]
    j = {"kty": "EC", "crv": crv, "x": b64u(_int_b(nums.x, size)), "y": b64u(_int_b(nums.y, size))}
    if kid:
        j["kid"] = kid
    return j


def es_sign(priv, alg, si):
    h = {"ES256": hashes.SHA256(), "ES384": hashes.SHA384(), "ES512": hashes.SHA512()}[alg]
    der = priv.sign(si.encode(), ec.ECDSA(h, deterministic_signing=True))
    r, s = utils.decode_dss_signature(der)
    size = {"ES256": 32, "ES384": 48, "ES512": 66}[alg]
    return _int_b(r, size) + _int_b(s, size), der


def ed_key(seed_label):
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed_label.encode()).digest())


def ed_jwk(priv, kid=None):
    raw = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    j = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    if kid:
        j["kid"] = kid
    return j


def public_pem(priv):
    return priv.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def rsa_from_jwk(j):
    d = lambda k: int.from_bytes(base64.urlsafe_b64decode(j[k] + "=" * (-len(j[k]) % 4)), "big")
    pub = rsa.RSAPublicNumbers(d("e"), d("n"))
    return rsa.RSAPrivateNumbers(d("p"), d("q"), d("d"), d("dp"), d("dq"), d("qi"), pub).private_key()


def load_rsa():
    for c in json.load(open(os.path.join(VECTORS, "rfc7520_jwk.json"))):
        if c["id"] == "rfc7520-3.4-rsa-private":
            return rsa_from_jwk(c["key"]["jwk"])
    raise SystemExit("RFC 7520 §3.4 RSA key not found in the vectors")


RSA = load_rsa()
RSA_PEM = public_pem(RSA)
RSA_PUB_JWK = {"kty": "RSA", "n": b64u(_int_b(RSA.public_key().public_numbers().n)), "e": "AQAB"}
P256 = ec_key(ec.SECP256R1(), 0x1D1E5D_0F_C0FFEE_1)
P384 = ec_key(ec.SECP384R1(), 0x2D2E5D_0F_C0FFEE_2)
P521 = ec_key(ec.SECP521R1(), 0x3D3E5D_0F_C0FFEE_3)
ED = ed_key("jwtkit attack vectors: legitimate Ed25519 key")
ATTACKER_ED = ed_key("jwtkit attack vectors: attacker Ed25519 key")
ATTACKER_P256 = ec_key(ec.SECP256R1(), 0xBAD_BAD_BAD_BAD)
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def rs256(header, payload, priv=RSA):
    si = seg(header) + "." + seg(payload)
    return si + "." + b64u(priv.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256()))


def ed_sign(header, payload, priv):
    si = seg(header) + "." + seg(payload)
    return si + "." + b64u(priv.sign(si.encode()))


def es(header, payload, priv, alg="ES256"):
    si = seg(header) + "." + seg(payload)
    raw, _ = es_sign(priv, alg, si)
    return si + "." + b64u(raw)


def self_signed_cert(priv, cn):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    t0 = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(priv.public_key())
            .serial_number(4242).not_valid_before(t0).not_valid_after(t0 + datetime.timedelta(days=3650))
            .sign(priv, None))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


# ---- case helpers -----------------------------------------------------------------------------

HMAC_KEY = {"secret_utf8": SECRET}
CLAIMS = {"sub": "alice", "iss": "https://issuer.example", "exp": VALID_EXP}
HS_HDR = {"alg": "HS256", "typ": "JWT"}


def case(id_, source, description, token, key, expected_error, op="verify_jwt", options=None, **extra):
    o = {"now": NOW, "leeway": 0}
    o.update(options or {})
    c = {"id": id_, "category": "attack", "source": source, "description": description, "op": op, "level": "must"}
    if isinstance(token, dict):
        c["token_build"] = token
    else:
        c["token"] = token
    c.update({"key": key, "options": o, "expected_error": expected_error})
    c.update(extra)
    return c


def find_variant(make, pred, limit=10000):
    """Deterministically search make(i) for the first result satisfying pred."""
    for i in range(limit):
        t = make(i)
        if pred(t):
            return t
    raise SystemExit("no variant found")


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def non_canonical(s):
    """Set unused low bits of the last character (same bytes for a lenient decoder)."""
    unused = {2: 4, 3: 2}[len(s) % 4]
    i = ALPHABET.index(s[-1])
    assert i % (1 << unused) == 0
    return s[:-1] + ALPHABET[i | 1]


def replace_seg(token, index, new):
    parts = token.split(".")
    parts[index] = new
    return ".".join(parts)


# ---- the attacks ------------------------------------------------------------------------------

def alg_none():
    out = []
    payload = {"sub": "admin", "exp": VALID_EXP}
    valid_sig = hs(HS_HDR, payload).split(".")[2]
    for spelling in ["none", "None", "NONE", "nOnE"]:
        h = seg({"alg": spelling, "typ": "JWT"}) + "." + seg(payload)
        for algs, note in [(["HS256"], "allowlist HS256"), (None, "allowlist from the key")]:
            opts = {"algorithms": algs} if algs else {}
            suffix = "" if algs else "-key-allowlist"
            out.append(case(f"alg-{spelling}-empty-signature{suffix}", "RFC 8725 §2.1; CVE-2015-9235 class",
                            f"alg {spelling!r}, empty signature segment ({note})", h + ".", HMAC_KEY, "alg_none", options=opts))
            out.append(case(f"alg-{spelling}-with-signature{suffix}", "RFC 8725 §2.1",
                            f"alg {spelling!r} with a signature segment copied from a valid HS256 token ({note})",
                            h + "." + valid_sig, HMAC_KEY, "alg_none", options=opts))
    out.append(case("alg-none-all-algorithms-allowed", "RFC 8725 §2.1",
                    "alg none when every supported algorithm is allowed: none is still never verified",
                    seg({"alg": "none"}) + "." + seg(payload) + ".", HMAC_KEY, "alg_none",
                    options={"algorithms": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384",
                                            "PS512", "ES256", "ES384", "ES512", "EdDSA"]}))
    out.append(case("alg-none-no-signature-segment", "RFC 7515 §7.1",
                    "alg none with only two segments (header.payload)", seg({"alg": "none"}) + "." + seg(payload),
                    HMAC_KEY, "malformed", options={"algorithms": ["HS256"]}))
    return out


def alg_confusion():
    out = []
    payload = {"sub": "admin", "exp": VALID_EXP}
    hdr = {"alg": "HS256", "typ": "JWT"}
    tok = hs(hdr, payload, secret=RSA_PEM)
    src = "RFC 8725 §2.1 (algorithm confusion); CVE-2016-10555, CVE-2022-29217"
    out.append(case("hs256-with-rsa-public-pem-key-allowlist", src,
                    "HS256 MACed with the RSA public key PEM text as secret; verifier has that PEM, allowlist from the key (RS*/PS*)",
                    tok, {"pem": RSA_PEM}, "alg_not_allowed"))
    out.append(case("hs256-with-rsa-public-pem-hs-allowed", src,
                    "HS256 MACed with the RSA public key PEM; verifier allows RS256 and HS256 (careless config): the key family still refuses",
                    tok, {"pem": RSA_PEM}, "key_mismatch", options={"algorithms": ["RS256", "HS256"]}))
    out.append(case("hs256-with-rsa-public-pem-only-hs-allowed", src,
                    "HS256 MACed with the RSA public key PEM; verifier allows only HS256 but is given the RSA key",
                    tok, {"pem": RSA_PEM}, "key_mismatch", options={"algorithms": ["HS256"]}))
    out.append(case("hs256-with-rsa-public-jwk", src,
                    "HS256 MACed with the RSA public key PEM; verifier has the key as a JWK, RS256 and HS256 allowed",
                    tok, {"jwk": RSA_PUB_JWK}, "key_mismatch", options={"algorithms": ["RS256", "HS256"]}))
    tok2 = hs(hdr, payload, secret=compact_json(RSA_PUB_JWK))
    out.append(case("hs256-with-rsa-jwk-json-as-secret", src,
                    "HS256 MACed with the JWK JSON text of the RSA public key", tok2, {"jwk": RSA_PUB_JWK},
                    "key_mismatch", options={"algorithms": ["RS256", "HS256"]}))
    ec_pem = public_pem(P256)
    tok3 = hs(hdr, payload, secret=ec_pem)
    out.append(case("hs256-with-ec-public-pem", src, "HS256 MACed with the EC P-256 public key PEM",
                    tok3, {"pem": ec_pem}, "key_mismatch", options={"algorithms": ["ES256", "HS256"]}))
    tok4 = hs({"alg": "HS256"}, payload, secret=public_pem(ED))
    out.append(case("hs256-with-ed25519-public-pem", src, "HS256 MACed with the Ed25519 public key PEM",
                    tok4, {"pem": public_pem(ED)}, "alg_not_allowed"))
    # RSA signature relabelled as PS256 / RS384
    rs = rs256({"alg": "RS256"}, payload)
    for other in ["PS256", "RS384"]:
        t = seg({"alg": other}) + "." + rs.split(".", 1)[1]
        out.append(case(f"rs256-signature-labelled-{other.lower()}", "RFC 7518 §3",
                        f"a valid RS256 signature under a header claiming {other}", t, {"jwk": RSA_PUB_JWK},
                        "bad_signature", options={"algorithms": ["RS256", other]}))
    # ES256 token with a P-384 key
    t = es({"alg": "ES256"}, payload, P256)
    out.append(case("es256-token-p384-key", "RFC 7518 §3.4", "ES256 token, verifier key on P-384 (curve bound to the alg)",
                    t, {"jwk": ec_jwk(P384)}, "key_mismatch", options={"algorithms": ["ES256", "ES384"]}))
    return out


def ecdsa():
    out = []
    payload = {"sub": "admin", "exp": VALID_EXP}
    src = "CVE-2022-21449 (psychic signatures)"
    for alg, priv, n in [("ES256", P256, 32), ("ES384", P384, 48), ("ES512", P521, 66)]:
        si = seg({"alg": alg}) + "." + seg(payload)
        out.append(case(f"{alg.lower()}-r-s-zero", src, f"{alg} signature with r = s = 0 ({2 * n} zero bytes)",
                        si + "." + b64u(bytes(2 * n)), {"jwk": ec_jwk(priv)}, "bad_signature"))
    si = seg({"alg": "ES256"}) + "." + seg(payload)
    out.append(case("es256-r-s-zero-der", src, "ES256 signature r = s = 0 in ASN.1 DER (30 06 02 01 00 02 01 00)",
                    si + "." + b64u(bytes.fromhex("3006020100020100")), {"jwk": ec_jwk(P256)}, "bad_signature"))
    out.append(case("es256-r-s-order", src, "ES256 signature with r = s = n (the curve order)",
                    si + "." + b64u(_int_b(P256_ORDER, 32) * 2), {"jwk": ec_jwk(P256)}, "bad_signature"))
    out.append(case("es256-r-zero-s-one", src, "ES256 signature with r = 0, s = 1",
                    si + "." + b64u(bytes(32) + _int_b(1, 32)), {"jwk": ec_jwk(P256)}, "bad_signature"))
    out.append(case("es256-empty-signature", "RFC 7518 §3.4", "ES256 with an empty signature segment",
                    si + ".", {"jwk": ec_jwk(P256)}, "bad_signature"))
    raw, der = es_sign(P256, "ES256", si)
    out.append(case("es256-der-signature", "RFC 7518 §3.4",
                    "a valid ES256 signature in ASN.1 DER instead of raw r||s: rejected (diagnosis explains it)",
                    si + "." + b64u(der), {"jwk": ec_jwk(P256)}, "bad_signature"))
    out.append(case("es256-signature-extra-byte", "RFC 7518 §3.4", "a valid raw ES256 signature with one extra byte",
                    si + "." + b64u(raw + b"\x00"), {"jwk": ec_jwk(P256)}, "bad_signature"))
    return out


def embedded_keys():
    out = []
    payload = {"sub": "admin", "iss": "https://issuer.example", "exp": VALID_EXP}
    src = "RFC 8725 §3.10; CVE-2018-0114 (embedded jwk)"
    t = ed_sign({"alg": "EdDSA", "jwk": ed_jwk(ATTACKER_ED)}, payload, ATTACKER_ED)
    out.append(case("embedded-jwk-eddsa", src, "self-signed EdDSA token carrying the attacker's key in its jwk header",
                    t, {"jwk": ed_jwk(ED)}, "bad_signature"))
    t = es({"alg": "ES256", "jwk": ec_jwk(ATTACKER_P256)}, payload, ATTACKER_P256)
    out.append(case("embedded-jwk-es256", src, "self-signed ES256 token carrying the attacker's key in its jwk header",
                    t, {"jwk": ec_jwk(P256)}, "bad_signature"))
    t = es({"alg": "ES256", "kid": "attacker", "jwk": ec_jwk(ATTACKER_P256, "attacker")}, payload, ATTACKER_P256)
    out.append(case("embedded-jwk-with-kid", src,
                    "self-signed ES256 token with kid 'attacker' and its jwk; the verifier's set has kid 'legit' only",
                    t, {"jwks": {"keys": [ec_jwk(P256, "legit")]}}, "key_not_found"))
    t = ed_sign({"alg": "EdDSA", "jwk": ed_jwk(ATTACKER_ED)}, payload, ATTACKER_ED)
    out.append(case("embedded-jwk-hs-verifier", src,
                    "self-signed EdDSA token with embedded jwk presented to an HMAC-only verifier",
                    t, HMAC_KEY, "alg_not_allowed"))
    t = ed_sign({"alg": "EdDSA", "kid": "attacker", "jku": "https://attacker.example/jwks.json"}, payload, ATTACKER_ED)
    out.append(case("jku-attacker-url", "RFC 8725 §3.10 (jku)",
                    "token naming an attacker's JWK Set URL in jku: never fetched; the kid is not in the set",
                    t, {"jwks": {"keys": [ed_jwk(ED, "legit")]}}, "key_not_found"))
    t = ed_sign({"alg": "EdDSA", "x5u": "https://attacker.example/cert.pem"}, payload, ATTACKER_ED)
    out.append(case("x5u-attacker-url", "RFC 8725 §3.10 (x5u)", "token naming an attacker's certificate URL in x5u",
                    t, {"jwk": ed_jwk(ED)}, "bad_signature"))
    t = ed_sign({"alg": "EdDSA", "x5c": [self_signed_cert(ATTACKER_ED, "attacker")]}, payload, ATTACKER_ED)
    out.append(case("x5c-self-signed", "RFC 8725 §3.10 (x5c)", "token embedding the attacker's self-signed certificate in x5c",
                    t, {"jwk": ed_jwk(ED)}, "bad_signature"))
    for kid, name in [("../../../../../../dev/null", "path-traversal"), ("x' UNION SELECT 'secret' --", "sql-injection"),
                      ("|cat /etc/passwd", "command-injection")]:
        t = hs({"alg": "HS256", "kid": kid}, payload, secret="")
        out.append(case(f"kid-{name}", "RFC 7515 §4.1.4 (kid is opaque)",
                        f"kid {kid!r}, MACed with an empty secret (what a file or query lookup would return)",
                        t, {"jwks": {"keys": [{"kty": "oct", "kid": "legit", "k": b64u(SECRET)}]}}, "key_not_found"))
    return out


def header_attacks():
    out = []
    p = seg(CLAIMS)
    def tok(header_raw):
        si = seg(header_raw) + "." + p
        return si + "." + b64u(mac("HS256", SECRET, si))
    out.append(case("duplicate-alg-none-last", "RFC 7515 §5.2; RFC 8725 §3.6",
                    "duplicate alg member: HS256 then none (a last-wins parser sees none)",
                    tok('{"alg":"HS256","alg":"none"}'), HMAC_KEY, "duplicate_member", options={"algorithms": ["HS256"]}))
    out.append(case("duplicate-alg-same-value", "RFC 7515 §5.2", "duplicate alg member with the same value",
                    tok('{"alg":"HS256","alg":"HS256"}'), HMAC_KEY, "duplicate_member", options={"algorithms": ["HS256"]}))
    out.append(case("duplicate-alg-escaped-name", "RFC 7515 §5.2; RFC 8259 §7",
                    "duplicate alg member spelled with a unicode escape (\\u0061lg)",
                    tok('{"alg":"HS256","\\u0061lg":"none"}'), HMAC_KEY, "duplicate_member", options={"algorithms": ["HS256"]}))
    out.append(case("duplicate-member-nested", "RFC 7515 §5.2", "duplicate member inside a nested header object",
                    tok('{"alg":"HS256","x":{"a":1,"a":2}}'), HMAC_KEY, "duplicate_member", options={"algorithms": ["HS256"]}))
    out.append(case("crit-unknown", "RFC 7515 §4.1.11, Appendix E",
                    "crit names an extension the verifier does not understand",
                    tok('{"alg":"HS256","crit":["http://example.invalid/UNDEFINED"],"http://example.invalid/UNDEFINED":true}'),
                    HMAC_KEY, "unsupported_crit", options={"algorithms": ["HS256"]}))
    out.append(case("crit-unknown-exp", "RFC 7515 §4.1.11", "crit names a private parameter 'exp' placed in the header",
                    tok('{"alg":"HS256","crit":["exp"],"exp":1}'), HMAC_KEY, "unsupported_crit", options={"algorithms": ["HS256"]}))
    out.append(case("crit-registered-name", "RFC 7515 §4.1.11", "crit names the registered parameter alg",
                    tok('{"alg":"HS256","crit":["alg"]}'), HMAC_KEY, "malformed", options={"algorithms": ["HS256"]}))
    out.append(case("crit-empty", "RFC 7515 §4.1.11", "crit is an empty array",
                    tok('{"alg":"HS256","crit":[]}'), HMAC_KEY, "malformed", options={"algorithms": ["HS256"]}))
    out.append(case("crit-b64-absent", "RFC 7515 §4.1.11; RFC 7797 §6", "crit lists b64 but the header has no b64",
                    tok('{"alg":"HS256","crit":["b64"]}'), HMAC_KEY, "malformed", options={"algorithms": ["HS256"]}))
    out.append(case("alg-missing", "RFC 7515 §4.1.1", "the header has no alg",
                    tok('{"typ":"JWT"}'), HMAC_KEY, "malformed", options={"algorithms": ["HS256"]}))
    out.append(case("alg-not-string", "RFC 7515 §4.1.1", "alg is a number", tok('{"alg":256}'), HMAC_KEY, "malformed",
                    options={"algorithms": ["HS256"]}))
    out.append(case("alg-lowercase", "RFC 7515 §4.1.1 (case-sensitive)", "alg 'hs256' (names are case-sensitive)",
                    tok('{"alg":"hs256"}'), HMAC_KEY, "unsupported_alg", options={"algorithms": ["HS256"]}))
    out.append(case("alg-unknown", "RFC 7518 §3.1", "alg 'HS1' (unknown)", tok('{"alg":"HS1"}'), HMAC_KEY,
                    "unsupported_alg", options={"algorithms": ["HS256"]}))
    out.append(case("kid-not-string", "RFC 7515 §4.1.4", "kid is an object", tok('{"alg":"HS256","kid":{"$ne":null}}'),
                    HMAC_KEY, "malformed", options={"algorithms": ["HS256"]}))
    out.append(case("header-array", "RFC 7515 §4", "the header is a JSON array", tok('[{"alg":"HS256"}]'), HMAC_KEY,
                    "bad_json", options={"algorithms": ["HS256"]}))
    out.append(case("header-trailing-data", "RFC 8259", "the header has data after the object",
                    tok('{"alg":"HS256"}{"alg":"none"}'), HMAC_KEY, "bad_json", options={"algorithms": ["HS256"]}))
    out.append(case("header-not-utf8", "RFC 7515 §4", "the header is not UTF-8",
                    tok(b'{"alg":"HS256","x":"\xff"}'), HMAC_KEY, "bad_json", options={"algorithms": ["HS256"]}))
    out.append(case("header-bom", "RFC 8259 §8.1", "the header starts with a UTF-8 byte order mark",
                    tok(b'\xef\xbb\xbf{"alg":"HS256"}'), HMAC_KEY, "bad_json", options={"algorithms": ["HS256"]}))
    deep = '{"alg":"HS256","x":' + "[" * 100 + "]" * 100 + "}"
    out.append(case("header-depth-bomb", "PRODUCT.md limits (JSON depth <= 64)", "header nested 101 levels deep",
                    tok(deep), HMAC_KEY, "resource_limit", options={"algorithms": ["HS256"]},
                    detail={"limit": {"what": "json_depth"}}))
    return out


def structure():
    out = []
    t = hs(HS_HDR, CLAIMS)
    h, p, s = t.split(".")
    opts = {"algorithms": ["HS256"]}
    src = "RFC 7515 §7.1; RFC 7519 §7.2 step 1"
    for name, tok in [("2-segments", h + "." + p), ("4-segments", t + "." + s), ("1-segment", h),
                      ("5-segments", t + "." + s + "." + s), ("6-segments", ".".join([h, p, s, s, s, s])),
                      ("empty-token", ""), ("only-dots-4", "...")]:
        out.append(case(f"segments-{name}", src, f"{name.replace('-', ' ')}", tok, HMAC_KEY, "malformed", options=opts))
    out.append(case("segments-3-empty", src, "three empty segments ('..')", "..", HMAC_KEY, "bad_json", options=opts))
    out.append(case("signature-stripped", "RFC 8725 §3.1", "a valid HS256 token with its signature segment emptied",
                    h + "." + p + ".", HMAC_KEY, "bad_signature", options=opts))
    out.append(case("payload-swapped", "RFC 7515 §5.2", "header and signature of a valid token, another payload",
                    h + "." + seg({"sub": "admin", "exp": VALID_EXP}) + "." + s, HMAC_KEY, "bad_signature", options=opts))
    return out


def base64_attacks():
    out = []
    opts = {"algorithms": ["HS256"]}
    src = "RFC 7515 §2, Appendix C (base64url without padding)"
    # A token whose signature segment contains '-' and '_' and whose header contains both too.
    def make(i):
        return hs({"alg": "HS256", "kid": "k?>" + str(i)}, dict(CLAIMS, jti="?>~" + str(i)))
    t = find_variant(make, lambda t: any(c in t.split(".")[2] for c in "-_") and any(c in t.split(".")[0] for c in "-_")
                     and any(c in t.split(".")[1] for c in "-_")
                     and len(t.split(".")[0]) % 4 != 0 and len(t.split(".")[1]) % 4 != 0)
    h, p, s = t.split(".")
    key = {"jwks": {"keys": [{"kty": "oct", "k": b64u(SECRET)}]}}
    out.append(case("base64-reference-valid", src, "the unaltered token the base64 attacks below are made from: valid",
                    t, HMAC_KEY, None, options=opts, expected={"sub": "alice"}))
    for idx, name in [(0, "header"), (1, "payload"), (2, "signature")]:
        parts = [h, p, s]
        seg_ = parts[idx]
        padded = seg_ + "=" * (-len(seg_) % 4)
        out.append(case(f"padded-{name}", src, f"{name} segment with '=' padding", replace_seg(t, idx, padded),
                        HMAC_KEY, "bad_base64", options=opts, detail={"segment": {"index": idx, "name": name}}))
        if "-" in seg_ or "_" in seg_:
            std = seg_.replace("-", "+").replace("_", "/")
            out.append(case(f"standard-alphabet-{name}", src, f"{name} segment in the standard alphabet (+ and /)",
                            replace_seg(t, idx, std), HMAC_KEY, "bad_base64", options=opts,
                            detail={"segment": {"index": idx, "name": name}}))
        out.append(case(f"non-canonical-{name}", src + "; RFC 4648 §3.5",
                        f"{name} segment whose last character has non-zero unused bits (same bytes when decoded leniently)",
                        replace_seg(t, idx, non_canonical(seg_)), HMAC_KEY, "bad_base64", options=opts,
                        detail={"segment": {"index": idx, "name": name}}))
        std_padded = seg_.replace("-", "+").replace("_", "/") + "=" * (-len(seg_) % 4)
        out.append(case(f"standard-base64-padded-{name}", src, f"{name} segment as standard padded base64",
                        replace_seg(t, idx, std_padded), HMAC_KEY, "bad_base64", options=opts))
    out.append(case("whitespace-in-signature", src, "a line break inside the signature segment",
                    h + "." + p + "." + s[:20] + "\n" + s[20:], HMAC_KEY, "bad_base64", options=opts))
    out.append(case("space-in-payload", src, "a space inside the payload segment",
                    h + "." + p[:10] + " " + p[10:] + "." + s, HMAC_KEY, "bad_base64", options=opts))
    out.append(case("impossible-length-signature", src, "signature segment of length 1 mod 4",
                    h + "." + p + "." + s + "A" * ((1 - len(s)) % 4 or 4),
                    HMAC_KEY, "bad_base64", options=opts))
    out.append(case("percent-encoded-header", src, "header segment containing '%3D' (URL-encoded padding)",
                    replace_seg(t, 0, h + "%3D"), HMAC_KEY, "bad_base64", options=opts))
    return out


def claims_attacks():
    out = []
    opts = {"algorithms": ["HS256"]}
    src = "RFC 7519 §2 (NumericDate), §4.1.4; CVE-2026-25537 class (malformed is never absent)"
    for name, raw, kind in [
        ("exp-string", '{"sub":"alice","exp":"4102444800"}', "malformed"),
        ("exp-string-past", '{"sub":"alice","exp":"1000"}', "malformed"),
        ("nbf-string", '{"sub":"alice","exp":4102444800,"nbf":"0"}', "malformed"),
        ("iat-string", '{"sub":"alice","exp":4102444800,"iat":"1700000000"}', "malformed"),
        ("exp-null", '{"sub":"alice","exp":null}', "malformed"),
        ("exp-bool", '{"sub":"alice","exp":true}', "malformed"),
        ("exp-array", '{"sub":"alice","exp":[4102444800]}', "malformed"),
        ("exp-object", '{"sub":"alice","exp":{"$gt":0}}', "malformed"),
        ("exp-infinite", '{"sub":"alice","exp":1e400}', "malformed"),
        ("exp-negative", '{"sub":"alice","exp":-1}', "expired"),
        ("aud-number", '{"sub":"alice","exp":4102444800,"aud":42}', "malformed"),
        ("aud-array-with-number", '{"sub":"alice","exp":4102444800,"aud":["api",42]}', "malformed"),
        ("duplicate-sub", '{"sub":"alice","sub":"admin","exp":4102444800}', "duplicate_member"),
        ("duplicate-exp", '{"sub":"alice","exp":1,"exp":4102444800}', "duplicate_member"),
        ("claims-array", '[{"sub":"alice"}]', "bad_json"),
        ("claims-not-json", 'sub=alice;exp=4102444800', "bad_json"),
        ("claims-trailing-data", '{"sub":"alice","exp":4102444800}x', "bad_json"),
    ]:
        extra = {}
        if kind == "malformed" and name.startswith(("exp", "nbf", "iat")):
            extra["detail"] = {"claim": name.split("-")[0]}
        out.append(case(f"claims-{name}", src, f"claims set: {raw}", hs(HS_HDR, raw), HMAC_KEY, kind, options=opts, **extra))
    deep = '{"sub":"alice","x":' + "[" * 100 + "]" * 100 + "}"
    out.append(case("claims-depth-bomb", "PRODUCT.md limits (JSON depth <= 64)", "claims nested 101 levels deep (signed)",
                    hs(HS_HDR, deep), HMAC_KEY, "resource_limit", options=opts, detail={"limit": {"what": "json_depth"}}))
    out.append(case("aud-without-audience-configured", "RFC 7519 §4.1.3",
                    "a token with aud presented to a verifier that expects no audience",
                    hs(HS_HDR, {"sub": "alice", "exp": VALID_EXP, "aud": "other-api"}), HMAC_KEY, "bad_audience", options=opts))
    return out


def limits():
    out = []
    mib = 1024 * 1024
    out.append(case("token-1mib-junk", "PRODUCT.md limits (token <= 256 KiB)",
                    "1 MiB of junk in 2 segments with characters outside base64url: resource_limit before segments, base64 or JSON",
                    {"prefix": "!!!.", "fill": "*", "suffix": "", "total_bytes": mib}, HMAC_KEY, "resource_limit",
                    options={"algorithms": ["HS256"]},
                    detail={"limit": {"what": "token_bytes", "limit": 262144, "actual": mib}}))
    hdr = seg({"alg": "HS256"})
    out.append(case("token-1mib-validly-signed", "PRODUCT.md limits (token <= 256 KiB)",
                    "1 MiB token with a correct HS256 MAC (the test computes it): still resource_limit",
                    {"prefix": hdr + ".", "fill": "A", "suffix": "", "total_bytes": mib, "hmac": "HS256"}, HMAC_KEY,
                    "resource_limit", op="verify_jws", options={"algorithms": ["HS256"]},
                    detail={"limit": {"what": "token_bytes", "limit": 262144, "actual": mib}}))
    out.append(case("token-at-limit-valid", "PRODUCT.md limits (token <= 256 KiB)",
                    "a token of exactly 262144 bytes with a correct HS256 MAC is accepted (JWS only)",
                    {"prefix": hdr + ".", "fill": "A", "suffix": "", "total_bytes": 262144, "hmac": "HS256"}, HMAC_KEY,
                    None, op="verify_jws", options={"algorithms": ["HS256"]}))
    out.append(case("token-one-over-limit", "PRODUCT.md limits (token <= 256 KiB)",
                    "a token of 262145 bytes with a correct HS256 MAC",
                    {"prefix": seg({"alg": "HS256", "x": 1}) + ".", "fill": "A", "suffix": "", "total_bytes": 262145,
                     "hmac": "HS256"}, HMAC_KEY, "resource_limit", op="verify_jws", options={"algorithms": ["HS256"]},
                    detail={"limit": {"what": "token_bytes", "limit": 262144, "actual": 262145}}))
    return out


# ---- one vector per step of the order of checks on jwtkit::Check ----------------------------------

def validation_order():
    """Each vector passes every step before N, fails at step N, and where possible also violates
    a later step, so that a different order would report another kind."""
    out = []
    opts = {"algorithms": ["HS256"]}
    full = {"iss": "https://issuer.example", "sub": "alice", "aud": "api", "exp": VALID_EXP, "nbf": NOW - 10,
            "iat": NOW - 10, "jti": "1"}
    good_opts = {"algorithms": ["HS256"], "iss": "https://issuer.example", "aud": "api", "sub": "alice", "typ": "JWT",
                 "required_claims": ["jti"], "max_age": 3600}
    def o(**kw):
        d = dict(good_opts)
        d.update(kw)
        return d
    def step(n, id_, desc, token, kind, options, key=HMAC_KEY, **extra):
        c = case(f"order-{n:02d}-{id_}", "jwtkit::Check validation order step %d" % n, desc, token, key, kind,
                 options=options, **extra)
        c["category"] = "validation_order"
        c["step"] = n
        return c
    mib = 1024 * 1024
    out.append(step(0, "all-steps-pass", "the reference token: passes every step", hs(HS_HDR, full), None, o(),
                    expected={"sub": "alice", "jti": "1"}))
    out.append(step(1, "size", "1 MiB, 4 segments, padded base64, duplicate members: the size check comes first",
                    {"prefix": seg('{"alg":"none","alg":"none"}') + "==.", "fill": "A", "suffix": ".x.y", "total_bytes": mib},
                    "resource_limit", opts, detail={"limit": {"what": "token_bytes", "limit": 262144, "actual": mib}}))
    out.append(step(2, "segments", "4 segments whose first is padded base64 of a duplicate-member header",
                    seg('{"alg":"HS256","alg":"none"}') + "==.e30.c2ln.c2ln", "malformed", opts))
    padded_dup = seg('{"alg":"HS256","alg":"none"}')
    padded_dup += "=" * (-len(padded_dup) % 4) or "=="
    out.append(step(3, "base64url", "3 segments, header padded base64 of a duplicate-member header",
                    padded_dup + "." + seg(full) + ".c2ln", "bad_base64", opts, detail={"segment": {"index": 0, "name": "header"}}))
    out.append(step(4, "strict-json", "duplicate alg (HS256, none) with an unknown crit: JSON strictness before header checks",
                    hs('{"alg":"HS256","alg":"none","crit":["x"],"x":1}', full), "duplicate_member", opts))
    out.append(step(4, "json-syntax", "header is not JSON", seg("not json") + "." + seg(full) + ".c2ln", "bad_json", opts))
    out.append(step(5, "crit", "unknown crit extension with alg none: crit is checked before the algorithm",
                    seg({"alg": "none", "crit": ["x"], "x": 1}) + "." + seg(full) + ".", "unsupported_crit", opts))
    out.append(step(5, "header-types", "kid is a number, alg none: parameter types before the algorithm",
                    seg({"alg": "none", "kid": 7}) + "." + seg(full) + ".", "malformed", opts))
    out.append(step(6, "alg-none", "alg none, kid not in the key set: the algorithm before key selection",
                    seg({"alg": "none", "kid": "nope"}) + "." + seg(full) + ".", "alg_none", o(),
                    key={"jwks": {"keys": [{"kty": "oct", "kid": "legit", "k": b64u(SECRET)}]}}))
    out.append(step(6, "alg-not-allowed", "HS384 with allowlist HS256, kid not in the set: allowlist before key selection",
                    hs({"alg": "HS384", "kid": "nope"}, full, alg="HS384"), "alg_not_allowed", o(),
                    key={"jwks": {"keys": [{"kty": "oct", "kid": "legit", "k": b64u(SECRET)}]}}))
    out.append(step(6, "alg-unsupported", "alg HS1 (unknown)", seg({"alg": "HS1"}) + "." + seg(full) + ".c2ln",
                    "unsupported_alg", opts))
    out.append(step(7, "kid-not-found", "kid not in the set, signature garbage: key selection before the signature",
                    seg({"alg": "HS256", "kid": "nope"}) + "." + seg(full) + ".c2ln", "key_not_found", o(),
                    key={"jwks": {"keys": [{"kty": "oct", "kid": "legit", "k": b64u(SECRET)}]}},
                    detail={"kid": "nope", "available": ["legit"]}))
    out.append(step(7, "key-mismatch", "HS256 token, only an RSA key, RS256 and HS256 allowed: family check before the signature",
                    seg({"alg": "HS256"}) + "." + seg(full) + ".c2ln", "key_mismatch", o(algorithms=["RS256", "HS256"]),
                    key={"jwk": RSA_PUB_JWK}))
    out.append(step(8, "signature", "bad signature over a payload that is not JSON: the signature before the claims",
                    seg(HS_HDR) + "." + seg("not json") + "." + b64u(bytes(32)), "bad_signature", opts))
    out.append(step(9, "claims-json", "signed claims with a duplicate member and a string exp",
                    hs(HS_HDR, '{"sub":"alice","sub":"admin","exp":"soon"}'), "duplicate_member", o()))
    out.append(step(9, "claims-not-object", "signed payload that is a JSON string", hs(HS_HDR, '"alice"'), "bad_json", o()))
    out.append(step(10, "numeric-date", "exp is a string and jti (required) is missing: types before required claims",
                    hs(HS_HDR, dict({k: v for k, v in full.items() if k != "jti"}, exp="4102444800")), "malformed", o(),
                    detail={"claim": "exp"}))
    out.append(step(11, "required", "jti (required) missing, token expired: required claims before exp",
                    hs(HS_HDR, dict({k: v for k, v in full.items() if k != "jti"}, exp=NOW - 100)), "missing_claim", o(),
                    detail={"claim": "jti"}))
    out.append(step(12, "exp", "expired and not yet valid: exp before nbf",
                    hs(HS_HDR, dict(full, exp=NOW - 100, nbf=NOW + 100)), "expired", o(),
                    detail={"claim": "exp", "value": NOW - 100, "now": NOW, "leeway": 0}))
    out.append(step(12, "exp-equal-now", "exp == now (expired when now - leeway >= exp)",
                    hs(HS_HDR, dict(full, exp=NOW)), "expired", o()))
    out.append(step(12, "exp-leeway", "expired 61 s ago with a leeway of 60 s",
                    hs(HS_HDR, dict(full, exp=NOW - 61)), "expired", o(leeway=60)))
    out.append(step(13, "nbf", "not yet valid and issued in the future: nbf before iat",
                    hs(HS_HDR, dict(full, nbf=NOW + 100, iat=NOW + 100)), "not_yet_valid", o(),
                    detail={"claim": "nbf", "value": NOW + 100}))
    out.append(step(14, "iat", "issued in the future, wrong issuer: iat before iss",
                    hs(HS_HDR, dict(full, nbf=NOW - 10, iat=NOW + 100, iss="https://evil.example")), "issued_in_future", o(),
                    detail={"claim": "iat"}))
    out.append(step(15, "max-age", "issued 2 h ago with max age 1 h, wrong issuer: age before iss",
                    hs(HS_HDR, dict(full, iat=NOW - 7200, nbf=NOW - 7200, iss="https://evil.example")), "too_old", o()))
    out.append(step(15, "max-age-no-iat", "max age set, no iat, wrong issuer",
                    hs(HS_HDR, dict({k: v for k, v in full.items() if k != "iat"}, iss="https://evil.example")),
                    "missing_claim", o(), detail={"claim": "iat"}))
    out.append(step(16, "iss", "wrong issuer (trailing slash) and wrong audience: iss before aud",
                    hs(HS_HDR, dict(full, iss="https://issuer.example/", aud="other")), "bad_issuer", o(),
                    detail={"claim": "iss", "expected": ["https://issuer.example"], "found": "https://issuer.example/"}))
    out.append(step(16, "iss-missing", "no iss, an issuer is expected, wrong audience",
                    hs(HS_HDR, dict({k: v for k, v in full.items() if k != "iss"}, aud="other")), "missing_claim", o(),
                    detail={"claim": "iss"}))
    out.append(step(17, "aud", "wrong audience (array) and wrong subject: aud before sub",
                    hs(HS_HDR, dict(full, aud=["other", "another"], sub="mallory")), "bad_audience", o(),
                    detail={"claim": "aud"}))
    out.append(step(17, "aud-missing", "no aud, an audience is expected", hs(HS_HDR, {k: v for k, v in full.items() if k != "aud"}),
                    "missing_claim", o(), detail={"claim": "aud"}))
    out.append(step(18, "sub", "wrong subject and wrong typ: sub before typ",
                    hs({"alg": "HS256", "typ": "at+jwt"}, dict(full, sub="mallory")), "bad_subject", o(),
                    detail={"claim": "sub", "found": "mallory"}))
    out.append(step(19, "typ", "header typ at+jwt where JWT is expected", hs({"alg": "HS256", "typ": "at+jwt"}, full),
                    "bad_type", o(), detail={"claim": "typ", "found": "at+jwt"}))
    out.append(step(19, "typ-absent", "no typ header where JWT is expected", hs({"alg": "HS256"}, full), "bad_type", o()))
    return out


FILES = {
    "alg_none.json": alg_none,
    "alg_confusion.json": alg_confusion,
    "ecdsa.json": ecdsa,
    "embedded_keys.json": embedded_keys,
    "header.json": header_attacks,
    "structure.json": structure,
    "base64.json": base64_attacks,
    "claims.json": claims_attacks,
    "limits.json": limits,
    "validation_order.json": validation_order,
}


def fix_expected(c):
    # A vector expected to pass carries "expected_error": null and optional expected claims.
    if "expected" in c:
        c["expected_claims"] = c.pop("expected")
    return c


def main():
    check = "--check" in sys.argv
    os.makedirs(OUT, exist_ok=True)
    ids = set()
    stale = []
    for name, fn in FILES.items():
        cases = [fix_expected(c) for c in fn()]
        for c in cases:
            assert c["id"] not in ids, c["id"]
            ids.add(c["id"])
        text = json.dumps(cases, indent=1, ensure_ascii=False) + "\n"
        path = os.path.join(OUT, name)
        if check:
            if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if check and stale:
        print("stale attack vectors (run scripts/gen_attacks.py):", ", ".join(stale))
        sys.exit(1)
    print(f"{len(ids)} attack vectors in {len(FILES)} files" + (" (up to date)" if check else ""))


if __name__ == "__main__":
    main()
