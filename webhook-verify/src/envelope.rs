//! Typed views of the two JSON envelopes senders wrap their events in.
//!
//! - [`Event`]: `{id, type, created_at, data: {object}, previous_data}` (the "Working with
//!   Webhooks" style, like Stripe's), which carries an event id.
//! - [`Notification`]: `{event, timestamp, data}` (the "Webhook API documentation" style), which
//!   has no id.
//! - [`Envelope`]: either of the two, decided by the fields present.
//!
//! All are generic over the type of the event's data, which defaults to [`serde_json::Value`].
//! Timestamps are kept as the sender's strings (no date library is imposed). Parse the body
//! only **after** verifying it.
//!
//! ```
//! use webhook_verify::envelope::Envelope;
//!
//! let body = br#"{"event": "user.created", "timestamp": "2023-06-20T14:15:30Z",
//!                 "data": {"id": "user_123", "username": "john_doe"}}"#;
//! let envelope: Envelope = serde_json::from_slice(body)?;
//! assert_eq!(envelope.event_type(), "user.created");
//! assert_eq!(envelope.id(), None); // this envelope carries no event id
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};

/// An event in the `{id, type, created_at, data: {object}, previous_data}` envelope.
///
/// ```
/// use webhook_verify::envelope::Event;
///
/// let body = r#"{
///   "id": "evt_def456",
///   "type": "resource.updated",
///   "created_at": "2025-02-18T10:35:00Z",
///   "data": {"object": {"id": "res_xyz789", "name": "Updated Resource", "status": "active"}},
///   "previous_data": {"name": "Old Resource Name"}
/// }"#;
///
/// #[derive(serde::Deserialize)]
/// struct Resource { id: String, name: String }
///
/// let event: Event<Resource> = serde_json::from_str(body)?;
/// assert_eq!(event.id, "evt_def456");
/// assert_eq!(event.event_type, "resource.updated");
/// assert_eq!(event.data.object.name, "Updated Resource");
/// assert_eq!(event.previous_data.unwrap()["name"], "Old Resource Name");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event<T = serde_json::Value> {
    /// The event's unique id (`evt_...`): the natural idempotency key.
    pub id: String,
    /// The event type, such as `resource.created` (JSON field `type`).
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the event happened, as sent (RFC 3339, e.g. `2025-02-18T10:30:00Z`).
    pub created_at: String,
    /// The object the event is about.
    pub data: EventData<T>,
    /// For update events, the old values of the changed fields; `None` when absent or `null`.
    #[serde(default)]
    pub previous_data: Option<serde_json::Value>,
}

/// The `data` member of an [`Event`]: `{"object": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventData<T = serde_json::Value> {
    /// The resource the event is about, in its state after the event.
    pub object: T,
}

/// A notification in the `{event, timestamp, data}` envelope, which carries no event id.
///
/// ```
/// use webhook_verify::envelope::Notification;
///
/// let body = r#"{
///   "event": "order.completed",
///   "timestamp": "2023-06-20T15:45:00Z",
///   "data": {"id": "order_456", "user_id": "user_123", "status": "completed", "total": 99.99}
/// }"#;
/// let notification: Notification = serde_json::from_str(body)?;
/// assert_eq!(notification.event, "order.completed");
/// assert_eq!(notification.data["id"], "order_456");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification<T = serde_json::Value> {
    /// The event type, such as `user.created`.
    pub event: String,
    /// When the event happened, as sent (RFC 3339, e.g. `2023-06-20T14:15:30Z`).
    pub timestamp: String,
    /// The event's payload.
    pub data: T,
}

/// Either envelope: an [`Event`] if the body has `id`, `type`, `created_at` and `data.object`,
/// otherwise a [`Notification`].
///
/// ```
/// use webhook_verify::envelope::Envelope;
///
/// let body = r#"{
///   "id": "evt_abc123",
///   "type": "resource.created",
///   "created_at": "2025-02-18T10:30:00Z",
///   "data": {"object": {"id": "res_xyz789", "name": "New Resource", "status": "active"}},
///   "previous_data": null
/// }"#;
/// let envelope: Envelope = serde_json::from_str(body)?;
/// assert_eq!(envelope.id(), Some("evt_abc123"));
/// assert_eq!(envelope.event_type(), "resource.created");
/// assert!(matches!(envelope, Envelope::Event(_)));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Envelope<T = serde_json::Value> {
    /// The `{id, type, created_at, data: {object}, previous_data}` envelope.
    Event(Event<T>),
    /// The `{event, timestamp, data}` envelope.
    Notification(Notification<T>),
}

impl<T> Envelope<T> {
    /// The event id, if the envelope carries one ([`Event`] does, [`Notification`] does not).
    pub fn id(&self) -> Option<&str> {
        match self {
            Envelope::Event(event) => Some(&event.id),
            Envelope::Notification(_) => None,
        }
    }

    /// The event type (`type` of an [`Event`], `event` of a [`Notification`]).
    pub fn event_type(&self) -> &str {
        match self {
            Envelope::Event(event) => &event.event_type,
            Envelope::Notification(notification) => &notification.event,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_with_null_previous_data_parses_as_event() {
        let body = r#"{"id":"evt_abc123","type":"resource.created","created_at":"2025-02-18T10:30:00Z",
            "data":{"object":{"id":"res_xyz789"}},"previous_data":null}"#;
        let envelope: Envelope = serde_json::from_str(body).unwrap();
        let Envelope::Event(event) = envelope else {
            panic!("expected Event")
        };
        assert_eq!(event.previous_data, None);
        assert_eq!(event.data.object["id"], "res_xyz789");
    }

    #[test]
    fn event_without_previous_data_field_parses() {
        let body = r#"{"id":"e","type":"t","created_at":"c","data":{"object":1}}"#;
        let event: Event<u32> = serde_json::from_str(body).unwrap();
        assert_eq!(event.data.object, 1);
    }

    #[test]
    fn notification_parses_as_notification() {
        let body = r#"{"event":"user.deleted","timestamp":"2023-06-20T14:20:00Z","data":{"id":"user_123"}}"#;
        let envelope: Envelope = serde_json::from_str(body).unwrap();
        assert_eq!(envelope.event_type(), "user.deleted");
        assert_eq!(envelope.id(), None);
    }

    #[test]
    fn neither_envelope_is_an_error() {
        assert!(serde_json::from_str::<Envelope>(r#"{"kind":"x"}"#).is_err());
    }

    #[test]
    fn event_serializes_type_field_name() {
        let event = Event {
            id: "e".into(),
            event_type: "t".into(),
            created_at: "c".into(),
            data: EventData { object: 1 },
            previous_data: None,
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "t");
    }
}
