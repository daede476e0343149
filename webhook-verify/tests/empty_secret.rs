//! An empty secret is a key anyone can sign with: building a verifier or a signer with one is a
//! typed error for every scheme, never a verifier that accepts forgeries.

use webhook_verify::{Rejection, Scheme, Signer, Verifier, VerifyError};

const BLANK: [&str; 4] = ["", " ", "\t", "  \n"];

#[test]
fn verifier_with_an_empty_secret_is_refused_for_every_scheme() {
    for &name in Scheme::NAMES {
        for blank in BLANK {
            let scheme: Scheme = name.parse().unwrap();
            let err = Verifier::new(scheme, blank).unwrap_err();
            assert_eq!(
                err,
                VerifyError::EmptySecret { scheme: name },
                "{name} {blank:?}"
            );
            assert!(
                !err.is_request_error(),
                "a configuration error, not the sender's"
            );
            assert_eq!(Rejection::from(err).status(), 500);
        }
    }
}

#[test]
fn signer_with_an_empty_secret_is_refused_for_every_scheme() {
    for &name in Scheme::NAMES {
        let err = Signer::new(name.parse().unwrap(), "").err().unwrap();
        assert_eq!(err, VerifyError::EmptySecret { scheme: name });
    }
}

#[test]
fn one_empty_secret_among_several_is_refused() {
    let err = Verifier::builder(Scheme::hmac_sha256())
        .secret("current-secret")
        .secret("")
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        VerifyError::EmptySecret {
            scheme: "hmac-sha256"
        }
    );
}

#[test]
fn the_error_names_the_problem_without_a_secret() {
    let err = Verifier::new(Scheme::github(), " ").unwrap_err();
    assert_eq!(
        err.to_string(),
        "empty secret for scheme github: anyone could sign with it"
    );
}
