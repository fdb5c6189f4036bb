#!/usr/bin/env python3
"""Run the published RFC vectors (../vectors) through the jwtkit CLI, exactly as PRODUCT.md specifies its
flags and its --json output. A quick check that the CLI contract and the vectors agree.

Usage: check_vectors.py PATH/TO/jwtkit [DIR ...] [--verbose] [--ops=verify_jwt,verify_jws,...] [--ser=compact,json,json_flat]
  e.g. python3 ../shared/tools/check_vectors.py target/release/jwtkit --ser=compact --verbose
DIRs default to crates/jwtkit/tests/vectors (copied from the shared RFC vector set).
Prints one line per failing case (with --verbose: the command and output), then a summary line:
  vectors: PASS/TOTAL (must PASS/TOTAL, should ..., may ...) skipped N
Exit 0 when every `must` case that ran passed.
Detached-content cases (options.detached_payload_b64u, RFC 7515 Appendix F) pass the decoded payload
with `verify --payload @FILE`; a valid verify_jws case with expected.payload_b64u must print that payload.
"""
import base64, glob, json, os, re, subprocess, sys, tempfile, time, collections

HERE = os.path.dirname(os.path.abspath(__file__))
# The project's copies of the published vectors (each case records its RFC section in "source").
DEFAULT_DIRS = [os.path.join(HERE, "..", "crates", "jwtkit", "tests", "vectors")]
# the product names a few kinds differently from the vectors' vocabulary
SAME = {"key_mismatch": {"key_mismatch", "key_not_found"},
        "malformed": {"malformed", "bad_json", "bad_base64"},
        "bad_json": {"bad_json", "malformed"},
        "bad_base64": {"bad_base64", "malformed"}}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def key_args(case, tmp):
    k = case.get("key") or {}
    if "jwks" in k:
        p = os.path.join(tmp, "key.jwks.json"); json.dump(k["jwks"], open(p, "w")); return ["--key", p]
    if "secret_hex" in k and not ("pem" in k):
        return ["--secret", "b64url:" + b64u(bytes.fromhex(k["secret_hex"]))]
    if "password_utf8" in k:
        return ["--secret", "b64url:" + b64u(k["password_utf8"].encode())]
    if "secret_utf8" in k and "jwk" not in k and "pem" not in k:
        return ["--secret", "b64url:" + b64u(k["secret_utf8"].encode())]
    if "pem" in k:
        p = os.path.join(tmp, "key.pem"); open(p, "w").write(k["pem"]); return ["--key", p]
    if "jwk" in k:
        p = os.path.join(tmp, "key.jwk.json"); json.dump(k["jwk"], open(p, "w")); return ["--key", p]
    return []


def option_args(case):
    o = case.get("options") or {}
    a = ["--now", str(o.get("now", 1700000000)), "--leeway", "%ss" % o.get("leeway", 0)]
    for alg in o.get("algorithms", []) or []:
        a += ["--alg", alg]
    for enc in o.get("encryptions", []) or []:
        a += ["--enc", enc]
    if "iss" in o:
        a += ["--iss", o["iss"]]
    if "aud" in o:
        a += ["--aud", o["aud"]]
    for c in o.get("required_claims", []) or []:
        a += ["--require", c]
    return a


def skip_reason(case):
    o = case.get("options") or {}
    if o.get("allow_unsecured"):
        return "product never verifies alg none"
    return None


def command(bin_, case, tmp):
    op = case["op"]
    if op in ("verify_jws", "verify_jwt", "decrypt_jwt"):
        argv = [bin_, "verify", "--json"] + (["--jws"] if op == "verify_jws" else []) + key_args(case, tmp) + option_args(case)
        detached = (case.get("options") or {}).get("detached_payload_b64u")
        if detached is not None:
            # RFC 7515 Appendix F: the content travels separately, as the exact octets in a file.
            p = os.path.join(tmp, "payload.bin")
            open(p, "wb").write(base64.urlsafe_b64decode(detached + "=" * (-len(detached) % 4)))
            argv += ["--payload", "@" + p]
        return argv, case.get("token", "")
    if op == "decrypt_jwe":
        return [bin_, "decrypt", "--json"] + key_args(case, tmp) + option_args(case), case.get("token", "")
    if op in ("jwk_thumbprint", "parse_jwk"):
        p = os.path.join(tmp, "k.json"); json.dump(case["key"]["jwk"], open(p, "w"))
        return [bin_, "jwk", "thumbprint", p], ""
    if op == "parse_jwks":
        p = os.path.join(tmp, "k.json"); json.dump(case["key"]["jwks"], open(p, "w"))
        return [bin_, "jwks", "show", p], ""
    return None, None


