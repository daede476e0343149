//! Dead letters, and replaying them.

use std::fmt::Write as _;

use super::{message, not_found, page, replay_button, rfc3339, unavailable};
use crate::html::Escaped;
use crate::{Answer, Dashboard};

/// How many dead letters the page lists.
const LISTED: usize = 100;

/// `GET dead`: the queue's dead letters, oldest first, each with a replay button.
pub(crate) async fn dead_letters(dashboard: &Dashboard) -> Answer {
    let Some(queue) = &dashboard.queue else {
        return not_found();
    };
    let letters = match queue.dead_letters(None, LISTED).await {
        Ok(letters) => letters,
        Err(_) => return unavailable("queue"),
    };
    let mut body = String::from(
        "<p><a href=\"./\">&larr; all deliveries</a></p><table id=dead-letters><tr><th>died<th>scheme<th>id<th>key<th>attempts<th>last error<th>body size<th>",
    );
    for letter in &letters {
        let d = &letter.delivery;
        let _ = write!(
            body,
            "<tr class=dead><td>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>",
            Escaped(&rfc3339(letter.died_at)),
            Escaped(&d.verification().scheme),
            Escaped(d.verification().webhook_id.as_deref().unwrap_or("")),
            Escaped(d.key().unwrap_or("")),
            letter.attempts,
            Escaped(&letter.last_error),
            d.body().len(),
        );
        replay_button(&mut body, "", dashboard.csrf.token(), "dead", &letter.id);
    }
    body.push_str("</table>");
    if letters.is_empty() {
        body.push_str("<p id=none>No dead letters.</p>");
    }
    Answer::html(
        200,
        page(&format!("Dead letters of {}", queue.name()), &body),
    )
}

/// Replays the dead letter `id` and goes back to the list.
pub(crate) async fn replay_dead(dashboard: &Dashboard, id: &str) -> Answer {
    let Some(queue) = &dashboard.queue else {
        return not_found();
    };
    match queue.replay(id).await {
        Ok(Some(_)) => Answer::see_other("dead"),
        Ok(None) => gone(),
        Err(_) => unavailable("queue"),
    }
}

/// Replays the inbox row `id` (a new attempt of the same row) and goes back home.
pub(crate) async fn replay_row(dashboard: &Dashboard, id: &str) -> Answer {
    let (Some(inbox), Ok(id)) = (&dashboard.inbox, id.parse::<i64>()) else {
        return not_found();
    };
    match inbox.replay(id).await {
        Ok(true) => Answer::see_other("./"),
        Ok(false) => gone(),
        Err(_) => unavailable("inbox"),
    }
}

/// `409`: replayed already, or being processed right now.
fn gone() -> Answer {
    Answer::html(
        409,
        message(
            "Not replayed",
            "It was replayed already, or is being processed: go back and reload.",
        ),
    )
}
