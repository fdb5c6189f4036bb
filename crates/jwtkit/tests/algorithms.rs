//! ES256K (RFC 8812) and ML-DSA (RFC 9964) keys through the library: PEM/DER/JWK round trips
//! that keep the seed, wrong keys, keys of another parameter set or curve, AKP members of the
//! wrong length, and Ed448 refused with its reason. (Signatures by independent implementations
//! are in tests/vectors/rfc9964.json and rfc8812.json.)

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtkit::jwk::KeySpec;
use jwtkit::jws::{JwsOptions, Signer};
use jwtkit::{EcCurve, ErrorKind, JwkSet, JwsAlg, Key, KeyFamily, MlDsa};
use serde_json::{Value, json};

mod common;
use common::jws_verify;

const PARAMS: [MlDsa; 3] = [MlDsa::MlDsa44, MlDsa::MlDsa65, MlDsa::MlDsa87];

fn sign(key: &Key, alg: JwsAlg) -> String {
    Signer::new(key, alg)
        .unwrap()
        .build()
        .unwrap()
        .sign(b"{\"sub\":\"pq\"}")
        .unwrap()
}

fn verify(token: &str, key: Key, alg: JwsAlg) -> Result<Vec<u8>, ErrorKind> {
    jws_verify(token, &JwkSet::from_keys(vec![key]), &JwsOptions::new(alg))
        .map(|v| v.payload.to_vec())
        .map_err(|e| e.kind())
}

fn signer_err(key: &Key, alg: JwsAlg) -> jwtkit::Error {
    Signer::new(key, alg)
        .err()
        .expect("the signer must refuse this key")
}

fn jwk(v: Value) -> Result<Key, jwtkit::Error> {
    Key::from_jwk(v.as_object().unwrap())
}

#[test]
fn ml_dsa_private_key_survives_pem_der_and_jwk_with_its_seed() {
    for params in PARAMS {
        let alg = params.jws_alg();
        let key = Key::generate(KeySpec::Akp(params)).unwrap();
        assert_eq!(key.family(), KeyFamily::Akp(params));
        assert_eq!(key.bits(), params.public_key_len() * 8);
        let private_jwk = key.to_jwk(true);
        assert_eq!(private_jwk["kty"], "AKP");
        assert_eq!(
            private_jwk["alg"],
            params.as_str(),
            "alg is always written for AKP"
        );
        // PKCS#8 (seed form) -> Key -> JWK: the same seed and public key.
        let pem = key.private_key_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let back = Key::from_pem(&pem).unwrap();
        assert_eq!(back.to_jwk(true), private_jwk);
        assert_eq!(back.thumbprint(), key.thumbprint());
        // SPKI: the id-ml-dsa OID (2.16.840.1.101.3.4.3.17/18/19) and the raw key.
        let spki = key.public_key_der().unwrap();
        let oid_last = match params {
            MlDsa::MlDsa44 => 0x11,
            MlDsa::MlDsa65 => 0x12,
            _ => 0x13,
        };
        let oid = [
            0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, oid_last,
        ];
        assert!(spki.windows(oid.len()).any(|w| w == oid));
        assert!(
            spki.ends_with(
                &URL_SAFE_NO_PAD
                    .decode(private_jwk["pub"].as_str().unwrap())
                    .unwrap()
            )
        );
        let public = Key::from_der(&spki).unwrap();
        assert!(!public.is_private());
        let token = sign(&back, alg);
        assert_eq!(verify(&token, public, alg).unwrap(), b"{\"sub\":\"pq\"}");
    }
}

#[test]
fn ml_dsa_wrong_key_and_wrong_parameter_set() {
    let a = Key::generate(KeySpec::Akp(MlDsa::MlDsa44)).unwrap();
    let b = Key::generate(KeySpec::Akp(MlDsa::MlDsa44)).unwrap();
    let c = Key::generate(KeySpec::Akp(MlDsa::MlDsa65)).unwrap();
    let token = sign(&a, JwsAlg::ML_DSA_44);
    assert_eq!(
        verify(&token, b.to_public().unwrap(), JwsAlg::ML_DSA_44),
        Err(ErrorKind::BadSignature)
    );
    assert_eq!(
        verify(&token, c.to_public().unwrap(), JwsAlg::ML_DSA_44),
        Err(ErrorKind::KeyMismatch),
        "an ML-DSA-65 key cannot serve ML-DSA-44"
    );
    let e = signer_err(&a, JwsAlg::ML_DSA_65);
    assert_eq!(e.kind(), ErrorKind::KeyMismatch);
    assert!(
        e.message().contains("an AKP key for ML-DSA-44"),
        "{}",
        e.message()
    );
    // An RSA-family or HMAC algorithm never takes an AKP key.
    assert_eq!(signer_err(&a, JwsAlg::HS256).kind(), ErrorKind::KeyMismatch);
    // Public keys do not sign.
    assert_eq!(
        signer_err(&a.to_public().unwrap(), JwsAlg::ML_DSA_44).kind(),
        ErrorKind::KeyMismatch
    );
}