def judge(case, rc, out, err=""):
    exp = case["expected"]
    try:
        doc = json.loads(out)
    except Exception:
        doc = None
    if exp["outcome"] == "valid":
        if case["op"] == "jwk_thumbprint":
            return rc == 0 and exp.get("thumbprint", "\0") in out
        if case["op"] in ("parse_jwk", "parse_jwks"):
            return rc == 0
        if rc != 0 or not isinstance(doc, dict) or doc.get("valid") is False:
            kind = ((doc or {}).get("error") or {}).get("kind") if isinstance(doc, dict) else None
            return kind is not None and kind in (exp.get("acceptable_errors") or [])
        if "claims" in exp and isinstance(doc.get("claims"), dict):
            return all(doc["claims"].get(k) == v for k, v in exp["claims"].items())
        if case["op"] == "verify_jws" and "payload_b64u" in exp and isinstance(doc.get("payload"), dict):
            return doc["payload"].get("b64u") == exp["payload_b64u"]
        return True
    # invalid expected
    if rc == 0 and isinstance(doc, dict) and doc.get("valid") is True:
        return False
    if rc == 0 and case["op"] in ("parse_jwk", "parse_jwks", "jwk_thumbprint"):
        return False
    kind = ((doc or {}).get("error") or {}).get("kind") if isinstance(doc, dict) else None
    if kind is None and case["op"] in ("parse_jwk", "parse_jwks", "jwk_thumbprint"):
        # the key commands print "jwtkit: KIND: message" on stderr (exit 3)
        m = re.match(r"jwtkit: ([a-z_]+): ", err)
        kind = m.group(1) if m and rc == 3 else None
    ok = set([exp["error"]] + (exp.get("acceptable_errors") or []))
    allowed = set().union(*[SAME.get(k, {k}) for k in ok])
    return kind in allowed


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    verbose = "--verbose" in sys.argv
    ops = sers = None
    for a in sys.argv[1:]:
        if a.startswith("--ops="):
            ops = set(a[len("--ops="):].split(","))
        if a.startswith("--ser="):
            sers = set(a[len("--ser="):].split(","))
    if not args:
        print(__doc__); sys.exit(2)
    bin_ = args[0]
    dirs = args[1:] or DEFAULT_DIRS
    stats = collections.Counter(); total = collections.Counter(); skipped = 0
    fails = []
    for d in dirs:
        for f in sorted(glob.glob(os.path.join(d, "**", "*.json"), recursive=True)):
            if os.path.basename(f) == "keys.json":
                continue
            doc = json.load(open(f))
            if not isinstance(doc, list):
                continue
            for case in doc:
                if ops and case["op"] not in ops:
                    continue
                if sers and case.get("serialization", "compact") not in sers:
                    continue
                why = skip_reason(case)
                if why:
                    skipped += 1; continue
                with tempfile.TemporaryDirectory() as tmp:
                    argv, stdin = command(bin_, case, tmp)
                    if argv is None:
                        skipped += 1; continue
                    t0 = time.time()
                    try:
                        p = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=20)
                        rc, out, err = p.returncode, p.stdout, p.stderr
                    except subprocess.TimeoutExpired:
                        rc, out, err = 124, "", "timeout"
                    except OSError as e:
                        rc, out, err = 127, "", str(e)
                    dt = time.time() - t0
                ok = judge(case, rc, out, err)
                if ok and case.get("max_seconds") and dt > case["max_seconds"]:
                    ok = False; err = "too slow: %.2fs" % dt
                lvl = case.get("level", "must")
                total[lvl] += 1
                if ok:
                    stats[lvl] += 1
                else:
                    fails.append((case, rc, out, err, argv))
    for case, rc, out, err, argv in fails:
        exp = case["expected"]
        print("FAIL [%s] %s (%s) expected %s%s got rc=%s %s" % (
            case.get("level"), case["id"], case.get("source"), exp["outcome"],
            ":" + exp.get("error", "") if exp["outcome"] == "invalid" else "", rc, (out.strip() or err.strip())[:200].replace("\n", " ")))
        if verbose:
            print("   ", " ".join(argv))
    n_ok = sum(stats.values()); n = sum(total.values())
    print("vectors: %d/%d (must %d/%d, should %d/%d, may %d/%d) skipped %d" % (
        n_ok, n, stats["must"], total["must"], stats["should"], total["should"], stats["may"], total["may"], skipped))
    sys.exit(0 if stats["must"] == total["must"] and total["must"] > 0 else 1)


if __name__ == "__main__":
    main()
