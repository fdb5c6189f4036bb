//! SD-JWT (RFC 9901): the RFC's own examples as vectors, issuance → presentation → verification
//! round trips, and every rejection of §7.1–7.3 with its exact kind.

use jwtkit::jwk::KeySpec;
use jwtkit::jws::Signer;
use jwtkit::jwt::ValidationBuilder;
use jwtkit::sd_jwt::{self, Disclosure, KeyBinding, SdAlg, SdJwt};
use jwtkit::{JwkSet, JwsAlg, Key, Limits, Validation};
use serde_json::{Value, json};

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/rfc9901.json")).unwrap()
}

fn rfc_issuer_keys() -> JwkSet {
    let jwk = vectors()["issuer_public_jwk"].clone();
    JwkSet::from_keys(vec![Key::from_jwk(jwk.as_object().unwrap()).unwrap()])
}

fn validation_at(now: i64) -> ValidationBuilder {
    Validation::builder(JwsAlg::ES256).now(now)
}

/// What the SD-JWT stages of the one pipeline found, for a valid SD-JWT.
#[derive(Debug)]
struct Verified {
    header: jwtkit::jws::Header,
    claims: jwtkit::Claims,
    disclosures: Vec<Disclosure>,
    revealed: Vec<sd_jwt::Revealed>,
    undisclosed: usize,
    sd_alg: SdAlg,
    key_binding: Option<jwtkit::jwt::Verified>,
}

/// `jwt::verify_local` with a validation that expects an SD-JWT and `kb`.
fn verify(
    text: &str,
    keys: &JwkSet,
    at: &ValidationBuilder,
    kb: &KeyBinding,
) -> Result<Verified, jwtkit::Error> {
    let v = at.clone().sd_jwt(kb.clone()).build()?;
    let out = jwtkit::jwt::verify_local(text, keys, &v);
    if let Some(e) = out.error {
        return Err(e);
    }
    let d = out.sd_jwt.expect("an SD-JWT outcome");
    Ok(Verified {
        header: out.header.unwrap(),
        claims: out.claims.unwrap(),
        disclosures: d.disclosures,
        revealed: d.revealed,
        undisclosed: d.undisclosed,
        sd_alg: d.sd_alg,
        key_binding: d.key_binding,
    })
}

fn kind(e: jwtkit::Error) -> &'static str {
    e.kind().as_str()
}

#[test]
fn rfc9901_section_5_1_all_disclosures_rebuild_the_claims() {
    let v = verify(
        vectors()["section_5_1"].as_str().unwrap(),
        &rfc_issuer_keys(),
        &validation_at(1_700_000_000),
        &KeyBinding::optional(),
    )
    .unwrap();
    let c = Value::Object(v.claims.as_object().clone());
    assert_eq!(c["given_name"], "John");
    assert_eq!(c["family_name"], "Doe");
    assert_eq!(c["email"], "johndoe@example.com");
    assert_eq!(c["phone_number"], "+1-202-555-0101");
    assert_eq!(c["phone_number_verified"], true);
    assert_eq!(
        c["address"],
        json!({"street_address": "123 Main St", "locality": "Anytown", "region": "Anystate", "country": "US"})
    );
    assert_eq!(c["birthdate"], "1940-01-01");
    assert_eq!(c["updated_at"], 1570000000);
    assert_eq!(c["nationalities"], json!(["US", "DE"]));
    assert_eq!(c["sub"], "user_42");
    assert!(c.get("_sd").is_none() && c.get("_sd_alg").is_none());
    assert_eq!(v.disclosures.len(), 10);
    assert_eq!(v.undisclosed, 0);
    assert_eq!(v.sd_alg, SdAlg::Sha256);
    assert_eq!(v.header.typ(), Some("example+sd-jwt"));
    let pointers: Vec<String> = v.revealed.iter().map(|r| r.pointer()).collect();
    for p in ["/given_name", "/address", "/nationalities/0", "/nationalities/1"] {
        assert!(pointers.contains(&p.to_string()), "{p} in {pointers:?}");
    }
    assert!(v.key_binding.is_none());
}