#[test]
fn akp_jwk_members_of_the_wrong_length_or_without_alg() {
    let key = Key::generate(KeySpec::Akp(MlDsa::MlDsa44)).unwrap();
    let full = Value::Object(key.to_jwk(true));
    let with = |name: &str, v: Value| {
        let mut j = full.clone();
        j[name] = v;
        j
    };
    let msg = |v: Value| jwk(v).unwrap_err().to_string();
    let pub_b = URL_SAFE_NO_PAD.decode(full["pub"].as_str().unwrap()).unwrap();
    let short_pub = URL_SAFE_NO_PAD.encode(&pub_b[..1311]);
    assert!(
        msg(with("pub", short_pub.into()))
            .contains("ML-DSA-44 public key \"pub\" must be 1312 bytes, found 1311")
    );
    let long_seed = URL_SAFE_NO_PAD.encode([7u8; 33]);
    assert!(msg(with("priv", long_seed.into())).contains("must be the 32-byte seed, found 33 bytes"));
    let other_seed = URL_SAFE_NO_PAD.encode([7u8; 32]);
    assert!(msg(with("priv", other_seed.into())).contains("does not match the public key \"pub\""));
    let mut no_alg = full.clone();
    no_alg.as_object_mut().unwrap().remove("alg");
    let e = jwk(no_alg).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadKey);
    assert!(
        e.message().contains("AKP JWK is missing \"alg\""),
        "{}",
        e.message()
    );
    let e = jwk(with("alg", "ML-DSA-65".into())).unwrap_err();
    assert!(
        e.message()
            .contains("ML-DSA-65 public key \"pub\" must be 1952 bytes"),
        "{}",
        e.message()
    );
    assert!(msg(with("alg", "EdDSA".into())).contains("AKP JWK alg \"EdDSA\" is not supported"));
    let mut no_pub = full.clone();
    no_pub.as_object_mut().unwrap().remove("pub");
    assert!(msg(no_pub).contains("AKP JWK is missing the \"pub\" member"));
}

#[test]
fn es256k_keys_in_every_form_and_wrong_curve() {
    let key = Key::generate(KeySpec::Ec(EcCurve::Secp256k1)).unwrap();
    assert_eq!(key.to_jwk(false)["crv"], "secp256k1");
    assert_eq!(key.algorithms().to_string(), "ES256K");
    let token = sign(&key, JwsAlg::ES256K);
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(token.rsplit('.').next().unwrap())
            .unwrap()
            .len(),
        64
    );
    let from_pem = Key::from_pem(&key.public_key_pem().unwrap()).unwrap();
    assert_eq!(from_pem.thumbprint(), key.thumbprint());
    verify(&token, from_pem, JwsAlg::ES256K).unwrap();
    let from_pkcs8 = Key::from_pem(&key.private_key_pem().unwrap()).unwrap();
    verify(
        &sign(&from_pkcs8, JwsAlg::ES256K),
        key.to_public().unwrap(),
        JwsAlg::ES256K,
    )
    .unwrap();
    let other = Key::generate(KeySpec::Ec(EcCurve::Secp256k1)).unwrap();
    assert_eq!(
        verify(&token, other, JwsAlg::ES256K),
        Err(ErrorKind::BadSignature)
    );
    let p256 = Key::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    assert_eq!(signer_err(&p256, JwsAlg::ES256K).kind(), ErrorKind::KeyMismatch);
    assert_eq!(signer_err(&key, JwsAlg::ES256).kind(), ErrorKind::KeyMismatch);
    // secp256k1 is for ES256K only: never an ECDH-ES key.
    assert!(!jwtkit::KeyMgmtAlg::ECDH_ES.fits(key.family()));
}

#[test]
fn ed448_is_unsupported_with_the_reason() {
    let e = "Ed448".parse::<JwsAlg>().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedAlg);
    assert!(
        e.message().contains("aws-lc-rs, which has no Ed448"),
        "{}",
        e.message()
    );
    // An Ed448 public key (RFC 8410 SPKI, OID 1.3.101.113).
    let spki = [
        &[
            0x30, 0x43, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71, 0x03, 0x3a, 0x00,
        ][..],
        &[0x11; 57][..],
    ]
    .concat();
    let e = Key::from_der(&spki).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadKey);
    assert!(
        e.message().contains("aws-lc-rs, which has no Ed448"),
        "{}",
        e.message()
    );
    let e = jwk(json!({"kty":"OKP","crv":"Ed448","x":"AAAA"})).unwrap_err();
    assert!(
        e.message().contains("OKP curve \"Ed448\" is not supported"),
        "{}",
        e.message()
    );
}
