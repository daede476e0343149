//! Sign, then verify: every scheme, random bodies (empty, non-UTF-8, up to 4 KiB), random ids and
//! header-name case, through every `HeaderSource` implementation; rotation in both directions.

mod support;

use support::{CASES, Case, NOW, Rng, header_map, raw};
use webhook_verify::{FixedClock, Scheme, Signer, Verified, Verifier, VerifyError};

fn check_verified(case: &Case, verified: &Verified<'_>, id: &str, ts: i64, index: usize) {
    assert_eq!(verified.scheme, (case.scheme)().name(), "{}", case.label);
    assert_eq!(verified.secret_index, index, "{}", case.label);
    let expected_id = case.signs_id.then_some(id);
    assert_eq!(
        verified.webhook_id.as_deref(),
        expected_id,
        "{}",
        case.label
    );
    let expected_ts = case.timestamped.then_some(ts);
    assert_eq!(verified.timestamp, expected_ts, "{}", case.label);
}

fn bodies(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut bodies = vec![
        Vec::new(),
        vec![0xff, 0xfe, 0xfd],     // not UTF-8
        b"\0\0\0".to_vec(),         // NUL bytes
        "é€😀".as_bytes().to_vec(), // multi-byte UTF-8
        b"{\"a\":1}\r\n".to_vec(),  // trailing CRLF is part of the body
        vec![b'.'; 17],             // the separator of the signed content
    ];
    for _ in 0..24 {
        let len = match rng.below(3) {
            0 => rng.below(16),
            1 => rng.below(300),
            _ => rng.below(4096),
        };
        bodies.push(rng.bytes(len));
    }
    bodies
}

#[test]
fn sign_then_verify_round_trips_for_every_scheme_over_random_bodies() {
    let mut rng = Rng::new(0x5EED_0001);
    for case in &CASES {
        for body in bodies(&mut rng) {
            let id = rng.id();
            let spread = case.default_tolerance.min(200);
            let ts = NOW - spread + rng.below(2 * spread as usize) as i64;
            let pairs = case.sign(&id, ts, &body);
            let verifier = case.verifier(NOW);

            let map = header_map(&pairs);
            check_verified(
                case,
                &verifier.verify_request(&support::REQ, &map, &body).unwrap(),
                &id,
                ts,
                0,
            );
            check_verified(
                case,
                &verifier
                    .verify_request(&support::REQ, &pairs, &body)
                    .unwrap(),
                &id,
                ts,
                0,
            );
            let slice: &[(String, String)] = &pairs;
            check_verified(
                case,
                &verifier
                    .verify_request(&support::REQ, slice, &body)
                    .unwrap(),
                &id,
                ts,
                0,
            );
            let bytes = raw(&pairs);
            check_verified(
                case,
                &verifier
                    .verify_request(&support::REQ, &bytes, &body)
                    .unwrap(),
                &id,
                ts,
                0,
            );
            let by_ref = &&map;
            check_verified(
                case,
                &verifier
                    .verify_request(&support::REQ, by_ref, &body)
                    .unwrap(),
                &id,
                ts,
                0,
            );
        }
    }
}

#[test]
fn header_names_match_in_any_case() {
    let mut rng = Rng::new(0x5EED_0002);
    for case in &CASES {
        for _ in 0..16 {
            let len = rng.below(200);
            let body = rng.bytes(len);
            let id = rng.id();
            let pairs: Vec<(String, String)> = case
                .sign(&id, NOW, &body)
                .into_iter()
                .map(|(n, v)| (rng.recase(&n), v))
                .collect();
            let verified = case
                .verifier(NOW)
                .verify_request(&support::REQ, &pairs, &body);
            check_verified(case, &verified.unwrap(), &id, NOW, 0);
        }
    }
}

#[test]
fn unrelated_headers_do_not_disturb_verification() {
    let body = br#"{"event":"order.completed"}"#;
    for case in &CASES {
        let mut pairs = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("X-Hub-Signature".to_owned(), "sha1=00".to_owned()),
            ("User-Agent".to_owned(), "sender/1.0".to_owned()),
        ];
        pairs.extend(case.sign("msg_1", NOW, body));
        pairs.push(("X-Request-Id".to_owned(), "abc".to_owned()));
        let verified = case
            .verifier(NOW)
            .verify_request(&support::REQ, &pairs, body)
            .unwrap();
        check_verified(case, &verified, "msg_1", NOW, 0);
    }
}