#[test]
fn rfc9901_appendix_a_1_nested_disclosures_of_a_partly_disclosed_address() {
    let v = verify(
        vectors()["appendix_a_1"].as_str().unwrap(),
        &rfc_issuer_keys(),
        &validation_at(1_700_000_000),
        &KeyBinding::optional(),
    )
    .unwrap();
    let c = Value::Object(v.claims.as_object().clone());
    assert_eq!(c["address"], json!({"region": "港区", "country": "JP"}));
    assert_eq!(v.revealed.len(), 2);
    assert_eq!(v.undisclosed, 14, "8 top-level and 6 address digests stay hidden");
}

#[test]
fn rfc9901_appendix_a_3_sd_jwt_vc_with_key_binding() {
    let vec = vectors();
    let text = vec["appendix_a_3_kb"].as_str().unwrap();
    let expect = &vec["appendix_a_3_kb_expect"];
    let iat = expect["iat"].as_i64().unwrap();
    let kb = KeyBinding::required(expect["aud"].as_str().unwrap(), expect["nonce"].as_str().unwrap());
    let v = verify(text, &rfc_issuer_keys(), &validation_at(iat + 10), &kb).unwrap();
    let c = Value::Object(v.claims.as_object().clone());
    assert_eq!(c["vct"], "urn:eudi:pid:de:1");
    assert_eq!(c["age_equal_or_over"], json!({"18": true}));
    assert_eq!(c["nationalities"], json!(["DE"]));
    assert!(c.get("given_name").is_none());
    assert_eq!(v.header.typ(), Some("dc+sd-jwt"));
    let kbv = v.key_binding.expect("verified key binding");
    assert_eq!(kbv.alg, JwsAlg::ES256);
    assert_eq!(kbv.claims.get("nonce").unwrap(), "1234567890");

    let keys = rfc_issuer_keys();
    let at = validation_at(iat + 10);
    let err =
        |kb: KeyBinding, text: &str, at: &ValidationBuilder| kind(verify(text, &keys, at, &kb).unwrap_err());
    assert_eq!(
        err(
            KeyBinding::required("https://verifier.example.org", "other"),
            text,
            &at
        ),
        "bad_key_binding"
    );
    assert_eq!(
        err(
            KeyBinding::required("https://other.example", "1234567890"),
            text,
            &at
        ),
        "bad_audience"
    );
    assert_eq!(err(kb.clone(), text, &validation_at(iat + 3600)), "too_old");
    assert_eq!(
        err(kb.clone(), text, &validation_at(iat - 3600)),
        "issued_in_future"
    );
    // A Disclosure removed after the holder signed: sd_hash no longer matches.
    let mut sd = SdJwt::parse(text, &Limits::default()).unwrap();
    sd.disclosures.pop();
    assert_eq!(err(kb.clone(), &sd.serialize(), &at), "bad_key_binding");
    // The same presentation without its Key Binding JWT, where one is required.
    let mut sd = SdJwt::parse(text, &Limits::default()).unwrap();
    sd.key_binding_jwt = None;
    assert_eq!(err(kb.clone(), &sd.serialize(), &at), "bad_key_binding");
    assert!(verify(&sd.serialize(), &keys, &at, &KeyBinding::optional()).is_ok());
}

/// An issuer of our own, for crafting tokens the RFC's examples do not cover.
struct Issuer {
    key: Key,
    keys: JwkSet,
}

impl Issuer {
    fn new() -> Issuer {
        let key = Key::generate(KeySpec::for_alg(JwsAlg::ES256)).unwrap();
        let keys = JwkSet::from_keys(vec![key.to_public().unwrap()]);
        Issuer { key, keys }
    }

    fn sign(&self, payload: &Value, disclosures: &[&Disclosure]) -> String {
        let jwt = Signer::new(&self.key, JwsAlg::ES256)
            .unwrap()
            .build()
            .unwrap()
            .sign(payload.to_string().as_bytes())
            .unwrap();
        let mut s = jwt + "~";
        for d in disclosures {
            s.push_str(d.encoded());
            s.push('~');
        }
        s
    }

