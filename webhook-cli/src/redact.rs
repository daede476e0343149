//! Showing a Redis URL without its password.

use reqwest::Url;

/// What replaces a password in anything printed.
const MASK: &str = "***";

/// A connection URL given on the command line, printable: its password is never shown.
pub struct RedisUrl {
    raw: String,
    shown: String,
    password: Option<String>,
}

impl RedisUrl {
    /// Keeps `raw` for connecting and prepares its printable form.
    pub fn new(raw: String) -> Self {
        let (shown, password) = match Url::parse(&raw) {
            Ok(mut url) => {
                let password = url.password().map(str::to_owned);
                if password.is_some() {
                    // Cannot fail: a URL that has a password can hold another one.
                    let _ = url.set_password(Some(MASK));
                }
                (url.to_string(), password)
            }
            // Not a URL: nothing of it is printed, since it may hold a password anyhow.
            Err(_) => ("(unparseable Redis URL)".to_owned(), None),
        };
        Self {
            raw,
            shown,
            password,
        }
    }

    /// The URL as given, to connect with. Never print it.
    pub fn secret(&self) -> &str {
        &self.raw
    }

    /// The URL with its password replaced by `***`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `text` with every occurrence of the password (e.g. echoed by an error) replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        match &self.password {
            Some(password) if !password.is_empty() => text.replace(password.as_str(), MASK),
            _ => text.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_masked_and_the_rest_kept() {
        let url = RedisUrl::new("redis://admin:s3cr3t-pw@db.internal:6380/2".to_owned());
        assert_eq!(url.shown(), "redis://admin:***@db.internal:6380/2");
        assert_eq!(url.secret(), "redis://admin:s3cr3t-pw@db.internal:6380/2");
        assert_eq!(url.scrub("auth s3cr3t-pw failed"), "auth *** failed");
    }

    #[test]
    fn password_without_user_is_masked() {
        let url = RedisUrl::new("redis://:hunter2@127.0.0.1/".to_owned());
        assert_eq!(url.shown(), "redis://:***@127.0.0.1/");
        assert!(!url.shown().contains("hunter2"));
    }

    #[test]
    fn url_without_password_is_shown_as_given() {
        let url = RedisUrl::new("redis://127.0.0.1:6379/".to_owned());
        assert_eq!(url.shown(), "redis://127.0.0.1:6379/");
        assert_eq!(url.scrub("anything"), "anything");
    }

    #[test]
    fn unparseable_url_is_not_printed_at_all() {
        let url = RedisUrl::new("not a url :hunter2@".to_owned());
        assert!(!url.shown().contains("hunter2"));
    }
}