#[test]
fn the_signing_secret_is_found_among_several_and_reported_by_index() {
    let body = b"rotate me";
    for case in &CASES {
        let pairs = case.sign("msg_rot", NOW, body);
        let [d0, d1] = case.decoys;
        for (secrets, index) in [
            (vec![case.verify_secret, d0, d1], 0),
            (vec![d0, case.verify_secret, d1], 1),
            (vec![d0, d1, case.verify_secret], 2),
        ] {
            let verifier = case.builder(NOW).secrets(secrets).build().unwrap();
            let verified = verifier
                .verify_request(&support::REQ, &pairs, body)
                .unwrap();
            check_verified(case, &verified, "msg_rot", NOW, index);
        }
        let decoys_only = case.builder(NOW).secrets([d0, d1]).build().unwrap();
        assert_eq!(
            decoys_only.verify_request(&support::REQ, &pairs, body),
            Err(VerifyError::NoMatchingSignature),
            "{}",
            case.label
        );
    }
}

#[test]
fn a_sender_signing_with_old_and_new_secrets_is_accepted_by_either() {
    // Schemes that carry several signatures sign with every secret; a receiver that knows only
    // one of them (either one) accepts the delivery.
    const OLD: &str = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let body = b"{}";
    /// A scheme and two (signing secret, the key that verifies it) pairs.
    type Rotation = (fn() -> Scheme, [(&'static str, &'static str); 2]);
    let multi: [Rotation; 4] = [
        (
            Scheme::paddle,
            [("pdl_new", "pdl_new"), ("pdl_old", "pdl_old")],
        ),
        (
            Scheme::standard,
            [(CASES[1].sign_secret, CASES[1].verify_secret), (OLD, OLD)],
        ),
        (
            Scheme::standard,
            [(support::WHSK, support::WHPK), (OLD, OLD)],
        ),
        (
            Scheme::stripe,
            [("whsec_new", "whsec_new"), ("whsec_old", "whsec_old")],
        ),
    ];
    for (scheme, keys) in multi {
        let headers = Signer::with_secrets(scheme(), keys.map(|(sign, _)| sign))
            .unwrap()
            .sign("msg_both", NOW, body)
            .unwrap();
        for (_, receiver) in keys {
            let verifier = Verifier::builder(scheme())
                .secret(receiver)
                .clock(FixedClock(NOW))
                .build()
                .unwrap();
            let index = verifier
                .verify_request(&support::REQ, &headers, body)
                .map(|v| v.secret_index);
            assert_eq!(index, Ok(0), "{} receiver {receiver}", scheme());
        }
    }
}

#[test]
fn verified_into_owned_keeps_every_field() {
    let case = &CASES[1];
    let pairs = case.sign("msg_owned", NOW, b"x");
    let verified = case
        .verifier(NOW)
        .verify_request(&support::REQ, &pairs, b"x")
        .unwrap();
    let owned: Verified<'static> = verified.clone().into_owned();
    assert_eq!(owned, verified);
}

#[test]
fn every_scheme_is_a_case_or_has_its_own_tests() {
    for &name in Scheme::NAMES {
        let covered = support::CASES.iter().any(|c| (c.scheme)().name() == name)
            || support::OWN_TESTS.contains(&name);
        assert!(covered, "{name} is not covered");
    }
}

#[test]
fn every_name_and_alias_parses_back_to_its_provider() {
    for provider in Scheme::providers() {
        for name in std::iter::once(&provider.name).chain(provider.aliases) {
            let scheme: Scheme = name.parse().unwrap();
            assert_eq!(scheme.name(), provider.name);
            let upper: Scheme = name.to_uppercase().parse().unwrap();
            assert_eq!(upper.name(), provider.name);
        }
        assert!(!provider.secret_is.is_empty());
        for kept in provider.kept_headers {
            assert_eq!(*kept, kept.to_ascii_lowercase(), "{}", provider.name);
            assert!(webhook_verify::KEPT_HEADERS.contains(kept));
        }
    }
    for alias in ["svix", "clerk", "resend", "standard-webhooks"] {
        assert_eq!(alias.parse::<Scheme>().unwrap().name(), "standard");
    }
}