    fn verify(&self, text: &str) -> Result<Verified, jwtkit::Error> {
        verify(
            text,
            &self.keys,
            &validation_at(1_700_000_000),
            &KeyBinding::optional(),
        )
    }
}

#[test]
fn disclosures_that_do_not_fit_the_token_are_rejected_with_exact_kinds() {
    let is = Issuer::new();
    let email = Disclosure::object_property("email", json!("a@example.com")).unwrap();
    let elem = Disclosure::array_element(json!("FR"));
    let stray = Disclosure::object_property("phone", json!("1")).unwrap();
    let d = email.digest(SdAlg::Sha256);
    let e = elem.digest(SdAlg::Sha256);
    let good = json!({"_sd": [d], "_sd_alg": "sha-256", "nat": [{"...": e}]});
    let v = is.verify(&is.sign(&good, &[&email, &elem])).unwrap();
    assert_eq!(v.claims.get("email").unwrap(), "a@example.com");
    assert_eq!(v.claims.get("nat").unwrap(), &json!(["FR"]));
    // An undisclosed array element disappears.
    let v = is.verify(&is.sign(&good, &[&email])).unwrap();
    assert_eq!(v.claims.get("nat").unwrap(), &json!([]));

    for (payload, given, want, why) in [
        (
            good.clone(),
            vec![&email, &email],
            "bad_disclosure",
            "the same Disclosure twice",
        ),
        (
            good.clone(),
            vec![&email, &stray],
            "bad_disclosure",
            "a Disclosure nothing refers to",
        ),
        (
            json!({"_sd": [d, d]}),
            vec![&email],
            "bad_disclosure",
            "a digest twice in _sd",
        ),
        (
            json!({"_sd": [d], "x": {"_sd": [d]}}),
            vec![&email],
            "bad_disclosure",
            "a digest in two places",
        ),
        (
            json!({"_sd": [d], "email": "b@x"}),
            vec![&email],
            "bad_disclosure",
            "a name that exists",
        ),
        (
            json!({"_sd": [e]}),
            vec![&elem],
            "bad_disclosure",
            "an array element in _sd",
        ),
        (
            json!({"a": [{"...": d}]}),
            vec![&email],
            "bad_disclosure",
            "a property as an array element",
        ),
        (json!({"_sd": "x"}), vec![], "malformed", "_sd not an array"),
        (
            json!({"_sd": [1]}),
            vec![],
            "malformed",
            "a digest that is not a string",
        ),
        (
            json!({"a": [{"...": d, "b": 1}]}),
            vec![],
            "malformed",
            "a ... object with more members",
        ),
        (
            json!({"_sd": [d], "_sd_alg": "md5"}),
            vec![&email],
            "unsupported_alg",
            "an unknown _sd_alg",
        ),
        (
            json!({"_sd": [d], "_sd_alg": 256}),
            vec![&email],
            "malformed",
            "a non-string _sd_alg",
        ),
    ] {
        let got = is.verify(&is.sign(&payload, &given)).map(|_| ()).unwrap_err();
        assert_eq!(kind(got.clone()), want, "{why}: {got}");
    }
}

#[test]
fn serializations_that_are_not_sd_jwts_are_malformed() {
    let is = Issuer::new();
    let token = is.sign(&json!({"sub": "a"}), &[]);
    let jwt = token.trim_end_matches('~');
    let l = Limits::default();
    assert_eq!(kind(SdJwt::parse(jwt, &l).unwrap_err()), "malformed", "no '~'");
    assert_eq!(
        kind(SdJwt::parse(&format!("{jwt}~~"), &l).unwrap_err()),
        "malformed",
        "empty Disclosure"
    );
    assert_eq!(
        kind(SdJwt::parse(&format!("{jwt}~abc"), &l).unwrap_err()),
        "malformed",
        "a trailer that is no JWT"
    );
    assert_eq!(kind(SdJwt::parse("a.b~", &l).unwrap_err()), "malformed");
    let small = Limits {
        max_token_bytes: 100,
        ..Limits::default()
    };
    assert_eq!(kind(SdJwt::parse(&token, &small).unwrap_err()), "resource_limit");
    // The Issuer-signed JWT's signature and the caller's allowlist come first.
    let other = Issuer::new();
    assert_eq!(kind(other.verify(&token).unwrap_err()), "bad_signature");
    let hs = Validation::builder(JwsAlg::HS256).now(1_700_000_000);
    assert_eq!(
        kind(verify(&token, &is.keys, &hs, &KeyBinding::optional()).unwrap_err()),
        "alg_not_allowed"
    );
}

