//! HTML escaping: every value a page shows goes through [`Escaped`].
//!
//! ```
//! use webhook_dashboard::html::Escaped;
//! assert_eq!(Escaped("<script>&\"'").to_string(), "&lt;script&gt;&amp;&quot;&#39;");
//! ```

use std::fmt;

/// Displays its text HTML-escaped (`& < > " '`), safe in text and in quoted attributes.
///
/// ```
/// assert_eq!(format!("{}", webhook_dashboard::html::Escaped("a<b")), "a&lt;b");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}
