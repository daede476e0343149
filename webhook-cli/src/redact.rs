//! Showing a Redis URL without its password, with the redactor the libraries use
//! (`webhook_idempotency::redis_target`): a comma-separated list of cluster seeds is masked URL
//! by URL.

use webhook_idempotency::redis_target::RedisTarget;

/// A connection URL (or comma-separated URLs) given on the command line, printable: no
/// password is ever shown.
pub struct RedisUrl {
    raw: String,
    target: RedisTarget,
    shown: String,
}

impl RedisUrl {
    /// Keeps `raw` for connecting and prepares its printable form.
    pub fn new(raw: String) -> Self {
        let target = RedisTarget::new(&raw);
        let shown = target.to_string();
        Self { raw, target, shown }
    }

    /// The URL as given, to connect with. Never print it.
    pub fn secret(&self) -> &str {
        &self.raw
    }

    /// The URL(s) with each password replaced by `***`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `text` with every occurrence of a password (e.g. echoed by an error) replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        self.target.scrub(text)
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
    fn each_url_of_a_seed_list_is_masked() {
        let url =
            RedisUrl::new("redis://:pw-one@10.0.0.1:7000,redis://:pw-two@10.0.0.2:7000".to_owned());
        assert_eq!(
            url.shown(),
            "redis://:***@10.0.0.1:7000,redis://:***@10.0.0.2:7000"
        );
        assert_eq!(url.scrub("pw-one pw-two"), "*** ***");
    }

    #[test]
    fn unparseable_url_is_not_printed_at_all() {
        let url = RedisUrl::new("not a url :hunter2@".to_owned());
        assert!(!url.shown().contains("hunter2"));
    }
}