#[test]
fn claims_are_validated_after_disclosure() {
    let is = Issuer::new();
    let exp = Disclosure::object_property("exp", json!(1_000)).unwrap();
    let payload = json!({"_sd": [exp.digest(SdAlg::Sha256)]});
    // Hidden, the expired `exp` is not seen; disclosed, it is.
    assert!(is.verify(&is.sign(&payload, &[])).is_ok());
    assert_eq!(
        kind(is.verify(&is.sign(&payload, &[&exp])).unwrap_err()),
        "expired"
    );
}

fn holder_payload(holder: &Key) -> serde_json::Map<String, Value> {
    let jwk = holder.to_public().unwrap().to_jwk(false);
    json!({
        "iss": "https://issuer.example",
        "sub": "alice",
        "email": "alice@example.com",
        "address": {"street": "1 Main St", "city": "Springfield"},
        "nationalities": ["FR", "DE"],
        "cnf": {"jwk": jwk},
    })
    .as_object()
    .unwrap()
    .clone()
}

#[test]
fn issue_present_and_verify_with_key_binding() {
    let is = Issuer::new();
    let holder = Key::generate(KeySpec::for_alg(JwsAlg::EdDSA)).unwrap();
    let signer = Signer::new(&is.key, JwsAlg::ES256)
        .unwrap()
        .typ("dc+sd-jwt")
        .build()
        .unwrap();
    let issued = sd_jwt::SdJwt::issue(
        holder_payload(&holder),
        &["/email", "/address", "/address/street", "/nationalities/0"],
        SdAlg::Sha256,
        2,
        &signer,
    )
    .unwrap();
    // Everything disclosed: the original claims come back.
    let all = is.verify(&issued).unwrap();
    assert_eq!(all.claims.as_object(), &holder_payload(&holder));
    assert_eq!(all.disclosures.len(), 4);
    assert_eq!(all.undisclosed, 2 * 2, "two decoys in each _sd array");
    let l = Limits::default();
    // Only the street: the address Disclosure above it goes too, the city stays plain inside it.
    let now = 1_700_000_000;
    let shown = sd_jwt::SdJwt::present(
        &issued,
        &["/address/street"],
        Some((&holder, JwsAlg::EdDSA, "https://rp.example", "n-1", now)),
        &l,
    )
    .unwrap();
    let kb = KeyBinding::required("https://rp.example", "n-1");
    let v = verify(&shown, &is.keys, &validation_at(now), &kb).unwrap();
    let c = Value::Object(v.claims.as_object().clone());
    assert_eq!(
        c["address"],
        json!({"city": "Springfield", "street": "1 Main St"})
    );
    assert!(c.get("email").is_none());
    assert_eq!(
        c["nationalities"],
        json!(["DE"]),
        "the undisclosed element is removed"
    );
    assert_eq!(v.key_binding.unwrap().alg, JwsAlg::EdDSA);
    // The Key Binding JWT of another holder key.
    // The Key Binding JWT of another key (jwtkit's own `present` refuses to make one).
    let mallory = Key::generate(KeySpec::for_alg(JwsAlg::EdDSA)).unwrap();
    let sd = SdJwt::parse(&shown, &l).unwrap();
    let kb_claims = json!({"iat": now, "aud": "https://rp.example", "nonce": "n-1", "sd_hash": SdAlg::Sha256.digest(&sd.without_key_binding())});
    let forged_kb = Signer::new(&mallory, JwsAlg::EdDSA)
        .unwrap()
        .typ("kb+jwt")
        .build()
        .unwrap()
        .sign(kb_claims.to_string().as_bytes())
        .unwrap();
    let forged = sd.without_key_binding() + &forged_kb;
    assert_eq!(
        kind(verify(&forged, &is.keys, &validation_at(now), &kb).unwrap_err()),
        "bad_signature"
    );
    // A Key Binding JWT presented under another typ.
    let sd = SdJwt::parse(&shown, &l).unwrap();
    let wrong_typ = Signer::new(&holder, JwsAlg::EdDSA)
        .unwrap()
        .typ("JWT")
        .build()
        .unwrap()
        .sign(
            json!({"iat": now, "aud": "https://rp.example", "nonce": "n-1", "sd_hash": SdAlg::Sha256.digest(&sd.without_key_binding())})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
    let text = sd.without_key_binding() + &wrong_typ;
    assert_eq!(
        kind(verify(&text, &is.keys, &validation_at(now), &kb).unwrap_err()),
        "bad_type"
    );
    // Nothing to reveal at a pointer no Disclosure covers; verifiers' claims cannot be hidden.
    assert_eq!(
        kind(sd_jwt::SdJwt::present(&issued, &["/sub"], None, &l).unwrap_err()),
        "invalid_config"
    );
    for p in ["/iss", "/exp", "/cnf", "/nope", "/"] {
        let e = sd_jwt::SdJwt::issue(holder_payload(&holder), &[p], SdAlg::Sha256, 0, &signer).unwrap_err();
        assert_eq!(kind(e), "invalid_config", "{p}");
    }
}

#[test]
fn sd_alg_is_honoured() {
    let is = Issuer::new();
    let signer = Signer::new(&is.key, JwsAlg::ES256).unwrap().build().unwrap();
    let claims = json!({"a": 1, "b": 2}).as_object().unwrap().clone();
    let issued = sd_jwt::SdJwt::issue(claims.clone(), &["/a"], SdAlg::Sha512, 0, &signer).unwrap();
    let v = is.verify(&issued).unwrap();
    assert_eq!(v.sd_alg, SdAlg::Sha512);
    assert_eq!(v.claims.as_object(), &claims);
    let digest = SdJwt::parse(&issued, &Limits::default()).unwrap().disclosures[0].digest(SdAlg::Sha512);
    assert_eq!(digest.len(), 86, "base64url of 64 bytes");
}

#[test]
fn a_chain_of_disclosures_cannot_nest_past_the_depth_limit() {
    let is = Issuer::new();
    let mut inner = Disclosure::object_property("a", json!(1)).unwrap();
    let mut chain = vec![inner.clone()];
    for _ in 0..70 {
        inner = Disclosure::object_property("a", json!({"_sd": [inner.digest(SdAlg::Sha256)]})).unwrap();
        chain.push(inner.clone());
    }
    let payload = json!({"_sd": [inner.digest(SdAlg::Sha256)]});
    let refs: Vec<&Disclosure> = chain.iter().collect();
    assert_eq!(
        kind(is.verify(&is.sign(&payload, &refs)).unwrap_err()),
        "resource_limit"
    );
    // The same chain, 20 deep, is fine.
    let refs: Vec<&Disclosure> = chain.iter().take(21).collect();
    let payload = json!({"_sd": [chain[20].digest(SdAlg::Sha256)]});
    let v = is.verify(&is.sign(&payload, &refs)).unwrap();
    assert_eq!(v.revealed.len(), 21);
}

#[test]
fn issuance_refuses_what_verifiers_would_misread_and_dedups_pointers() {
    let is = Issuer::new();
    let signer = Signer::new(&is.key, JwsAlg::ES256).unwrap().build().unwrap();
    let c = |v: Value| v.as_object().unwrap().clone();
    for (claims, why) in [
        (json!({"o": {"_sd": ["x"], "k": 1}, "e": 1}), "a nested _sd"),
        (
            json!({"arr": [{"...": "y"}, 1], "e": 1}),
            "a {\"...\"} array element",
        ),
        (json!({"_sd_alg": "sha-512", "e": 1}), "a given _sd_alg"),
    ] {
        let e = sd_jwt::SdJwt::issue(c(claims), &["/e"], SdAlg::Sha256, 0, &signer).unwrap_err();
        assert_eq!(kind(e), "invalid_config", "{why}");
    }
    let i = sd_jwt::SdJwt::issue(
        c(json!({"a": 1, "b": 2})),
        &["/a", "/b", "/a"],
        SdAlg::Sha256,
        0,
        &signer,
    )
    .unwrap();
    assert_eq!(
        SdJwt::parse(&i, &Limits::default()).unwrap().disclosures.len(),
        2,
        "a pointer given twice, not next to each other"
    );
    let e = sd_jwt::SdJwt::issue(
        c(json!({"a": 1})),
        &["/a"],
        SdAlg::Sha256,
        sd_jwt::SdJwt::MAX_DECOYS + 1,
        &signer,
    )
    .unwrap_err();
    assert_eq!(kind(e), "invalid_config");
}

#[test]
fn present_refuses_a_holder_key_that_is_not_cnf() {
    let is = Issuer::new();
    let holder = Key::generate(KeySpec::for_alg(JwsAlg::ES256)).unwrap();
    let other = Key::generate(KeySpec::for_alg(JwsAlg::ES256)).unwrap();
    let signer = Signer::new(&is.key, JwsAlg::ES256).unwrap().build().unwrap();
    let issued =
        sd_jwt::SdJwt::issue(holder_payload(&holder), &["/email"], SdAlg::Sha256, 0, &signer).unwrap();
    let l = Limits::default();
    let e = sd_jwt::SdJwt::present(
        &issued,
        &["/email"],
        Some((&other, JwsAlg::ES256, "a", "n", 1)),
        &l,
    )
    .unwrap_err();
    assert_eq!(kind(e), "key_mismatch");
    let public = holder.to_public().unwrap();
    let e = sd_jwt::SdJwt::present(
        &issued,
        &["/email"],
        Some((&public, JwsAlg::ES256, "a", "n", 1)),
        &l,
    )
    .unwrap_err();
    assert_eq!(kind(e), "key_mismatch");
    sd_jwt::SdJwt::present(
        &issued,
        &["/email"],
        Some((&holder, JwsAlg::ES256, "a", "n", 1)),
        &l,
    )
    .unwrap();
    // Without cnf there is nothing to bind to.
    let unbound = sd_jwt::SdJwt::issue(
        json!({"email": "a@x"}).as_object().unwrap().clone(),
        &["/email"],
        SdAlg::Sha256,
        0,
        &signer,
    )
    .unwrap();
    let e = sd_jwt::SdJwt::present(
        &unbound,
        &["/email"],
        Some((&holder, JwsAlg::ES256, "a", "n", 1)),
        &l,
    )
    .unwrap_err();
    assert_eq!(kind(e), "key_mismatch");
}

/// Long claim names and many Disclosures: pointers share their container, memory stays linear.
#[test]
fn long_names_and_many_disclosures_stay_linear() {
    let is = Issuer::new();
    let name = "A".repeat(60_000);
    let ds: Vec<Disclosure> = (0..1500).map(|i| Disclosure::array_element(json!(i))).collect();
    let marks: Vec<Value> = ds
        .iter()
        .map(|d| json!({"...": d.digest(SdAlg::Sha256)}))
        .collect();
    let payload = json!({ name.clone(): marks });
    let refs: Vec<&Disclosure> = ds.iter().collect();
    let limits = Limits {
        max_token_bytes: 4 * 1024 * 1024,
        ..Limits::default()
    };
    let v = verify(
        &is.sign(&payload, &refs),
        &is.keys,
        &Validation::builder(JwsAlg::ES256)
            .now(1_700_000_000)
            .limits(limits),
        &KeyBinding::optional(),
    )
    .unwrap();
    assert_eq!(v.revealed.len(), 1500);
    assert!(
        v.revealed
            .windows(2)
            .all(|w| std::sync::Arc::ptr_eq(&w[0].container, &w[1].container))
    );
    assert_eq!(v.revealed[1499].pointer(), format!("/{name}/1499"));
}
