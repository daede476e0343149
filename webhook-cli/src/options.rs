//! The options several subcommands share: `--scheme`, `--cert-file`, `--url`/`--method`,
//! `--tolerance`, `--body-file`, `--header`. Each subcommand's own options live with it in
//! [`crate::commands`].

use std::path::PathBuf;

use clap::Args;
use http::{HeaderName, HeaderValue};
use webhook_verify::{GivenCertificate, Scheme, UnknownScheme, VerifierBuilder};

use crate::error::CliError;

/// `--scheme`, shared by every command that signs or verifies.
#[derive(Args)]
pub struct SchemeArg {
    #[arg(
        long,
        value_name = "SCHEME",
        default_value = "hmac-sha256",
        value_parser = parse_scheme,
        help = "Signature scheme (see --help for each one's secret)",
        long_help = scheme_help()
    )]
    pub scheme: Scheme,
}

/// The `--scheme` help, from the library's one list of providers: each name (and aliases) with
/// what its `--secret` is.
pub fn scheme_help() -> String {
    let mut text = String::from("Signature scheme, and what its --secret is:");
    for provider in Scheme::providers() {
        text.push_str("\n  ");
        text.push_str(provider.name);
        if !provider.aliases.is_empty() {
            text.push_str(&format!(" ({})", provider.aliases.join(", ")));
        }
        text.push_str(": ");
        text.push_str(provider.secret_is);
        if provider.requires_url {
            text.push_str(" [signs the URL: needs --url]");
        }
    }
    text
}

/// `--cert-file`: the signing certificate of the schemes that name one by URL (paypal, sns).
#[derive(Args)]
pub struct CertArgs {
    /// The signing certificate (PEM) for paypal and sns, trusted as given whatever URL the
    /// delivery names (the URL must still be https on the provider's hosts)
    #[arg(long, value_name = "PEM")]
    cert_file: Option<PathBuf>,
}

impl CertArgs {
    /// The certificate, or a usage error when the scheme needs one and none was given.
    pub fn certificate(&self, scheme: &Scheme) -> Result<Option<GivenCertificate>, CliError> {
        let Some(path) = &self.cert_file else {
            if scheme.uses_certificates() {
                return Err(CliError::usage(format!(
                    "scheme {scheme} names its signing certificate by URL: give --cert-file PEM"
                )));
            }
            return Ok(None);
        };
        let pem = std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!("cannot read --cert-file {}: {e}", path.display()))
        })?;
        GivenCertificate::from_pem(&pem)
            .map(Some)
            .map_err(|e| CliError::usage(format!("--cert-file {}: {e}", path.display())))
    }
}

/// `--url` / `--method`: the request as the sender made it, for the schemes that sign it.
#[derive(Args)]
pub struct RequestArgs {
    /// The full URL the sender requested (scheme, host, path, query), for the schemes that sign
    /// it (twilio, square, hubspot)
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The request's method, for the schemes that sign it (hubspot)
    #[arg(long, value_name = "METHOD", default_value = "POST")]
    pub method: String,
}

impl RequestArgs {
    /// The request, or a usage error when the scheme signs the URL and none was given.
    pub fn request(
        &self,
        scheme: &Scheme,
    ) -> Result<Option<webhook_verify::Request<'_>>, CliError> {
        match &self.url {
            Some(url) => Ok(Some(webhook_verify::Request::new(&self.method, url))),
            None if scheme.requires_url() => Err(CliError::usage(format!(
                "scheme {scheme} signs the request URL: give --url URL"
            ))),
            None => Ok(None),
        }
    }
}

fn parse_scheme(name: &str) -> Result<Scheme, UnknownScheme> {
    name.parse()
}

/// `--tolerance` / `--no-tolerance`, shared by every command that verifies.
#[derive(Args)]
pub struct ToleranceArgs {
    /// How far the signed timestamp may be from now, either way, in seconds [default: 300]
    #[arg(long, value_name = "SECS")]
    tolerance: Option<u64>,
    /// Accept any timestamp (deliveries replayed through a gateway or from an archive).
    #[arg(long, conflicts_with = "tolerance")]
    no_tolerance: bool,
}

impl ToleranceArgs {
    /// Sets the verifier's timestamp tolerance as the options say (the default when neither).
    pub fn apply(&self, builder: VerifierBuilder) -> VerifierBuilder {
        if self.no_tolerance {
            builder.allow_any_timestamp()
        } else if let Some(secs) = self.tolerance {
            builder.tolerance(std::time::Duration::from_secs(secs))
        } else {
            builder
        }
    }
}

/// `--body-file`: where the body comes from.
#[derive(Args)]
pub struct BodyArg {
    /// File holding the body, byte for byte; `-` or absent: read stdin.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
}

/// One `--header 'Name: value'`, checked as HTTP allows.
#[derive(Clone, Debug)]
pub struct HeaderArg {
    /// The header's name.
    pub name: HeaderName,
    /// Its value, without the whitespace around it.
    pub value: HeaderValue,
}

/// Parses `Name: value`. The name must be an HTTP token; whitespace around the value is dropped.
pub fn parse_header(text: &str) -> Result<HeaderArg, String> {
    let Some((name, value)) = text.split_once(':') else {
        return Err(format!("{text:?} is not written 'Name: value'"));
    };
    if name.is_empty() {
        return Err("the header name before ':' is empty".to_owned());
    }
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("{name:?} is not a valid header name"))?;
    let value = HeaderValue::from_str(value.trim_matches([' ', '\t']))
        .map_err(|_| format!("the value of header {name} holds characters HTTP forbids"))?;
    Ok(HeaderArg { name, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_value_keeps_colons_and_loses_surrounding_spaces() {
        let h = parse_header("Stripe-Signature:  t=1,v1=ab:cd \t").unwrap();
        assert_eq!(h.name.as_str(), "stripe-signature");
        assert_eq!(h.value, "t=1,v1=ab:cd");
    }

    #[test]
    fn malformed_headers_are_refused() {
        for bad in [
            "no colon",
            ": empty name",
            "bad name: x",
            "bad\u{7f}: x",
            "X-Ok: a\nb",
        ] {
            assert!(parse_header(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
