//! No secret, key or expected signature ever appears in the `Debug` or `Display` of an error, a
//! `Rejection`, a `Verifier`, a `Signer` or a `Secret`.

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use support::{CASES, Case, NOW};
use webhook_verify::{Rejection, Secret, Signer, Verifier, VerifyError};

/// Every way the secret (and, for `whsec_`/`whsk_` keys, its decoded bytes) could be written.
fn secret_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_owned()];
    if let Some((_, encoded)) = secret.split_once('_') {
        forms.push(encoded.to_owned());
        if let Ok(bytes) = BASE64.decode(encoded) {
            forms.push(hex::encode(&bytes));
            forms.push(format!("{bytes:?}"));
            if let Ok(text) = String::from_utf8(bytes) {
                forms.push(text);
            }
        }
    } else {
        forms.push(format!("{:?}", secret.as_bytes()));
        forms.push(hex::encode(secret));
    }
    forms.retain(|f| f.len() >= 8);
    forms
}

fn assert_hides(shown: &str, hidden: &[String], context: &str) {
    for form in hidden {
        // Any 12-character run of a hidden value is already too much.
        let run: String = form.chars().take(12).collect();
        assert!(
            !shown.contains(&run),
            "{context}: {shown:?} shows {run:?} of a hidden value"
        );
    }
}

/// The signature this side computes for `body`: what a verifier must never reveal.
fn expected_signatures(case: &Case, body: &[u8]) -> Vec<String> {
    let signed = case.sign("msg_r", NOW, body);
    let value = &signed
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(case.signature_header()))
        .unwrap()
        .1;
    // The encoded signature, without any `sha256=`, `v1,`, `t=..,v1=` dressing.
    let encoded = value
        .rsplit(['=', ','])
        .find(|part| part.len() >= 40)
        .map_or_else(|| value.clone(), str::to_owned);
    let mut forms = vec![encoded.clone()];
    if let Ok(bytes) = hex::decode(&encoded) {
        forms.push(BASE64.encode(&bytes));
        forms.push(format!("{bytes:?}"));
    }
    if let Ok(bytes) = BASE64.decode(&encoded) {
        forms.push(hex::encode(&bytes));
        forms.push(format!("{bytes:?}"));
    }
    forms
}

fn show(err: &VerifyError) -> String {
    let rejection = Rejection::from(err.clone());
    format!(
        "{err} | {err:?} | {err:#?} | {rejection:?} | {} | {}",
        rejection.message(),
        rejection.json_body()
    )
}

#[test]
fn verifier_signer_and_secret_debug_show_no_secret() {
    for case in &CASES {
        let [d0, d1] = case.decoys;
        let verifier = case
            .builder(NOW)
            .secrets([case.verify_secret, d0, d1])
            .build()
            .unwrap();
        let signer = Signer::with_secrets((case.scheme)(), [case.sign_secret]).unwrap();
        let shown = format!(
            "{verifier:?} {verifier:#?} {signer:?} {signer:#?} {:?} {:#?}",
            Secret::from(case.sign_secret),
            Secret::from(case.verify_secret),
        );
        let mut hidden = secret_forms(case.sign_secret);
        hidden.extend(secret_forms(case.verify_secret));
        hidden.extend(secret_forms(d0));
        hidden.extend(secret_forms(d1));
        assert_hides(&shown, &hidden, case.label);
        assert!(shown.contains("REDACTED"), "{}: {shown}", case.label);
    }
}

#[test]
fn refusals_show_neither_secret_nor_expected_signature() {
    for case in &CASES {
        let body = br#"{"event":"payment.succeeded"}"#;
        let verifier = case.verifier(NOW);
        let good = case.sign("msg_r", NOW, body);
        let mut hidden = secret_forms(case.sign_secret);
        hidden.extend(secret_forms(case.verify_secret));

        // Tampered body: the signature this side computes is the one for the tampered body.
        // (GitLab signs no body: its token is the one thing to hide.)
        let tampered = b"{\"event\":\"payment.failed\"}";
        if case.label != "gitlab" {
            let err = verifier
                .verify_request(&support::REQ, &good, tampered)
                .unwrap_err();
            let mut hidden_here = hidden.clone();
            hidden_here.extend(expected_signatures(case, tampered));
            assert_hides(&show(&err), &hidden_here, case.label);
        }

        // Wrong signature, stale timestamp, malformed and missing headers.
        let mut failures = vec![
            verifier
                .verify_request(&support::REQ, &[("x", "y")], body)
                .unwrap_err(),
        ];
        let forged: Vec<(String, String)> = good
            .iter()
            .map(|(n, v)| {
                let is_sig = n.eq_ignore_ascii_case(case.signature_header());
                (
                    n.clone(),
                    if is_sig {
                        v.replace(['a', 'b', 'c'], "0")
                    } else {
                        v.clone()
                    },
                )
            })
            .collect();
        failures.push(
            verifier
                .verify_request(&support::REQ, &forged, body)
                .unwrap_err(),
        );
        let garbage: Vec<(String, String)> = good
            .iter()
            .map(|(n, _)| (n.clone(), "t=,v1=zz,v1a,==".to_owned()))
            .collect();
        failures.push(
            verifier
                .verify_request(&support::REQ, &garbage, body)
                .unwrap_err(),
        );
        if case.timestamped {
            let stale = case.verifier(NOW + 3600);
            failures.push(
                stale
                    .verify_request(&support::REQ, &good, body)
                    .unwrap_err(),
            );
        }
        let mut hidden_here = hidden.clone();
        hidden_here.extend(expected_signatures(case, body));
        for err in &failures {
            assert!(err.is_request_error(), "{}: {err}", case.label);
            assert_hides(&show(err), &hidden_here, case.label);
        }
    }
}

#[test]
fn configuration_errors_show_no_secret() {
    let bad = [
        (
            webhook_verify::Scheme::standard(),
            "whsec_not!base64!verysecretvalue",
        ),
        (
            webhook_verify::Scheme::standard(),
            "whpk_c2VjcmV0LWJ1dC1ub3QtMzItYnl0ZXM=",
        ),
        (
            webhook_verify::Scheme::standard(),
            "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
        ),
    ];
    for (scheme, secret) in bad {
        let err = Verifier::new(scheme.clone(), secret).unwrap_err();
        assert!(matches!(err, VerifyError::InvalidSecret { .. }), "{err}");
        assert!(!err.is_request_error());
        assert_hides(&show(&err), &secret_forms(secret), secret);
        // A misconfigured receiver answers 500 without details.
        assert_eq!(Rejection::from(err).status(), 500);
    }
    let err = Signer::new(webhook_verify::Scheme::standard(), support::WHPK).unwrap_err();
    assert_hides(
        &show(&err),
        &secret_forms(support::WHPK),
        "signer with whpk_",
    );
}

#[test]
#[should_panic(expected = "of a hidden value")]
fn the_leak_check_catches_a_leak() {
    // The checks above can fail: a message quoting part of a secret is caught.
    let hidden = secret_forms("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert_hides("bad key MfKQ9r8GKYqrTw...", &hidden, "sanity");
}
